"""Every accepted job can run: job specs drawn from the OpenAPI schema that the API
accepts (202) end succeeded, or failed with a user-level code, never internal_error.

The bodies come from schemathesis's generator for POST /v1/jobs; the dataset is drawn
from the built-in catalog (random names would all be 422s), and sizes are capped so
each job stays small (epochs, widths, rows). Each accepted job is run by the code the
Celery task runs (``run_job``), on the embedded store.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from api_schemas.kinds import MODELS
from service.config import Settings
from service.jobs.store import JobStore
from service.main import create_app
from tests.factories import write_fashion_mnist
from workers.runtime.job_runner import WorkerContext, run_job

#: What a job may fail with when its spec was accepted: the data (as split and
#: preprocessed) cannot be fitted, it ran out of its time or its memory, or its training
#: diverged (a step size too large for the data).
USER_LEVEL_CODES = {"invalid_data", "time_limit", "out_of_memory", "did_not_converge"}

SMALL = {"n_samples": 120}
DATASETS = [
    {"name": "seed_linear"},
    {"name": "sparse_regression", "params": {**SMALL, "n_features": 12, "n_informative": 3}},
    {"name": "classification", "params": SMALL},
    {"name": "diabetes"},
    {"name": "breast_cancer"},
    {"name": "iris"},
    {"name": "wine"},
    {"name": "digits"},
    {"name": "fashion_mnist"},
]


def small(body: Any, dataset: dict[str, Any]) -> Any:
    """The drawn body on a small built-in dataset, with capped epochs, widths and
    iterations, so that a job runs in seconds; regularizers the model does not take are
    dropped, so that more of the drawn bodies are accepted."""
    if not isinstance(body, dict):
        return body
    body = {**body, "dataset": dataset, "max_seconds": 60}
    model = body.get("model")
    if isinstance(model, dict):
        model = dict(model)
        kind = MODELS.get(str(model.get("kind", "")))
        regularizers = body.get("regularizers")
        if kind is not None and isinstance(regularizers, list):
            body["regularizers"] = [
                r
                for r in regularizers
                if isinstance(r, dict) and r.get("kind") in kind.regularizers
            ]
        for key in ("hidden", "channels"):
            if isinstance(model.get(key), list):
                model[key] = [min(w, 16) if isinstance(w, int | float) else w for w in model[key]]
        for key, cap in (("fc", 16), ("max_iter", 300)):
            if isinstance(model.get(key), int | float):
                model[key] = min(model[key], cap)
        body["model"] = model
    training = body.get("training")
    if isinstance(training, dict):
        training = dict(training)
        if isinstance(training.get("epochs"), int | float):
            training["epochs"] = min(training["epochs"], 2)
        body["training"] = training
    return body


@pytest.fixture
def service(embedded_settings: Settings) -> Iterator[tuple[TestClient, WorkerContext]]:
    write_fashion_mnist(embedded_settings.data_dir, n_train=120, n_test=40)
    with TestClient(create_app(embedded_settings)) as client:
        yield client, WorkerContext.from_settings(embedded_settings)


def test_every_accepted_job_succeeds_or_fails_with_a_user_level_code(
    service: tuple[TestClient, WorkerContext],
) -> None:
    client, worker = service
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    bodies = schema["/v1/jobs"]["POST"].as_strategy()
    accepted: list[str] = []

    @settings(
        max_examples=50,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        # Each example runs a job: report the first failing spec as drawn, unshrunk.
        phases=[Phase.explicit, Phase.generate],
    )
    @given(case=bodies, dataset=st.sampled_from(DATASETS))
    def run(case: Any, dataset: dict[str, Any]) -> None:
        body = small(case.body, dataset)
        response = client.post("/v1/jobs", json=body)
        assert response.status_code in {202, 422}, (body, response.text)
        if response.status_code != 202:
            return
        job_id = response.json()["id"]
        accepted.append(job_id)
        run_job(worker, job_id, "w/1")
        job = JobStore(worker.attempts.engine).get(job_id)
        assert job is not None
        assert job.status == "succeeded" or job.error_code in USER_LEVEL_CODES, (
            body,
            job.status,
            job.error_code,
            job.error_message,
        )

    run()
    assert len(accepted) >= 10, f"only {len(accepted)} drawn specs were accepted"
