"""A thread that keeps a running attempt's heartbeat fresh between checkpoints.

A single long step (one big fit) may outlast the stale threshold; the heartbeat
says the worker is alive all the same, so only a dead worker goes stale.
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType

from service.jobs.attempts import AttemptStore

log = logging.getLogger(__name__)


class Heartbeat:
    def __init__(self, attempts: AttemptStore, job_id: str, attempt: int, interval: float) -> None:
        self.attempts, self.job_id, self.attempt, self.interval = (
            attempts,
            job_id,
            attempt,
            interval,
        )
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"heartbeat-{job_id[:8]}", daemon=True
        )

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                if self.attempts.checkpoint(self.job_id, self.attempt) == "lost":
                    return  # the attempt no longer holds the job; its next step will see it
            except Exception:
                log.exception("heartbeat of job %s failed; retrying", self.job_id)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()
