"""Limits a running job cannot escape: its memory and its time.

Memory: while a job runs, the soft address-space limit of its process (``RLIMIT_AS``) is
what the process had when the job started plus ``REGULAB_MAX_JOB_MEMORY_BYTES`` (and
slack for thread stacks and allocator arenas). An allocation past it fails inside the
job — numpy's ``MemoryError``, torch's "can't allocate memory" — and the job fails
``out_of_memory`` with what to make smaller; the worker lives on and the job is not
retried into the same death. The limit is restored when the job ends. A process that
can use CUDA is left uncapped: the CUDA driver reserves far more address space than it
uses.

An address-space limit set by the process itself, rather than a cgroup, works wherever
a worker runs (no privileges, no systemd, the same on a laptop and in a container) and
bounds exactly the process that runs the job; Celery's ``worker_max_memory_per_child``
only recycles a child after its task has finished, too late for a job that grows.

Time: at ``max_seconds`` a ``SIGALRM`` raises ``StopTrainingError("time_limit")`` in the
job's thread at its next Python instruction, inside a step, not only between steps; never
in the middle of a conversation with the store or the broker (a connection left half way
through a query could not be used to record the failure): there it tries again 20 ms
later. A
job stuck in native code past 5% more is failed ``time_limit`` by a watchdog thread,
which then kills its pool process (Celery starts another; the message's redelivery
finds the job finished).
"""

from __future__ import annotations

import os
import resource
import signal
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import Self

from workers.progress import StopTrainingError

#: Address space for thread stacks and malloc arenas, beyond the job's own allowance.
SLACK_BYTES = 512 * 2**20
#: The watchdog acts this long after the alarm: max_seconds x 1.05, and at least 1 s.
OVERRUN_FRACTION, MIN_OVERRUN_SECONDS = 0.05, 1.0
#: Modules the alarm does not interrupt (it retries after ``ALARM_RETRY_SECONDS``).
PROTECTED_MODULES = ("sqlalchemy", "psycopg", "sqlite3", "kombu", "redis", "logging")
ALARM_RETRY_SECONDS = 0.02
#: Allocation failures that libraries raise as RuntimeError rather than MemoryError.
_ALLOCATION_FAILURES = (
    "can't allocate memory",
    "bad_alloc",
    "out of memory",
    "can't start new thread",
)


class JobOutOfMemoryError(RuntimeError):
    """The job asked for more memory than its process may have."""


def is_allocation_failure(exc: BaseException) -> bool:
    if isinstance(exc, MemoryError):
        return True
    text = str(exc)
    return isinstance(exc, RuntimeError) and any(s in text for s in _ALLOCATION_FAILURES)


def _address_space() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _may_use_cuda() -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and bool(torch.cuda.is_available())


def _in_protected_code(frame: FrameType | None) -> bool:
    while frame is not None:
        module = str(frame.f_globals.get("__name__", ""))
        if module.split(".", maxsplit=1)[0] in PROTECTED_MODULES:
            return True
        frame = frame.f_back
    return False


class MemoryCeiling:
    """The address-space cap while a job runs (see the module's text)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.previous: tuple[int, int] | None = None

    def __enter__(self) -> Self:
        if not sys.platform.startswith("linux") or _may_use_cuda():
            return self
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        ceiling = _address_space() + self.max_bytes + SLACK_BYTES
        if hard != resource.RLIM_INFINITY:
            ceiling = min(ceiling, hard)
        if soft == resource.RLIM_INFINITY or ceiling < soft:
            resource.setrlimit(resource.RLIMIT_AS, (ceiling, hard))
            self.previous = (soft, hard)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.previous is not None:
            resource.setrlimit(resource.RLIMIT_AS, self.previous)
            self.previous = None
        if exc is not None and is_allocation_failure(exc):
            raise JobOutOfMemoryError(
                f"the job ran out of memory: it needed more than the "
                f"{self.max_bytes / 2**30:.1f} GiB a job may use on this server "
                "(REGULAB_MAX_JOB_MEMORY_BYTES). Make it smaller: fewer rows or features, "
                "narrower or fewer layers (model.hidden, model.channels, model.fc), or a "
                f"smaller training.batch_size. ({type(exc).__name__}: {exc})"
            ) from exc


class Deadline:
    """``max_seconds`` enforced inside steps (see the module's text). ``on_overrun`` runs
    in the watchdog thread when the job outlives the alarm; ``kill`` then ends the
    process (only in a pool process that Celery replaces)."""

    def __init__(
        self, max_seconds: float, on_overrun: Callable[[], None], *, kill: bool = False
    ) -> None:
        self.max_seconds, self.on_overrun, self.kill = max_seconds, on_overrun, kill
        self.started = time.monotonic()
        self.finished = threading.Event()
        self.previous_handler: signal.Handlers | Callable[..., object] | int | None = None
        self.previous_timer = 0.0  # another user's alarm (pytest-timeout's), put back after
        self.armed = False

    def _alarm(self, _signum: int, frame: FrameType | None) -> None:
        if _in_protected_code(frame):
            signal.setitimer(signal.ITIMER_REAL, ALARM_RETRY_SECONDS)
            return
        elapsed = time.monotonic() - self.started
        raise StopTrainingError(
            "time_limit",
            f"the job ran {elapsed:.1f} s, past its max_seconds={self.max_seconds:g}",
        )

    def _watch(self) -> None:
        grace = max(self.max_seconds * OVERRUN_FRACTION, MIN_OVERRUN_SECONDS)
        if self.finished.wait(self.max_seconds + grace):
            return
        self.on_overrun()
        if self.kill:
            os.kill(os.getpid(), signal.SIGKILL)

    def __enter__(self) -> Self:
        if threading.current_thread() is threading.main_thread():
            self.previous_handler = signal.signal(signal.SIGALRM, self._alarm)
            self.previous_timer, _ = signal.setitimer(signal.ITIMER_REAL, self.max_seconds)
            self.armed = True
        threading.Thread(target=self._watch, name="job-deadline", daemon=True).start()
        return self

    def __exit__(self, *_: object) -> None:
        self.finished.set()
        if self.armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous_handler)
            if self.previous_timer > 0:
                elapsed = time.monotonic() - self.started
                signal.setitimer(signal.ITIMER_REAL, max(self.previous_timer - elapsed, 0.001))
            self.armed = False
