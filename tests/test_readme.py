"""The README's commands, walk-through and settings table stay true."""

from __future__ import annotations

import json
import re
from pathlib import Path

from pydantic import BaseModel

from api_schemas import JobCreate
from api_schemas.comparisons import ComparisonCreate
from api_schemas.predictions import PredictionRequest
from api_schemas.registry import AliasUpdate, ModelVersionCreate, RegisteredModelCreate
from api_schemas.sweeps import SweepCreate
from api_schemas.webhooks import WebhookCreate
from service.config import Settings
from service.sweeps.validation import check_comparison_spec, check_sweep_spec
from tests.reference import L1_JOB, L2_JOB

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_opens_with_the_two_commands_and_ci_runs_the_test_command() -> None:
    block = re.search(r"```sh\n(.*?)```", README, re.S)
    assert block, "the README opens with a shell block"
    commands = [line for line in block.group(1).splitlines() if line and not line.startswith("#")]
    assert len(commands) == 2
    assert commands[0].endswith("regulab up")
    assert "pytest" in commands[1]
    assert commands[1] in (ROOT / ".ci" / "run").read_text()


#: The bodies of the model calls (names, versions, aliases, predictions), each told by a
#: field that only it has.
MODEL_CALL_BODIES: dict[str, type[BaseModel]] = {
    "name": RegisteredModelCreate,
    "job_id": ModelVersionCreate,
    "version": AliasUpdate,
    "rows": PredictionRequest,
    "instances": PredictionRequest,
}


def test_curl_bodies_are_the_articles_jobs() -> None:
    bodies = [json.loads(b) for b in re.findall(r"-d '(\{.*?\})'", README, re.S)]
    assert bodies[:2] == [L1_JOB, L2_JOB]
    bodies += [json.loads(b) for b in re.findall(r"```json\n(.*?)```", README, re.S)]
    for body in bodies:
        if "configurations" in body:
            check_comparison_spec(ComparisonCreate.model_validate(body))
        elif "base" in body:
            check_sweep_spec(SweepCreate.model_validate(body))
        elif fields := body.keys() & MODEL_CALL_BODIES.keys():
            (field,) = fields
            MODEL_CALL_BODIES[field].model_validate(body)
        elif body.keys() == {"dataset"}:  # a scoring: a table to predict, no model
            PredictionRequest.model_validate(body)
        elif "url" in body:
            WebhookCreate.model_validate(body)
        else:
            JobCreate.model_validate(body)


def test_settings_table_lists_every_setting() -> None:
    documented = set(re.findall(r"^\| `REGULAB_([A-Z0-9_]+)` \|", README, re.M))
    assert documented == {name.upper() for name in Settings.model_fields}
