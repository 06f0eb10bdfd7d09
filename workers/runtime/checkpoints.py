"""The runtime's step callbacks: after each finished step of a job (``workers.progress``)
they persist it (history row, progress, heartbeat) and stop the job on cancel, hand-back
or time limit, by raising StopTrainingError.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from service.jobs.attempts import AttemptStore, HistoryEntry, Steps
from workers.progress import Step, StepCallback, StopTrainingError


class StoreCheckpoint(StepCallback):
    """Persist the steps (history rows, progress, heartbeat) and obey stop requests.

    A step that ends within ``interval`` seconds (``REGULAB_CHECKPOINT_SECONDS``) of the
    last write waits for the next write, or for the attempt's end, in the same
    transaction as its result: the article's job finishes four steps in 4 ms, which were
    four commits. So progress, history and stop requests are seen at most that late; the
    first step is written at once."""

    def __init__(
        self,
        attempts: AttemptStore,
        job_id: str,
        attempt: int,
        interval: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.attempts, self.job_id, self.attempt = attempts, job_id, attempt
        self.interval, self.clock = interval, clock
        self.written = float("-inf")
        self.progress: dict[str, object] | None = None
        self.entries: list[HistoryEntry] = []

    def on_step_end(self, step: Step) -> None:
        self.progress = {"stage": step.name, "step": step.index, "total": step.total}
        self.entries.append(HistoryEntry(step.index, step.kind, {"stage": step.name, **step.data}))
        if self.clock() - self.written >= self.interval:
            steps = self.take()
            signal = self.attempts.checkpoint(
                self.job_id, self.attempt, steps.progress, steps.entries
            )
            if signal is not None:
                raise StopTrainingError(signal)

    def take(self) -> Steps:
        """The steps not written yet, to write now or with the attempt's end."""
        steps = Steps(self.progress, self.entries)
        self.written, self.progress, self.entries = self.clock(), None, []
        return steps

    def write_rest(self) -> None:
        """Write the steps not written yet (an attempt that ends without a result keeps
        the history of what it did)."""
        steps = self.take()
        if steps.entries:
            self.attempts.checkpoint(self.job_id, self.attempt, steps.progress, steps.entries)


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
