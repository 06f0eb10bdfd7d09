from __future__ import annotations

from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from service.config import Settings
from service.db import make_engine
from service.tables import Job
from tests.factories import job_body


def stored_jobs(settings: Settings) -> int:
    engine = make_engine(settings)
    try:
        with engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(Job)).scalar_one())
    finally:
        engine.dispose()


def published_messages(settings: Settings) -> int:
    if settings.uses_filesystem_broker:
        return len(list((settings.broker_folder / "queue").iterdir()))
    return int(redis.Redis.from_url(settings.broker_url).llen(settings.queue))


def test_post_stores_the_job_then_publishes_its_id(client: TestClient, settings: Settings) -> None:
    response = client.post("/v1/jobs", json=job_body())
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "queued"
    assert body["url"] == f"/v1/jobs/{body['id']}"
    assert stored_jobs(settings) == 1
    assert published_messages(settings) == 1

    job = client.get(body["url"]).json()
    assert job["status"] == "queued"
    assert job["attempt"] == 0
    assert job["spec"]["regularizers"] == [{"kind": "l1", "alpha": 0.2}]
    assert job["spec"]["split"] == {
        "kind": "holdout",
        "folds": 5,
        "stratify": False,
        "test_fraction": 0.0,
        "seed": 0,
    }
    assert job["spec"]["baseline"] is True
    assert job["error"] is None and job["result_url"] is None


BAD_SPECS: list[tuple[str, dict[str, Any], list[str | int], str]] = [
    (
        "unknown dataset",
        job_body(dataset={"name": "mnist_big"}),
        ["body", "dataset", "name"],
        "unknown dataset",
    ),
    (
        "unknown dataset parameter",
        job_body(dataset={"name": "seed_linear", "params": {"rows": 5}}),
        ["body", "dataset", "params", "rows"],
        "no parameter",
    ),
    (
        "dataset parameter out of range",
        job_body(dataset={"name": "seed_linear", "params": {"noise": -1}}),
        ["body", "dataset", "params", "noise"],
        "between",
    ),
    (
        "negative alpha",
        job_body(regularizers=[{"kind": "l1", "alpha": -0.2}]),
        ["body", "regularizers", 0, "l1", "alpha"],
        "greater than 0",
    ),
    (
        "l1_ratio above 1",
        job_body(regularizers=[{"kind": "elastic_net", "alpha": 0.1, "l1_ratio": 1.5}]),
        ["body", "regularizers", 0, "elastic_net", "l1_ratio"],
        "less than or equal to 1",
    ),
    (
        "l1_ratio below 0",
        job_body(regularizers=[{"kind": "elastic_net", "alpha": 0.1, "l1_ratio": -0.1}]),
        ["body", "regularizers", 0, "elastic_net", "l1_ratio"],
        "greater than or equal to 0",
    ),
    (
        "unknown regularizer kind",
        job_body(regularizers=[{"kind": "l3", "alpha": 1}]),
        ["body", "regularizers", 0],
        "does not match any of the expected tags",
    ),
    (
        "a second penalty the linear model does not take",
        job_body(regularizers=[{"kind": "l1", "alpha": 0.1}, {"kind": "l2", "alpha": 0.1}]),
        ["body", "regularizers", 1],
        "use elastic_net",
    ),
    (
        "logistic regression on a regression target",
        job_body(model={"kind": "logistic_regression"}),
        ["body", "model", "kind"],
        "needs a classification dataset",
    ),
    (
        "linear regression on a classification target",
        job_body(dataset={"name": "iris"}),
        ["body", "model", "kind"],
        "needs a regression dataset",
    ),
    (
        "unknown model",
        job_body(model={"kind": "random_forest"}),
        ["body", "model"],
        "does not match any of the expected tags",
    ),
    (
        "solver without the penalty",
        job_body(
            dataset={"name": "breast_cancer"},
            model={"kind": "logistic_regression", "solver": "lbfgs"},
        ),
        ["body", "model", "solver"],
        "does not support penalty l1",
    ),
    (
        "liblinear on a multiclass target",
        job_body(
            dataset={"name": "iris"},
            model={"kind": "logistic_regression", "solver": "liblinear"},
        ),
        ["body", "model", "solver"],
        "binary targets only",
    ),
    (
        "test_fraction of 1",
        job_body(split={"test_fraction": 1.0}),
        ["body", "split", "test_fraction"],
        "less than 1",
    ),
    (
        "test_fraction leaving one training row",
        job_body(split={"test_fraction": 0.99}),
        ["body", "split", "test_fraction"],
        "at least 2",
    ),
    (
        "misspelt field",
        job_body(regularisers=[]),
        ["body", "regularisers"],
        "Extra inputs are not permitted",
    ),
    (
        "dropout on a linear model",
        job_body(regularizers=[{"kind": "dropout", "rate": 0.5}]),
        ["body", "regularizers", 0, "kind"],
        "does not take dropout",
    ),
    (
        "cnn on a table",
        job_body(dataset={"name": "breast_cancer"}, model={"kind": "cnn"}),
        ["body", "model", "kind"],
        "needs an image dataset",
    ),
    (
        "cnn on a regression target",
        job_body(model={"kind": "cnn"}),
        ["body", "model", "kind"],
        "needs a classification dataset",
    ),
    (
        "dropout rate of 1",
        job_body(model={"kind": "mlp"}, regularizers=[{"kind": "dropout", "rate": 1.0}]),
        ["body", "regularizers", 0, "dropout", "rate"],
        "less than 1",
    ),
    (
        "the same regularizer twice",
        job_body(
            model={"kind": "mlp"}, regularizers=[{"kind": "batch_norm"}, {"kind": "batch_norm"}]
        ),
        ["body", "regularizers", 1],
        "given twice",
    ),
    (
        "image augmentation on an mlp",
        job_body(
            dataset={"name": "digits"},
            model={"kind": "mlp"},
            regularizers=[{"kind": "data_augmentation", "flip_probability": 0.5}],
        ),
        ["body", "regularizers", 0, "flip_probability"],
        "augments images",
    ),
    (
        "augmentation that changes nothing",
        job_body(model={"kind": "mlp"}, regularizers=[{"kind": "data_augmentation"}]),
        ["body", "regularizers", 0],
        "changes nothing",
    ),
    (
        "early stopping on accuracy for a regression",
        job_body(
            model={"kind": "mlp"},
            regularizers=[{"kind": "early_stopping", "monitor": "val_accuracy"}],
        ),
        ["body", "regularizers", 0, "monitor"],
        "not measured for a regression dataset",
    ),
    (
        "early stopping without validation rows",
        job_body(
            model={"kind": "mlp"},
            regularizers=[{"kind": "early_stopping"}],
            training={"validation_fraction": 0},
        ),
        ["body", "training", "validation_fraction"],
        "must be above 0",
    ),
    (
        "training settings for scikit-learn",
        job_body(training={"epochs": 5}),
        ["body", "training"],
        "apply to networks",
    ),
    (
        "an unknown device",
        job_body(model={"kind": "mlp"}, training={"device": "tpu"}),
        ["body", "training", "device"],
        "Input should be",
    ),
    (
        "stratify on a regression",
        job_body(split={"test_fraction": 0.2, "stratify": True}),
        ["body", "split", "stratify"],
        "stratify needs classes",
    ),
    (
        "kfold for a network",
        job_body(model={"kind": "mlp"}, split={"kind": "kfold"}),
        ["body", "split", "kind"],
        "kfold applies to linear models",
    ),
    (
        "more folds than rows",
        job_body(
            dataset={"name": "seed_linear", "params": {"n_samples": 4}},
            split={"kind": "kfold", "folds": 5},
        ),
        ["body", "split", "folds"],
        "at least as many rows",
    ),
    (
        "alpha that is not a number",
        job_body(regularizers=[{"kind": "l2", "alpha": "strong"}]),
        ["body", "regularizers", 0, "l2", "alpha"],
        "valid number",
    ),
]


@pytest.mark.parametrize(
    ("body", "loc", "message"), [pytest.param(*c[1:], id=c[0]) for c in BAD_SPECS]
)
def test_bad_spec_is_422_naming_the_field_and_stores_nothing(
    client: TestClient,
    settings: Settings,
    body: dict[str, Any],
    loc: list[str | int],
    message: str,
) -> None:
    response = client.post("/v1/jobs", json=body)
    assert response.status_code == 422, response.text
    errors = response.json()["detail"]
    assert any(e["loc"] == loc and message in e["msg"] for e in errors), errors
    assert stored_jobs(settings) == 0
    assert published_messages(settings) == 0


def test_unknown_job_is_404(client: TestClient) -> None:
    for path in ("", "/result", "/artifacts/coefficients.png"):
        response = client.get(f"/v1/jobs/no-such-job{path}")
        assert response.status_code == 404, path


def test_result_of_an_unfinished_job_is_409_saying_why(client: TestClient) -> None:
    job_id = client.post("/v1/jobs", json=job_body()).json()["id"]
    response = client.get(f"/v1/jobs/{job_id}/result")
    assert response.status_code == 409
    assert "queued" in response.json()["detail"]


def test_list_is_newest_first_with_status_filter_and_cursor(client: TestClient) -> None:
    ids = [client.post("/v1/jobs", json=job_body()).json()["id"] for _ in range(5)]
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, "cursor": cursor or ""}  # "": the first page
        page = client.get("/v1/jobs", params=params).json()
        seen += [job["id"] for job in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids[::-1]
    assert client.get("/v1/jobs", params={"status": "queued"}).json()["items"]
    assert client.get("/v1/jobs", params={"status": "running"}).json()["items"] == []


def test_bad_list_parameters_are_422(client: TestClient) -> None:
    assert client.get("/v1/jobs", params={"status": "done"}).status_code == 422
    assert client.get("/v1/jobs", params={"limit": 0}).status_code == 422
    response = client.get("/v1/jobs", params={"cursor": "not-a-cursor"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "cursor"]
