"""The runtime's step callbacks: after each finished step of a job (``workers.progress``)
they persist it (history row, progress, heartbeat) and stop the job on cancel, hand-back
or time limit, by raising StopTrainingError.
"""

from __future__ import annotations

import time

from service.jobs.attempts import AttemptStore, HistoryEntry
from workers.progress import Step, StepCallback, StopTrainingError


class StoreCheckpoint(StepCallback):
    """Persist the step (history row, progress, heartbeat) and obey stop requests."""

    def __init__(self, attempts: AttemptStore, job_id: str, attempt: int) -> None:
        self.attempts, self.job_id, self.attempt = attempts, job_id, attempt

    def on_step_end(self, step: Step) -> None:
        signal = self.attempts.checkpoint(
            self.job_id,
            self.attempt,
            progress={"stage": step.name, "step": step.index, "total": step.total},
            entry=HistoryEntry(step.index, step.kind, {"stage": step.name, **step.data}),
        )
        if signal is not None:
            raise StopTrainingError(signal)


class TimeLimit(StepCallback):
    """Stop at the first checkpoint past ``max_seconds`` since the attempt started."""

    def __init__(self, max_seconds: float) -> None:
        self.max_seconds = max_seconds
        self.started = time.monotonic()

    def on_step_end(self, step: Step) -> None:
        elapsed = time.monotonic() - self.started
        if elapsed > self.max_seconds:
            raise StopTrainingError(
                "time_limit",
                f"the job ran {elapsed:.1f} s, past its max_seconds={self.max_seconds:g}",
            )
