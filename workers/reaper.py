"""The reaper: every worker sweeps the store for jobs that nobody is running.

It runs as a thread in each worker's main process (so ``regulab up``, one
worker, has one too) every ``reaper_interval_seconds``:

- a running job whose heartbeat is older than ``stale_after_seconds`` lost its
  worker: it is queued again while attempts remain, else failed (worker_lost);
  a lost job that was being cancelled is cancelled;
- a running job past ``max_seconds`` by more than the stale threshold (stuck in
  one long step) fails with time_limit; its late result will be refused;
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
from datetime import datetime, timedelta
from pathlib import Path

from api_schemas import JobStatus
from service.config import Settings
from service.db import utcnow
from service.jobs.attempts import AttemptStore

log = logging.getLogger(__name__)


def sweep(
    attempts: AttemptStore,
    publish: Callable[[str, str], None],
    settings: Settings,
    now: datetime | None = None,
) -> Counter[str]:
    now = now or utcnow()
    stale_after = timedelta(seconds=settings.stale_after_seconds)
    stale_before = now - stale_after
    done: Counter[str] = Counter()
    for job in attempts.running_jobs():
        if now > job.started_at + timedelta(seconds=job.max_seconds) + stale_after:
            if attempts.fail(
                job.id,
                job.attempt,
                "time_limit",
                f"the job ran past its max_seconds={job.max_seconds} in one step",
            ):
                done["timed_out"] += 1
            continue
        if (job.heartbeat_at or job.started_at) >= stale_before:
            continue
        if job.stop_request == "cancel":
            if attempts.abandon(job.id, job.attempt, stale_before, JobStatus.cancelled):
                done["cancelled"] += 1
        elif job.attempt < settings.max_attempts:
            if attempts.requeue(job.id, job.attempt, stale_before):
                done["requeued"] += 1
        elif attempts.abandon(
            job.id,
            job.attempt,
            stale_before,
            JobStatus.failed,
            error_code="worker_lost",
            error_message=f"the worker of attempt {job.attempt} stopped responding, and "
            f"{settings.max_attempts} attempts were allowed",
        ):
            done["worker_lost"] += 1

    republish_before = now - timedelta(seconds=settings.republish_after_seconds)
    for job_id, queue in attempts.queued_unpublished(republish_before):
        try:
            publish(job_id, queue)
        except Exception as exc:
            log.warning("reaper could not publish job %s: %s", job_id, exc)
            break  # the broker is down; the next sweep tries again
        attempts.mark_published(job_id)
        done["published"] += 1
    if done:
        log.info("reaper: %s", dict(done))
    return done


class Reaper(threading.Thread):
    """``sweep`` every ``reaper_interval_seconds`` until stopped; touches
    ``liveness_file`` after each round so a container healthcheck can watch it."""

    def __init__(
        self,
        attempts: AttemptStore,
        publish: Callable[[str, str], None],
        settings: Settings,
        liveness_file: Path | None = None,
    ) -> None:
        super().__init__(name="regulab-reaper", daemon=True)
        self.attempts, self.publish, self.settings = attempts, publish, settings
        self.liveness_file = liveness_file
        self.stopping = threading.Event()

    def run(self) -> None:
        while True:
            try:
                sweep(self.attempts, self.publish, self.settings)
            except Exception:
                log.exception("reaper sweep failed; trying again next round")
            if self.liveness_file is not None:
                self.liveness_file.touch()
            if self.stopping.wait(self.settings.reaper_interval_seconds):
                return

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=5)
