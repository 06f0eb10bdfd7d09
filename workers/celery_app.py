"""The worker's Celery app: ``celery -A workers.celery_app worker`` or ``regulab worker``."""

from __future__ import annotations

import logging
from functools import cache

from celery.signals import worker_process_init

from service.config import Settings
from service.task_queue import RUN_JOB_TASK, make_celery
from workers.job_runner import WorkerContext, run_job

settings = Settings()
app = make_celery(settings)


@cache
def worker_context() -> WorkerContext:
    """Built lazily in each worker process, after any fork, so no engine is shared."""
    return WorkerContext.from_settings(settings)


@worker_process_init.connect
def _reset_context(**_: object) -> None:
    worker_context.cache_clear()
    logging.basicConfig(level=settings.log_level)


@app.task(name=RUN_JOB_TASK, ignore_result=True)
def run_job_task(job_id: str) -> str:
    """Carries only the job id; the store holds the spec and receives the result."""
    return run_job(worker_context(), job_id).value
