"""Admission: a job whose memory estimate is above REGULAB_MAX_JOB_MEMORY_BYTES is
refused before anything is stored, naming the field to make smaller."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from api_schemas import JobCreate
from service.config import Settings
from service.jobs.cost import estimate_memory
from service.jobs.validation import check_job_spec
from service.main import create_app
from tests.factories import job_body

WIDE = {"kind": "mlp", "hidden": [65536, 65536]}  # 4.3 G weights between the two layers


def network(model: dict[str, Any], **changes: Any) -> dict[str, Any]:
    base = {"dataset": {"name": "digits"}, "model": model, "regularizers": []}
    return job_body(**{**base, **changes})


def assert_refused(response: Any, loc: list[str | int]) -> str:
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", *loc]
    assert "REGULAB_MAX_JOB_MEMORY_BYTES" in error["msg"]
    return str(error["msg"])


def test_a_network_too_big_for_a_worker_is_refused_naming_its_layers(client: TestClient) -> None:
    message = assert_refused(client.post("/v1/jobs", json=network(WIDE)), ["model", "hidden"])
    assert "parameters" in message and "GiB" in message
    assert client.get("/v1/jobs").json()["items"] == []


def test_a_batch_too_big_is_refused_naming_batch_size(settings: Settings) -> None:
    tight = settings.model_copy(update={"max_job_memory_bytes": 2**28})
    body = network({"kind": "mlp", "hidden": [4096]}, training={"batch_size": 65536})
    body["dataset"] = {"name": "sparse_regression", "params": {"n_samples": 100_000}}
    with TestClient(create_app(tight)) as client:
        assert_refused(client.post("/v1/jobs", json=body), ["training", "batch_size"])


def test_too_many_cells_are_refused_naming_the_dataset(settings: Settings) -> None:
    tight = settings.model_copy(update={"max_job_memory_bytes": 2**26})
    body = job_body(
        dataset={"name": "sparse_regression", "params": {"n_samples": 100_000, "n_features": 100}}
    )
    with TestClient(create_app(tight)) as client:
        assert_refused(client.post("/v1/jobs", json=body), ["dataset"])


def test_a_sweep_or_comparison_on_a_base_too_big_is_refused_at_its_base(
    client: TestClient,
) -> None:
    sweep = {
        "base": network(WIDE, regularizers=[{"kind": "dropout", "rate": 0.2}]),
        "grid": {"rate": {"values": [0.1, 0.5]}},
    }
    assert_refused(client.post("/v1/sweeps", json=sweep), ["base", "model", "hidden"])
    comparison = {
        "base": network(WIDE),
        "configurations": [
            {"name": "none", "regularizers": []},
            {"name": "dropout", "regularizers": [{"kind": "dropout", "rate": 0.5}]},
        ],
    }
    assert_refused(client.post("/v1/comparisons", json=comparison), ["base", "model", "hidden"])
    assert client.get("/v1/sweeps").json()["items"] == []
    assert client.get("/v1/jobs").json()["items"] == []


@pytest.mark.parametrize(
    "body",
    [
        job_body(),
        network({"kind": "mlp"}),
        job_body(dataset={"name": "fashion_mnist"}, model={"kind": "cnn"}, regularizers=[]),
    ],
    ids=["article_lasso", "default_mlp", "article_cnn"],
)
def test_the_article_s_jobs_fit_the_default_limit(body: dict[str, Any]) -> None:
    spec = JobCreate.model_validate(body)
    estimate = estimate_memory(spec, check_job_spec(spec).shape)
    assert estimate.total < Settings().max_job_memory_bytes
