"""The API keeps its OpenAPI contract: schemathesis sends generated requests, valid and
invalid, to the app in this process, and runs every check it has on each answer: no 5xx,
status codes, headers and bodies as documented, schema-invalid requests refused and
schema-valid ones accepted, a 405 with Allow, 401 without the key.

A schema-valid request may still be refused (422) for a rule JSON Schema cannot state
(the dataset must exist, a logspace's start must be below its stop...): those errors have
a type of ``RULE_ERROR_TYPES`` and the operation's 422 says the rule, so 422 counts as an
accepted answer to valid data only when each of its errors has such a type.

Bounded and repeatable: few examples per operation, a fixed seed, no example database.
The chains follow the document's links (a created job to its result and artifacts...)
from a store that holds one job that succeeded.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from schemathesis import Case, CheckContext, Response
from schemathesis.config import SchemathesisConfig
from starlette.types import Receive, Scope, Send

from api_schemas.errors import RULE_ERROR_TYPES
from service.config import Settings
from service.main import create_app
from service.migrate import upgrade_database
from tests.reference import L1_JOB

KEY = "contract-test-key-0123456789"
AUTHORIZATION = {"Authorization": f"Bearer {KEY}"}
EXAMPLES = 10  # per operation
CHAINS = 50
STEPS = 8  # at most, per chain

CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": 11,
        "auth": {"openapi": {"HTTPBearer": {"bearer": KEY}}},
        "generation": {"mode": "all", "deterministic": True},
        "checks": {
            "enabled": True,
            "positive_data_acceptance": {
                # 422 for valid data is checked by rule_errors_only, below.
                "expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "422", "429"],
            },
        },
    }
)
SETTINGS = hypothesis.settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)


def openapi_document() -> dict[str, Any]:
    """The document ``create_app`` serves; building it touches no store."""
    with tempfile.TemporaryDirectory() as folder:
        return create_app(Settings(data_dir=Path(folder))).openapi()


class AppUnderTest:
    """The ASGI app schemathesis calls (checks that send requests of their own find it on
    the schema): the ``app`` fixture puts its app here."""

    app: FastAPI | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.app is not None, "the app fixture sets the app"
        await self.app(scope, receive, send)


APP = AppUnderTest()
schema = schemathesis.openapi.from_dict(openapi_document(), config=CONFIG)
schema.app = APP


def rule_errors_only(ctx: CheckContext, response: Response, case: Case[Any]) -> None:
    """A schema-valid request refused with 422 broke a rule beyond the schema, never the
    schema itself (that would be a rule the schema does not state)."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 422:
        return
    types = {error["type"] for error in response.json()["detail"]}
    unstated = types - set(RULE_ERROR_TYPES)
    assert not unstated, f"schema-valid request refused for {sorted(unstated)}: {response.text}"


@dataclass(frozen=True)
class Deployment:
    """The app, and a copy of its data folder to go back to."""

    app: FastAPI
    data_dir: Path
    snapshot: Path

    def restore(self) -> None:
        """The store and files as they were: a chain's requests depend on the answers
        before them, which Hypothesis needs to be the same when it draws a chain again."""
        self.app.state.context.engine.dispose()
        shutil.rmtree(self.data_dir)
        shutil.copytree(self.snapshot, self.data_dir)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    """The app with an API key, on SQLite and the filesystem broker, holding one job that
    succeeded (run here, as a worker would), so that links reach a result and its files."""
    from workers.runtime.job_runner import WorkerContext, run_job  # torch: only when run

    folder = tmp_path_factory.mktemp("contract")
    # A stream of a job nobody runs would never end: end each after a moment.
    settings = Settings(data_dir=folder / "data", api_keys=KEY, event_stream_seconds=0.5)
    upgrade_database(settings)
    app = create_app(settings)
    with TestClient(app) as client:
        job = client.post("/v1/jobs", json=L1_JOB, headers=AUTHORIZATION)
    assert job.status_code == 202, job.text
    assert run_job(WorkerContext.from_settings(settings), job.json()["id"], "w/1") == "succeeded"
    app.state.context.engine.dispose()
    shutil.copytree(settings.data_dir, folder / "snapshot")
    APP.app = app
    return Deployment(app, settings.data_dir, folder / "snapshot")


@pytest.mark.usefixtures("deployment")
@schema.parametrize()
@hypothesis.settings(SETTINGS)
def test_each_operation_answers_as_documented(case: Case[Any]) -> None:
    case.call_and_validate(additional_checks=[rule_errors_only])


def test_operations_chained_by_links_answer_as_documented(deployment: Deployment) -> None:
    class Chains(schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            deployment.restore()

        def validate_response(
            self, response: Response, case: Case[Any], additional_checks: Any = None, **kwargs: Any
        ) -> None:
            super().validate_response(
                response, case, additional_checks=[rule_errors_only], **kwargs
            )

    Chains.run(
        settings=hypothesis.settings(SETTINGS, max_examples=CHAINS, stateful_step_count=STEPS)
    )
