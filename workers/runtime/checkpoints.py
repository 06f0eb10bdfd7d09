"""Step callbacks: what the runtime does after each finished step of a job.

A job (``workers.jobs``) and a sweep's trial (``workers.sweeps.trials``) call
``Progress.done`` after every finished step: a stage of a linear fit, an epoch of a
network. The runtime's callbacks persist it (history row, progress, heartbeat) and stop
the job on cancel, hand-back or time limit. The network loop's own callbacks (early
stopping) are ``workers.trainers.epoch_callbacks``: they act on the model, not the job.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from service.jobs.attempts import AttemptStore, HistoryEntry


class StopTrainingError(Exception):
    """Raised from a callback: ``reason`` is cancel, handback, time_limit or lost."""

    def __init__(self, reason: str, message: str = "") -> None:
        super().__init__(message or reason)
        self.reason = reason


@dataclass(frozen=True)
class Step:
    index: int  # 1-based: steps finished so far in this attempt
    total: int | None
    name: str
    kind: str = "stage"
    data: dict[str, Any] = field(default_factory=dict)


class StepCallback:
    def on_step_end(self, step: Step) -> None:
        """Called after each finished step; may raise StopTrainingError."""


class StepCallbacks(StepCallback):
    def __init__(self, callbacks: Sequence[StepCallback] = ()) -> None:
        self.callbacks = list(callbacks)

    def on_step_end(self, step: Step) -> None:
        for callback in self.callbacks:
            callback.on_step_end(step)


class Progress:
    """Numbers a job's finished steps and hands each to the callbacks."""

    def __init__(self, callbacks: StepCallback, total: int | None) -> None:
        self.callbacks, self.total, self.steps = callbacks, total, 0

    def done(self, name: str, kind: str = "stage", **data: Any) -> None:
        self.steps += 1
        self.callbacks.on_step_end(Step(self.steps, self.total, name, kind, data))


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
