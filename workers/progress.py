"""A job's steps and who hears of them: what ``workers.jobs`` and ``workers.sweeps`` call
after every finished step (a stage of a linear fit, an epoch of a network).

The callbacks that persist a step and stop a job (cancel, hand-back, time limit) are the
runtime's: ``workers.runtime.checkpoints``. The network loop's own callbacks (early
stopping) act on the model instead: ``workers.trainers.epoch_callbacks``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

#: Why a job stops between steps: its caller cancelled it, its worker is shutting down
#: (hand it back), it ran past max_seconds, or another attempt holds it now.
StopReason = Literal["cancel", "handback", "time_limit", "lost"]


class StopTrainingError(Exception):
    """Raised from a step callback to stop the job for ``reason``."""

    def __init__(self, reason: StopReason, message: str = "") -> None:
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
