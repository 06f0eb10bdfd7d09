"""Celery's own floor: the same app configuration as regulab's, with a no-op task.

Run by ``bench/latency.py`` as ``celery -A bench.floor_worker worker``.
"""

from __future__ import annotations

import time

import redis

from service.config import Settings
from service.task_queue import make_celery

settings = Settings()
app = make_celery(settings)
_results = redis.Redis.from_url(settings.broker_url)


@app.task(name="bench.noop", ignore_result=True)
def noop(token: str) -> None:
    """Record when the task body started, and nothing else."""
    _results.hset("bench:floor", token, repr(time.time()))
