from __future__ import annotations

import threading

from sqlalchemy import update

from api_schemas import JobCreate, JobStatus
from service.config import Settings
from service.db import make_engine, transaction
from service.jobs.store import JobStore, StoredArtifact
from service.tables import Job
from tests.factories import job_body


def store_for(settings: Settings) -> JobStore:
    return JobStore(make_engine(settings))


def test_only_one_of_many_concurrent_claims_wins(settings: Settings) -> None:
    job = store_for(settings).create(JobCreate.model_validate(job_body()))
    stores = [store_for(settings) for _ in range(8)]  # one engine each: separate processes' view
    barrier = threading.Barrier(len(stores))
    results: list[int | None] = []

    def claim(store: JobStore, n: int) -> None:
        barrier.wait()
        results.append(store.claim(job.id, f"worker-{n}"))

    threads = [threading.Thread(target=claim, args=(s, n)) for n, s in enumerate(stores)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results, key=lambda r: r or 0) == [None] * 7 + [1]
    stored = stores[0].get(job.id)
    assert stored is not None and stored.status == JobStatus.running and stored.attempt == 1


def test_a_stale_attempt_cannot_finish_the_job(settings: Settings) -> None:
    store = store_for(settings)
    job = store.create(JobCreate.model_validate(job_body()))
    assert store.claim(job.id, "a") == 1
    with transaction(store.sessions) as session:  # the job is handed out again
        session.execute(update(Job).where(Job.id == job.id).values(status=JobStatus.queued))
    assert store.claim(job.id, "b") == 2

    artifact = StoredArtifact("coefficients.png", "image/png", "jobs/x/attempt-1/c.png", 3)
    assert not store.succeed(job.id, 1, {"from": "attempt 1"}, [artifact])
    assert not store.fail(job.id, 1, "internal_error", "late")
    assert store.succeed(job.id, 2, {"from": "attempt 2"}, [])
    final = store.get(job.id, with_artifacts=True)
    assert final is not None
    assert (final.status, final.result, final.artifacts) == (
        JobStatus.succeeded,
        {"from": "attempt 2"},
        [],
    )
