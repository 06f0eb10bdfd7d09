"""What a job's failure is called: one table from the exceptions a job's work may raise to
the code its row keeps (``JobError.code``). Anything else is the service's own fault:
``internal_error``, with the exception's type in the message."""

from __future__ import annotations

from pydantic import ValidationError

from service.artifacts import StorageUnavailableError
from service.jobs.validation import SpecError
from workers.data.datasets import DatasetUnavailableError
from workers.data.splits import DataError
from workers.runtime.limits import JobOutOfMemoryError
from workers.trainers.network_trainer import TrainingDivergedError
from workers.trainers.torch_device import DeviceUnavailableError

INTERNAL_ERROR = "internal_error"

#: First match wins (by isinstance), so a subclass may be listed before its base.
FAILURE_CODES: dict[type[Exception], str] = {
    ValidationError: "invalid_spec",  # a stored spec that no longer validates
    SpecError: "invalid_spec",  # ... or that the catalog no longer allows
    DataError: "invalid_data",
    DatasetUnavailableError: "invalid_data",
    DeviceUnavailableError: "device_unavailable",
    JobOutOfMemoryError: "out_of_memory",
    TrainingDivergedError: "did_not_converge",
    StorageUnavailableError: "storage_unavailable",
}


def failure_code(exc: Exception) -> str:
    """The code a job that raised ``exc`` fails with."""
    return next(
        (code for kind, code in FAILURE_CODES.items() if isinstance(exc, kind)), INTERNAL_ERROR
    )


def failure_message(exc: Exception) -> str:
    """The message beside the code: the exception's own for the expected failures; with its
    type's name for an internal error, which says nothing without it (``KeyError: 'x'``)."""
    if failure_code(exc) == INTERNAL_ERROR:
        return f"{type(exc).__name__}: {exc}"
    return str(exc)
