from __future__ import annotations

import json
import subprocess
import sys

import pytest
from pydantic import ValidationError

from api_schemas import JobCreate, JobResult
from tests.reference import L1_JOB


def test_imports_neither_fastapi_torch_nor_scikit_learn() -> None:
    code = (
        "import sys, json, api_schemas; "
        "print(json.dumps(sorted(m for m in ('fastapi', 'torch', 'sklearn', 'sqlalchemy',"
        " 'celery', 'numpy') if m in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_the_issue_body_parses_with_documented_defaults() -> None:
    spec = JobCreate.model_validate(L1_JOB)
    assert spec.baseline is True
    assert spec.split.seed == 0
    assert JobCreate.model_validate({**L1_JOB, "split": {}}).split.test_fraction == 0.2


def test_regularizers_are_a_union_discriminated_on_kind() -> None:
    with pytest.raises(ValidationError) as caught:
        JobCreate.model_validate({**L1_JOB, "regularizers": [{"kind": "l2"}]})
    assert caught.value.errors()[0]["loc"] == ("regularizers", 0, "l2", "alpha")


def test_json_schema_is_exportable() -> None:
    for model in (JobCreate, JobResult):
        assert model.model_json_schema()["title"] == model.__name__
