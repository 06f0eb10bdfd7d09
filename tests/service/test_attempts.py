"""The worker's side of the store, on both backends: claims, checkpoints, finishing."""

from __future__ import annotations

import threading
from datetime import timedelta

from api_schemas import JobStatus
from service.config import Settings
from service.db import make_engine, utcnow
from service.jobs.attempts import AttemptStore, HistoryEntry, StoredArtifact
from service.jobs.store import JobStore
from tests.factories import create_job


def stores(settings: Settings) -> tuple[JobStore, AttemptStore]:
    engine = make_engine(settings)
    return JobStore(engine), AttemptStore(engine)


def test_only_one_of_many_concurrent_claims_wins(settings: Settings) -> None:
    jobs, _ = stores(settings)
    job = create_job(jobs)
    racers = [AttemptStore(make_engine(settings)) for _ in range(8)]  # as separate processes
    barrier = threading.Barrier(len(racers))
    won: list[int] = []

    def claim(attempts: AttemptStore, n: int) -> None:
        barrier.wait()
        claimed = attempts.claim(job.id, f"worker-{n}")
        if claimed is not None:
            won.append(claimed.attempt)

    threads = [threading.Thread(target=claim, args=(a, n)) for n, a in enumerate(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert won == [1]
    stored = jobs.get(job.id)
    assert stored is not None and stored.status == JobStatus.running and stored.attempt == 1


def test_a_stale_attempt_can_neither_finish_nor_checkpoint(settings: Settings) -> None:
    jobs, attempts = stores(settings)
    job = create_job(jobs)
    assert attempts.claim(job.id, "a") is not None
    assert attempts.requeue(job.id, 1)  # its worker went away; the job is queued again
    second = attempts.claim(job.id, "b")
    assert second is not None and second.attempt == 2

    artifact = StoredArtifact("coefficients.png", "image/png", "jobs/x/attempt-1/c.png", 3)
    assert not attempts.succeed(job.id, 1, {"from": "attempt 1"}, [artifact])
    assert not attempts.fail(job.id, 1, "internal_error", "late")
    assert attempts.checkpoint(job.id, 1) == "lost"
    assert attempts.succeed(job.id, 2, {"from": "attempt 2"}, [])
    final = jobs.get(job.id, with_artifacts=True)
    assert final is not None
    assert (final.status, final.result, final.artifacts) == (
        JobStatus.succeeded,
        {"from": "attempt 2"},
        [],
    )


def test_checkpoint_records_history_and_progress_and_reports_stop_requests(
    settings: Settings,
) -> None:
    jobs, attempts = stores(settings)
    job = create_job(jobs)
    claimed = attempts.claim(job.id, "w")
    assert claimed is not None and claimed.max_seconds == 60
    progress = {"stage": "load_data", "step": 1, "total": 4}
    assert attempts.checkpoint(job.id, 1, progress, [HistoryEntry(1, "stage", {"n": 3})]) is None
    jobs.request_cancel(job.id, job.owner)
    assert attempts.checkpoint(job.id, 1) == "cancel"
    row = jobs.get(job.id)
    assert row is not None and row.progress == progress
    assert [(h.step, h.data) for h in jobs.history(job.id)] == [(1, {"n": 3})]


def test_requeue_of_a_silent_attempt_spares_one_that_just_beat(settings: Settings) -> None:
    jobs, attempts = stores(settings)
    job = create_job(jobs)
    attempts.claim(job.id, "w")
    assert not attempts.requeue(job.id, 1, stale_before=utcnow() - timedelta(seconds=5))
    assert attempts.requeue(job.id, 1, stale_before=utcnow() + timedelta(seconds=1))


def test_handback_is_asked_only_of_the_named_workers_jobs(settings: Settings) -> None:
    jobs, attempts = stores(settings)
    mine, theirs = create_job(jobs), create_job(jobs)
    attempts.claim(mine.id, "regulab-1@host/11")
    attempts.claim(theirs.id, "regulab-2@host/12")
    assert attempts.request_handback("regulab-1@host/") == 1
    assert attempts.checkpoint(mine.id, 1) == "handback"
    assert attempts.checkpoint(theirs.id, 1) is None
