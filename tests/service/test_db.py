"""Transactions under concurrent writers: a write transaction never fails on a lock."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from api_schemas import JobStatus
from service.api.auth import ANONYMOUS
from service.config import Settings
from service.db import make_engine, transaction
from service.jobs.attempts import AttemptStore, HistoryEntry
from service.jobs.store import JobStore
from service.tables import Job
from tests.factories import create_job


def test_a_write_transaction_holds_the_sqlite_write_lock_from_its_first_read(
    embedded_settings: Settings,
) -> None:
    """What a check-then-write transaction read stays true until it commits: no other
    connection can write in between (it waits in its busy timeout instead)."""
    jobs = JobStore(make_engine(embedded_settings))
    create_job(jobs)
    other = sqlite3.connect(embedded_settings.data_dir / "regulab.db", timeout=0)
    other.isolation_level = None
    with transaction(jobs.sessions) as session:
        session.scalars(select(Job.id)).all()
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            other.execute("BEGIN IMMEDIATE")
    other.execute("BEGIN IMMEDIATE")  # free again once it committed
    other.execute("ROLLBACK")
    other.close()


def test_hand_backs_checkpoints_and_api_writes_racing_never_fail_on_a_lock(
    settings: Settings,
) -> None:
    """Each thread has its own engine, as the API and the workers' processes do. The
    API's deletes read the job before they delete it: on SQLite such a transaction
    fails at once with "database is locked" if it began deferred and another
    connection wrote in between."""
    rounds = 25
    errors: list[DBAPIError] = []
    start = threading.Barrier(4)

    def run(work: Callable[[JobStore, AttemptStore, int], None]) -> Callable[[], None]:
        def loop() -> None:
            engine = make_engine(settings)
            jobs, attempts = JobStore(engine), AttemptStore(engine)
            start.wait()
            for n in range(rounds):
                try:
                    work(jobs, attempts, n)
                except DBAPIError as exc:
                    errors.append(exc)
            engine.dispose()

        return loop

    def worker(jobs: JobStore, attempts: AttemptStore, n: int) -> None:
        job = create_job(jobs)
        claimed = attempts.claim(job.id, "node-1/1")
        assert claimed is not None
        attempts.checkpoint(job.id, 1, {"step": 1}, [HistoryEntry(1, "stage", {"n": n})])
        assert attempts.requeue(job.id, 1)  # the hand-back

    def api(jobs: JobStore, _attempts: AttemptStore, _n: int) -> None:
        job = create_job(jobs)
        jobs.request_cancel(job.id, job.owner)
        assert jobs.delete(job.id, job.owner)

    def shutdown(_jobs: JobStore, attempts: AttemptStore, _n: int) -> None:
        attempts.request_handback("node-1/")

    threads = [threading.Thread(target=run(w)) for w in (worker, worker, api, shutdown)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    left = JobStore(make_engine(settings)).page(
        owner=ANONYMOUS, status=None, cursor=None, limit=500
    )
    assert len(left) == 2 * rounds  # the workers' jobs, handed back; the API's are deleted
    assert {job.status for job in left} == {JobStatus.queued}
