"""The reaper: every worker sweeps the store for jobs that nobody is running.

It runs as a thread in each worker's main process (so ``regulab up``, one
worker, has one too) every ``reaper_interval_seconds``:

- a running job whose heartbeat is older than ``stale_after_seconds`` lost its
  worker: it is queued again while attempts remain, else failed (worker_lost);
  a lost job that was being cancelled is cancelled;
- a running job past ``max_seconds`` by more than the stale threshold (stuck in
  one long step) fails with time_limit; its late result will be refused;
- a sweep whose folds have all ended but that nobody aggregated (the worker of its
  last fold died, or aggregation stalled past the stale threshold) is aggregated;
- events older than ``event_retention_days`` are pruned;
- a queued job whose message was never sent (broker down at POST, a crash
  between commit and publish) or was sent more than ``republish_after_seconds``
  ago (lost with a broker restart) is published again. A duplicate is harmless:
  the claim lets one delivery run the job.

Every change is a conditional UPDATE, so several workers' reapers may race.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from api_schemas import JobStatus
from service.config import Settings
from service.db import utcnow
from service.jobs.attempts import AttemptStore, RunningJob
from workers.runtime.metrics import HEARTBEAT_AGE, REAPER_ACTIONS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Chores:
    """What a round does besides the jobs: aggregate the sweeps nobody aggregated
    (``finish_sweeps(stale_before)``), prune old events (``prune_events(before)``)."""

    finish_sweeps: Callable[[datetime], int] | None = None
    prune_events: Callable[[datetime], int] | None = None


def reap_once(
    attempts: AttemptStore,
    publish: Callable[[str, str], None],
    settings: Settings,
    now: datetime | None = None,
    chores: Chores | None = None,
) -> Counter[str]:
    """One round; returns what it did, e.g. {"requeued": 1, "published": 1}."""
    now = now or utcnow()
    stale_before = now - timedelta(seconds=settings.stale_after_seconds)
    done: Counter[str] = Counter()
    running = attempts.running_jobs()
    beats = [job.heartbeat_at or job.started_at for job in running]
    HEARTBEAT_AGE.set(max(((now - beat).total_seconds() for beat in beats), default=0.0))
    for job in running:
        outcome = _reap_running(attempts, job, settings, now, stale_before)
        if outcome:
            done[outcome] += 1
    done["published"] += _republish(attempts, publish, now, settings)
    chores = chores or Chores()
    if chores.finish_sweeps is not None:
        done["sweeps_finished"] += chores.finish_sweeps(stale_before)
    if chores.prune_events is not None:
        retained = now - timedelta(days=settings.event_retention_days)
        done["events_pruned"] += chores.prune_events(retained)
    done = +done  # drop the zeros
    for action, count in done.items():
        REAPER_ACTIONS.labels(action).inc(count)
    if done:
        log.info("reaper: %s", dict(done))
    return done


def _reap_running(
    attempts: AttemptStore,
    job: RunningJob,
    settings: Settings,
    now: datetime,
    stale_before: datetime,
) -> str | None:
    stale_after = timedelta(seconds=settings.stale_after_seconds)
    if now > job.started_at + timedelta(seconds=job.max_seconds) + stale_after:
        message = f"the job ran past its max_seconds={job.max_seconds} in one step"
        return "timed_out" if attempts.fail(job.id, job.attempt, "time_limit", message) else None
    if (job.heartbeat_at or job.started_at) >= stale_before:
        return None
    if job.stop_request == "cancel":
        won = attempts.abandon(job.id, job.attempt, stale_before, JobStatus.cancelled)
        return "cancelled" if won else None
    if job.attempt < settings.max_attempts:
        return "requeued" if attempts.requeue(job.id, job.attempt, stale_before) else None
    won = attempts.abandon(
        job.id,
        job.attempt,
        stale_before,
        JobStatus.failed,
        error_code="worker_lost",
        error_message=f"the worker of attempt {job.attempt} stopped responding, and "
        f"{settings.max_attempts} attempts were allowed",
    )
    return "worker_lost" if won else None


def _republish(
    attempts: AttemptStore,
    publish: Callable[[str, str], None],
    now: datetime,
    settings: Settings,
) -> int:
    published = 0
    republish_before = now - timedelta(seconds=settings.republish_after_seconds)
    for job_id, queue in attempts.queued_unpublished(republish_before):
        try:
            publish(job_id, queue)
        except Exception as exc:
            log.warning("reaper could not publish job %s: %s", job_id, exc)
            break  # the broker is down; the next round tries again
        attempts.mark_published(job_id)
        published += 1
    return published


class Reaper(threading.Thread):
    """``sweep`` every ``reaper_interval_seconds`` until stopped; touches
    ``liveness_file`` after each round so a container healthcheck can watch it."""

    def __init__(
        self,
        attempts: AttemptStore,
        publish: Callable[[str, str], None],
        settings: Settings,
        liveness_file: Path | None = None,
        chores: Chores | None = None,
    ) -> None:
        super().__init__(name="regulab-reaper", daemon=True)
        self.attempts, self.publish, self.settings = attempts, publish, settings
        self.chores = chores
        self.liveness_file = liveness_file
        self.stopping = threading.Event()

    def run(self) -> None:
        while True:
            try:
                reap_once(self.attempts, self.publish, self.settings, chores=self.chores)
            except Exception:
                log.exception("reaper round failed; trying again next round")
            if self.liveness_file is not None:
                self.liveness_file.touch()
            if self.stopping.wait(self.settings.reaper_interval_seconds):
                return

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=5)

    def hand_back(self, worker_prefix: str) -> threading.Thread:
        """Stop sweeping, then ask the running jobs of workers named ``worker_prefix…``
        to hand themselves back at their next step, from a thread of its own.

        The caller is the worker's SIGTERM handler. Python runs it in the main thread,
        which in a solo pool is the thread running the job, maybe between a
        checkpoint's UPDATE and its COMMIT: a write made inside the handler would wait
        for a lock its own thread holds (SQLite gives up after its busy timeout with
        "database is locked", PostgreSQL waits forever). From here it waits only until
        the handler has returned and that checkpoint has committed."""
        thread = threading.Thread(
            target=self._hand_back, args=(worker_prefix,), name="regulab-handback"
        )
        thread.start()  # not a daemon: the worker's exit waits for the request
        return thread

    def _hand_back(self, worker_prefix: str) -> None:
        self.stop()
        try:
            asked = self.attempts.request_handback(worker_prefix)
        except Exception:
            log.exception(
                "could not ask the running jobs to hand themselves back; "
                "they finish, or the reaper requeues them once their heartbeats stop"
            )
            return
        if asked:
            log.warning("asked %d running job(s) to hand themselves back at their next step", asked)
