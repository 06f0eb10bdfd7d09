"""Callbacks on the training loop: checkpoints, time limits, and the reasons to stop.

The loop (``workers.training.train``, later the network trainers) calls
``on_step_end`` after every finished step: a stage of a linear fit, an epoch of a
network. Whatever is not the research code (persisting progress, heartbeats,
cancellation, time limits) lives here, not in the loop.
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


class TrainingCallback:
    def on_step_end(self, step: Step) -> None:
        """Called after each finished step; may raise StopTrainingError."""


class CallbackList(TrainingCallback):
    def __init__(self, callbacks: Sequence[TrainingCallback] = ()) -> None:
        self.callbacks = list(callbacks)

    def on_step_end(self, step: Step) -> None:
        for callback in self.callbacks:
            callback.on_step_end(step)


class Progress:
    """Numbers a job's finished steps and hands each to the callbacks."""

    def __init__(self, callbacks: TrainingCallback, total: int | None) -> None:
        self.callbacks, self.total, self.steps = callbacks, total, 0

    def done(self, name: str, kind: str = "stage", **data: Any) -> None:
        self.steps += 1
        self.callbacks.on_step_end(Step(self.steps, self.total, name, kind, data))


class StoreCheckpoint(TrainingCallback):
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


class TimeLimit(TrainingCallback):
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
