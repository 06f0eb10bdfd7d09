"""The article's comparisons through HTTP, a real worker process and a real broker,
on the embedded default, on PostgreSQL + Redis and on PostgreSQL + RabbitMQ."""

from __future__ import annotations

import io
import time
from typing import Any

import numpy as np
import pytest
import redis
from numpy.testing import assert_allclose
from PIL import Image
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import Lasso, LinearRegression, LogisticRegression, Ridge
from sklearn.model_selection import train_test_split

from service.api.metrics import queue_depths
from service.config import Settings
from service.task_queue import make_celery, publish_job
from tests.conftest import make_settings
from tests.processes import Deployment, deployment
from tests.reference import L1_JOB, L2_JOB, LOGISTIC_L1_JOB, article_data

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", params=["embedded", "services", "rabbitmq"])
def running(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One API and one worker process per backend, shared by this module's tests."""
    folder = tmp_path_factory.mktemp(request.param)
    with deployment(make_settings(request.param, folder, request), folder) as running:
        yield running


def run(d: Deployment, body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    response = d.client.post("/v1/jobs", json=body)
    assert response.status_code == 202, response.text
    job = d.wait_for_job(response.json()["id"])
    assert job["status"] == "succeeded", (job, d.logs())
    result = d.client.get(f"/v1/jobs/{job['id']}/result")
    assert result.status_code == 200, result.text
    return job, result.json()


def assert_coefficients(reported: dict[str, Any], estimator: Any) -> None:
    # A binary classifier's single row of coefficients is reported flat.
    assert_allclose(np.ravel(reported["coef"]), np.ravel(estimator.coef_), rtol=0, atol=1e-9)
    assert_allclose(
        np.ravel(reported["intercept"]), np.ravel(estimator.intercept_), rtol=0, atol=1e-9
    )


#: Every scikit-learn job's model files, beside its figures (workers/export).
MODEL_FILES = {"model.onnx", "baseline.onnx", "model.skops", "baseline.skops"}


def assert_png(d: Deployment, artifact: dict[str, Any]) -> None:
    """A figure listed before it is drawn, drawn by the worker's figures queue while the
    download waits, then listed ready with its size."""
    assert artifact["media_type"] == "image/png"
    assert (artifact["state"], artifact["size"]) == ("available", None)
    response = d.client.get(artifact["url"])
    assert response.status_code == 200, (response.text, d.logs())
    assert response.headers["content-type"] == "image/png"
    result = d.client.get(artifact["url"].rsplit("/artifacts/", 1)[0] + "/result").json()
    listed = {a["name"]: a for a in result["artifacts"]}[artifact["name"]]
    assert (listed["state"], listed["size"]) == ("ready", len(response.content))
    image = Image.open(io.BytesIO(response.content))
    image.verify()
    assert image.format == "PNG"
    assert image.size[0] > 300 and image.size[1] > 200


def test_article_l1_and_l2_match_scikit_learn(running: Deployment) -> None:
    X, y = article_data()
    baseline = LinearRegression().fit(X, y)
    for body, reference in ((L1_JOB, Lasso(alpha=0.2)), (L2_JOB, Ridge(alpha=1.0))):
        job, result = run(running, body)
        assert job["attempt"] == 1
        assert_coefficients(result["coefficients"], reference.fit(X, y))
        assert_coefficients(result["baseline"]["coefficients"], baseline)
        assert result["metrics"]["test"] is None
        assert result["n_train"] == 100
        names = {a["name"] for a in result["artifacts"]}
        assert names == {"fit_comparison.png", "coefficients.png", *MODEL_FILES}
        for artifact in result["artifacts"]:
            if artifact["name"].endswith(".png"):
                assert_png(running, artifact)


def test_logistic_l1_on_breast_cancer_matches_scikit_learn(running: Deployment) -> None:
    _, result = run(running, LOGISTIC_L1_JOB)
    X, y = load_breast_cancer(return_X_y=True)
    X_train, _, y_train, _ = train_test_split(X, y, test_size=0.25, random_state=7, shuffle=True)
    reference = LogisticRegression(C=1 / 0.5, l1_ratio=1.0, solver="liblinear", random_state=7)
    reference.fit(X_train, y_train)
    assert_coefficients(result["coefficients"], reference)
    assert result["coefficients"]["n_nonzero"] == np.count_nonzero(reference.coef_)
    assert set(result["metrics"]["test"]) == {"accuracy", "log_loss", "f1", "roc_auc"}
    names = {a["name"] for a in result["artifacts"]}
    assert names == {"coefficients.png", "confusion_matrix.png", *MODEL_FILES}


def queue_is_empty(settings: Settings) -> bool:
    if settings.uses_filesystem_broker:
        return not any((settings.broker_folder / "queue").iterdir())
    if settings.uses_amqp_broker:
        # RabbitMQ counts the messages ready, not those a worker holds unacknowledged.
        return queue_depths(make_celery(settings), [settings.queue]) == {settings.queue: 0}
    client = redis.Redis.from_url(settings.broker_url)
    # The queue list, and the hash of delivered-but-unacknowledged messages.
    return client.llen(settings.queue) == 0 and client.hlen("unacked") == 0


def test_duplicate_delivery_fits_once(running: Deployment) -> None:
    job, first = run(running, L1_JOB)
    # A second message for the same job, as a broker re-delivery would bring.
    celery = make_celery(running.settings)
    publish_job(celery, job["id"], running.settings.queue)
    deadline = time.monotonic() + 30
    while not queue_is_empty(running.settings):
        assert time.monotonic() < deadline, running.logs()
        time.sleep(0.05)
    time.sleep(0.5)  # let the worker finish the task it took
    again = running.client.get(f"/v1/jobs/{job['id']}").json()
    assert again["attempt"] == 1
    assert again["started_at"] == job["started_at"]
    assert again["finished_at"] == job["finished_at"]
    assert running.client.get(f"/v1/jobs/{job['id']}/result").json() == first
    assert "not queued" in running.processes["worker"].output()


def test_upload_a_csv_and_train_on_it(running: Deployment) -> None:
    from tests.api.test_dataset_uploads import HOUSES

    response = running.client.post(
        "/v1/datasets",
        files={"file": ("houses.csv", HOUSES)},
        data={"name": "houses", "target": "price"},
    )
    assert response.status_code in {200, 201}, response.text
    dataset_id = response.json()["id"]
    body = {
        "dataset": {"id": dataset_id, "features": ["size", "rooms"]},
        "model": {"kind": "linear_regression"},
        "regularizers": [{"kind": "l2", "alpha": 1.0}],
        "split": {"kind": "kfold", "folds": 4},
    }
    _, result = run(running, body)
    rows = [line.split(",") for line in HOUSES.decode().strip().splitlines()[1:]]
    X = np.array([[float(r[0]), float(r[1])] for r in rows])
    y = np.array([float(r[3]) for r in rows])
    reference = Ridge(alpha=1.0).fit(X, y)
    assert_coefficients(result["coefficients"], reference)
    assert result["cross_validation"]["folds"] == 4
    assert result["dataset_hash"] == response.json()["content_hash"]
