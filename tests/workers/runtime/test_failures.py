"""The code and message a job fails with, for each exception its work may raise."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from api_schemas import JobCreate
from service.jobs.validation import SpecError
from workers.data.datasets import DatasetUnavailableError
from workers.data.splits import DataError
from workers.runtime.failures import failure_code, failure_message
from workers.trainers.torch_device import DeviceUnavailableError


def validation_error() -> ValidationError:
    try:
        JobCreate.model_validate({"dataset": {"name": "retired_dataset"}})
    except ValidationError as exc:
        return exc
    raise AssertionError("the spec validated")


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (validation_error(), "invalid_spec"),
        (SpecError(("model", "solver"), "lbfgs does not take l1"), "invalid_spec"),
        (DataError("the target column is constant"), "invalid_data"),
        (DatasetUnavailableError("fashion_mnist is not downloaded"), "invalid_data"),
        (DeviceUnavailableError("cuda was asked for; none is visible"), "device_unavailable"),
    ],
)
def test_an_expected_failure_keeps_its_own_message(exc: Exception, code: str) -> None:
    assert failure_code(exc) == code
    assert failure_message(exc) == str(exc)


def test_anything_else_is_an_internal_error_named_by_its_type() -> None:
    assert failure_code(KeyError("alphas")) == "internal_error"
    assert failure_message(KeyError("alphas")) == "KeyError: 'alphas'"
    assert failure_code(ZeroDivisionError("division by zero")) == "internal_error"
