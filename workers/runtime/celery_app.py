"""The worker's Celery app: ``regulab worker`` (or ``celery -A workers.runtime.celery_app worker``).

Each pool process builds its own store connections after the fork; the main
process runs the reaper and, on a warm shutdown, asks its running jobs to hand
themselves back at their next checkpoint.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from celery.signals import worker_process_init, worker_ready, worker_shutting_down

from service.artifacts import artifact_store_from_settings
from service.config import Settings
from service.db import make_engine
from service.jobs.attempts import AttemptStore
from service.sweeps.store import SweepStore
from service.task_queue import RUN_JOB_TASK, make_celery, publish_job
from workers.figures.style import warm_up
from workers.runtime.cpu_threads import limit_threads
from workers.runtime.job_runner import WorkerContext, run_job
from workers.runtime.reaper import Reaper
from workers.sweeps.aggregation import finish_sweep

log = logging.getLogger(__name__)

settings = Settings()
app = make_celery(settings)
#: Set by ``regulab worker --liveness-file``: touched by the reaper every round.
liveness_file: Path | None = None
#: Set by ``regulab worker``: the CPU threads each pool process may use (None: as many as
#: the libraries start by default).
threads_per_process: int | None = None
_main: dict[str, Any] = {}  # the main process's reaper and store


def publish(job_id: str, queue: str) -> None:
    publish_job(app, job_id, queue)


@cache
def worker_context() -> WorkerContext:
    """Built lazily in each pool process, after the fork, so no engine is shared."""
    return WorkerContext.from_settings(settings)


@worker_process_init.connect
def _in_pool_process(**_: object) -> None:
    worker_context.cache_clear()
    if "attempts" in _main:  # a pool process forked after start-up inherits these
        _main["attempts"].engine.dispose(close=False)
        _main.clear()
    logging.basicConfig(level=settings.log_level)
    if threads_per_process is not None:
        limit_threads(threads_per_process)
    warm_up()


@worker_ready.connect
def _start_reaper(sender: Any = None, **_: object) -> None:
    engine = make_engine(settings)
    attempts = AttemptStore(engine)
    sweeps, artifacts = SweepStore(engine), artifact_store_from_settings(settings)

    def finish_sweeps(stale_before: datetime) -> int:
        return sum(
            finish_sweep(sweeps, artifacts, sweep_id, stale_before) is not None
            for sweep_id in sweeps.unfinished_with_trials_done()
        )

    reaper = Reaper(attempts, publish, settings, liveness_file, finish_sweeps)
    _main.update(attempts=attempts, reaper=reaper, nodename=sender.hostname)
    reaper.start()


@worker_shutting_down.connect
def _hand_back_running_jobs(**_: object) -> None:
    if "attempts" not in _main:
        return
    _main["reaper"].stop()
    asked = _main["attempts"].request_handback(f"{_main['nodename']}/")
    if asked:
        log.warning("asked %d running job(s) to hand themselves back at their next step", asked)


@app.task(name=RUN_JOB_TASK, ignore_result=True, bind=True)
def run_job_task(self: Any, job_id: str) -> str:
    """Carries only the job id; the store holds the spec and receives the result."""
    worker = f"{self.request.hostname}/{os.getpid()}"
    return run_job(worker_context(), job_id, worker).value
