"""Celery's own floor: the same app configuration as regulab's, with a no-op task.

Run by ``bench/latency.py`` and ``bench/throughput.py`` as ``celery -A bench.floor_worker worker``.
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


@app.task(name="bench.lasso_fit", ignore_result=True)
def lasso_fit(token: str) -> None:
    """The article's L1 fit on its 100 points, as a bare task: no store, no files."""
    from sklearn.linear_model import Lasso

    from tests.reference import article_data

    X, y = article_data()
    Lasso(alpha=0.2).fit(X, y)
    _results.hset("bench:fits", token, repr(time.time()))
