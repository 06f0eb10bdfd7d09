"""The worker's Celery app: ``regulab worker`` (or ``celery -A workers.runtime.celery_app worker``).

Each pool process builds its own store connections after the fork; the main
process runs the reaper and, on a warm shutdown, asks its running jobs to hand
themselves back at their next checkpoint.
"""

from __future__ import annotations

import logging
import os
import threading
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from celery.signals import worker_process_init, worker_ready, worker_shutting_down

from service import logs
from service.artifacts import artifact_store_from_settings
from service.config import Settings
from service.db import make_engine
from service.events.store import EventStore
from service.jobs.attempts import AttemptStore
from service.logs import configure_logging
from service.sweeps.store import SweepStore
from service.task_queue import (
    DELIVER_WEBHOOK_TASK,
    DRAW_FIGURE_TASK,
    REQUEST_ID_HEADER,
    RUN_JOB_TASK,
    make_celery,
    publish_delivery,
    publish_job,
)
from service.webhooks.delivery import Deliverer
from service.webhooks.store import WebhookStore
from workers.figures.style import warm_up
from workers.runtime.cpu_threads import limit_threads
from workers.runtime.figures import draw_figure
from workers.runtime.job_runner import WorkerContext, run_job
from workers.runtime.metrics import FIGURES
from workers.runtime.metrics import serve as serve_metrics
from workers.runtime.reaper import Chores, Reaper
from workers.runtime.webhooks import WebhookDispatcher, deliverer_from_settings
from workers.sweeps.aggregation import finish_sweep

log = logging.getLogger(__name__)

settings = Settings()
app = make_celery(settings)
#: Set by ``regulab worker --liveness-file``: touched by the reaper every round.
liveness_file: Path | None = None
#: Set by ``regulab worker --metrics-port``: where the main process serves its metrics.
metrics_port: int | None = None
#: Set by ``regulab worker``: the CPU threads each pool process may use (None: as many as
#: the libraries start by default).
threads_per_process: int | None = None


class MainProcess:
    """The worker's main process once ready: its reaper (whose store, its own, asks for
    handbacks too) and its node name, which starts its pool processes' worker names."""

    def __init__(self) -> None:
        self.reaper: Reaper | None = None
        self.dispatcher: WebhookDispatcher | None = None
        self.nodename = ""
        #: True in a prefork pool process, which Celery replaces when it dies.
        self.forked = False

    def start(
        self, reaper: Reaper, nodename: str, dispatcher: WebhookDispatcher | None = None
    ) -> None:
        self.reaper, self.dispatcher, self.nodename = reaper, dispatcher, nodename
        reaper.start()
        if dispatcher is not None:
            dispatcher.start()

    def forget(self) -> None:
        """In a pool process forked after start-up: drop the inherited reaper (its thread
        did not survive the fork) and its connections, without closing the parent's."""
        self.forked = True
        if self.reaper is not None:
            self.reaper.attempts.engine.dispose(close=False)
            self.reaper = None
        if self.dispatcher is not None:
            self.dispatcher.store.engine.dispose(close=False)
            self.dispatcher = None

    def hand_back_running_jobs(self) -> threading.Thread | None:
        """Stop the reaper and ask this node's running jobs to hand themselves back at
        their next step, from the thread it returns (see ``Reaper.hand_back``); None
        before start-up."""
        if self.reaper is None:
            return None
        return self.reaper.hand_back(f"{self.nodename}/")


main_process = MainProcess()


def publish(job_id: str, queue: str) -> None:
    publish_job(app, job_id, queue)


def publish_webhook(delivery_id: str) -> None:
    publish_delivery(app, delivery_id, settings.webhook_queue)


@cache
def deliverer() -> Deliverer:
    """Built lazily in each pool process, as the worker context is."""
    return deliverer_from_settings(settings, WebhookStore(make_engine(settings)))


@cache
def worker_context() -> WorkerContext:
    """Built lazily in each pool process, after the fork, so no engine is shared."""
    return WorkerContext.from_settings(settings, pool_process=main_process.forked)


@worker_process_init.connect
def _in_pool_process(**_: object) -> None:
    worker_context.cache_clear()
    deliverer.cache_clear()
    main_process.forget()
    configure_logging(settings.log_level, settings.log_format)
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

    chores = Chores(finish_sweeps=finish_sweeps, prune_events=EventStore(engine).prune)
    reaper = Reaper(attempts, publish, settings, liveness_file, chores)
    dispatcher = WebhookDispatcher(WebhookStore(engine), publish_webhook, settings)
    main_process.start(reaper, sender.hostname, dispatcher)
    if metrics_port is not None:
        try:
            serve_metrics(metrics_port)
        except OSError as exc:  # the jobs go on; only the scrape is missing
            log.error("worker metrics NOT served: port %d: %s", metrics_port, exc.strerror)
            return
        log.info("worker metrics on http://0.0.0.0:%d/metrics", metrics_port)


@worker_shutting_down.connect
def _hand_back_running_jobs(**_: object) -> None:
    main_process.hand_back_running_jobs()


@app.task(name=RUN_JOB_TASK, ignore_result=True, bind=True)
def run_job_task(self: Any, job_id: str) -> str:
    """Carries only the job id; the store holds the spec and receives the result."""
    worker = f"{self.request.hostname}/{os.getpid()}"
    with logs.about(getattr(self.request, REQUEST_ID_HEADER, None)):
        return run_job(worker_context(), job_id, worker).value


@app.task(name=DELIVER_WEBHOOK_TASK, ignore_result=True)
def deliver_webhook_task(delivery_id: str) -> str | None:
    """Carries only the delivery id; the store holds the message and its attempts."""
    return deliverer().deliver(delivery_id)


@app.task(name=DRAW_FIGURE_TASK, ignore_result=True, bind=True)
def draw_figure_task(self: Any, job_id: str, name: str) -> str:
    """Carries the job id and the figure's name; the store holds what it plots."""
    ctx = worker_context()
    with logs.about(getattr(self.request, REQUEST_ID_HEADER, None), job_id):
        outcome = draw_figure(ctx.figures, ctx.artifacts, job_id, name)
    FIGURES.labels(outcome).inc()
    return outcome
