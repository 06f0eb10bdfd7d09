"""Events in the store, on both backends: written with each change of a job, in commit
order under concurrent writers (a reader following ``id > after`` never skips one), and
the wake-up that tells streams a new one may exist."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import timedelta

from service.config import Settings
from service.db import make_engine, utcnow
from service.events.store import EventStore
from service.events.wakeup import EventWakeup, listen_url
from service.jobs.attempts import AttemptStore, HistoryEntry
from service.jobs.store import JobStore
from tests.factories import create_job
from workers.runtime.reaper import reap_once


def test_each_change_of_a_job_is_an_event_in_order(settings: Settings) -> None:
    engine = make_engine(settings)
    jobs, attempts, events = JobStore(engine), AttemptStore(engine), EventStore(engine)
    job = create_job(jobs)
    claimed = attempts.claim(job.id, "w/1")
    assert claimed is not None
    progress = {"stage": "fit", "step": 1, "total": 2}
    entry = HistoryEntry(step=1, kind="epoch", data={"epoch": 1, "train_loss": 0.5})
    assert attempts.checkpoint(job.id, claimed.attempt, progress, [entry]) is None
    # Its worker went silent: the reaper queues it again, a second attempt runs it.
    policy = settings.model_copy(update={"stale_after_seconds": 1, "max_attempts": 2})
    assert reap_once(attempts, lambda *_: None, policy, utcnow() + timedelta(seconds=5)) == {
        "requeued": 1,
        "published": 1,
    }
    second = attempts.claim(job.id, "w/2")
    assert second is not None and attempts.succeed(job.id, 2, {"task": "regression"}, [])
    written = events.after(job.owner, 0)
    assert [(e.type, e.data.get("attempt")) for e in written] == [
        ("job.queued", 0),
        ("job.running", 1),
        ("job.progress", 1),
        ("job.epoch", 1),
        ("job.queued", 1),
        ("job.running", 2),
        ("job.succeeded", 2),
    ]
    assert written[2].data == {"attempt": 1, **progress}
    assert written[3].data == {"attempt": 1, "step": 1, "kind": "epoch", **entry.data}
    assert written[4].data["requeued"] is True
    assert written[-1].data["summary"] == {"task": "regression"}
    assert events.after("someone-else", 0) == []
    # A finish that lost the job (an old attempt) writes nothing.
    assert not attempts.fail(job.id, 1, "internal_error", "late")
    assert len(events.after(job.owner, 0)) == len(written)


def test_a_reader_following_ids_never_skips_one_under_concurrent_writers(
    settings: Settings,
) -> None:
    engine = make_engine(settings)
    jobs, attempts, events = JobStore(engine), AttemptStore(engine), EventStore(engine)
    owner = create_job(jobs).owner
    seen: list[int] = []
    errors: list[BaseException] = []
    writing = threading.Event()
    writing.set()
    # PostgreSQL is the point (concurrent commits); SQLite has one writer at a time, and
    # four threads of one process hammering it can starve one past the busy timeout.
    writers = 4 if settings.sqlalchemy_url.startswith("postgresql") else 2

    def write(worker: int) -> None:
        try:
            write_jobs(worker)
        except BaseException as exc:
            errors.append(exc)
            raise

    def write_jobs(worker: int) -> None:
        for _ in range(6):
            job = create_job(jobs)
            claimed = attempts.claim(job.id, f"w/{worker}")
            assert claimed is not None
            for step in range(4):
                attempts.checkpoint(job.id, 1, {"stage": "fit", "step": step, "total": 4})
            attempts.succeed(job.id, 1, {}, [])

    def read() -> None:
        after = 0
        while writing.is_set() or events.after(owner, after):
            for event in events.after(owner, after):
                seen.append(event.id)
                after = event.id
            # A reader that never lets go of the GIL starved SQLite's writers past the
            # busy timeout; a stream polls, it does not spin.
            time.sleep(0.001)

    reader = threading.Thread(target=read)
    reader.start()
    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writing.clear()
    reader.join()
    assert errors == []
    stored = [e.id for e in events.after(owner, 0, limit=10_000)]
    assert len(stored) == 1 + writers * 6 * 7  # the first job's queued, then 7 per job
    assert seen == stored


def test_the_wake_up_comes_when_an_event_is_written(settings: Settings) -> None:
    engine = make_engine(settings)
    jobs, events = JobStore(engine), EventStore(engine)
    wakeup = EventWakeup(events.latest_id, listen_url=listen_url(settings.sqlalchemy_url))
    assert wakeup.mode == ("poll" if settings.sqlalchemy_url.startswith("sqlite") else "listen")

    async def woken() -> bool:
        token = wakeup.token()
        await wakeup.wait(token, timeout=5)  # the first wake-up: the poll or LISTEN starting
        token = wakeup.token()
        await asyncio.to_thread(create_job, jobs)
        await wakeup.wait(token, timeout=10)
        await wakeup.close()
        return token.is_set()

    assert asyncio.run(woken())
