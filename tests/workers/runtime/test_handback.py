"""A warm shutdown's hand-back, asked from the SIGTERM handler, on both stores."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import event

from service.config import Settings
from service.db import make_engine
from service.jobs.attempts import AttemptStore
from service.jobs.store import JobStore
from tests.factories import create_job
from workers.runtime.celery_app import MainProcess
from workers.runtime.reaper import Reaper


@pytest.mark.timeout(60)
def test_a_sigterm_that_lands_inside_a_checkpoint_still_hands_the_job_back(
    settings: Settings,
) -> None:
    """A solo pool runs the job in the main thread, where Python also runs the SIGTERM
    handler: here it runs between the checkpoint's UPDATE and its COMMIT, while this
    thread holds the job's row (and SQLite's write lock). Asking for the hand-back
    from inside the handler waited for that lock: "database is locked" after SQLite's
    busy timeout, a hang on PostgreSQL."""
    engine = make_engine(settings)
    jobs, attempts = JobStore(engine), AttemptStore(engine)
    job = create_job(jobs)
    assert attempts.claim(job.id, "regulab-1@host/7") is not None
    main = MainProcess()
    main.start(
        Reaper(AttemptStore(make_engine(settings)), lambda _job, _queue: None, settings),
        "regulab-1@host",
    )
    handlers: list[threading.Thread | None] = []

    def sigterm(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("UPDATE jobs") and not handlers:
            handlers.append(main.hand_back_running_jobs())

    event.listen(engine, "after_cursor_execute", sigterm)
    try:
        assert attempts.checkpoint(job.id, 1, {"step": 1}) is None  # read before the ask
    finally:
        event.remove(engine, "after_cursor_execute", sigterm)
    [handback] = handlers
    assert handback is not None
    handback.join()
    assert attempts.checkpoint(job.id, 1, {"step": 2}) == "handback"
    assert attempts.requeue(job.id, 1)
