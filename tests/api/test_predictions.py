"""Predictions over HTTP with a job's exported pipeline equal the fitted model's own, the
downloaded files give the same numbers, and every bad input is a 4xx naming it."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import onnxruntime as ort
import pytest
import skops.io as sio
import threadpoolctl
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from sklearn.datasets import load_digits, load_iris
from sklearn.linear_model import Lasso, LogisticRegression
from sklearn.model_selection import train_test_split

from service.config import Settings
from service.main import create_app
from tests.api.test_dataset_uploads import upload
from workers.runtime.job_runner import Outcome, WorkerContext, run_job
from workers.trainers.network_io import load_network


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    with threadpoolctl.threadpool_limits(limits=1):
        yield


def trained(client: TestClient, settings: Settings, body: dict[str, Any]) -> str:
    response = client.post("/v1/jobs", json=body)
    assert response.status_code == 202, response.text
    job_id: str = response.json()["id"]
    assert run_job(WorkerContext.from_settings(settings), job_id, "w/1") is Outcome.succeeded
    return job_id


def predict(client: TestClient, job_id: str, body: dict[str, Any], **params: str) -> Any:
    response = client.post(f"/v1/jobs/{job_id}/predictions", json=body, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def onnx_outputs(client: TestClient, job_id: str, feeds: dict[str, np.ndarray]) -> list[Any]:
    """The downloaded model.onnx, run here with onnxruntime."""
    response = client.get(f"/v1/jobs/{job_id}/model", params={"format": "onnx"})
    assert response.status_code == 200, response.text
    session = ort.InferenceSession(response.content, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(names, feeds), strict=True))  # type: ignore[return-value]


LASSO = {
    "dataset": {"name": "diabetes"},
    "model": {"kind": "linear_regression"},
    "regularizers": [{"kind": "l1", "alpha": 0.05}],
    "split": {"test_fraction": 0.25, "seed": 1},
}


def test_a_lasso_predicts_as_scikit_learn_and_as_its_downloaded_files(
    client: TestClient, settings: Settings
) -> None:
    from sklearn.datasets import load_diabetes

    job_id = trained(client, settings, LASSO)
    X, y = load_diabetes(return_X_y=True)
    X_train, X_test, y_train, _ = train_test_split(X, y, test_size=0.25, random_state=1)
    reference = Lasso(alpha=0.05).fit(X_train, y_train)
    answer = predict(client, job_id, {"instances": X_test[:20].tolist()})
    assert answer["model"] == "regularized" and answer["probabilities"] is None
    assert_allclose(answer["predictions"], reference.predict(X_test[:20]), rtol=1e-9)

    baseline = predict(client, job_id, {"instances": X_test[:5].tolist()}, model="baseline")
    assert baseline["model"] == "baseline"
    assert not np.allclose(baseline["predictions"], answer["predictions"][:5])

    outputs = onnx_outputs(client, job_id, {"X": X_test[:20]})
    assert_allclose(outputs["predictions"], answer["predictions"], rtol=1e-12)
    skops_file = client.get(f"/v1/jobs/{job_id}/model", params={"format": "skops"})
    assert skops_file.status_code == 200
    loaded = sio.loads(
        skops_file.content, trusted=["sklearn.linear_model._coordinate_descent.Lasso"]
    )
    assert_allclose(loaded.predict(X_test[:20]), answer["predictions"], rtol=1e-9)


def test_a_multiclass_logistic_regression_gives_labels_and_probabilities(
    client: TestClient, settings: Settings
) -> None:
    body = {
        "dataset": {"name": "iris"},
        "model": {"kind": "logistic_regression", "max_iter": 1000},
        "regularizers": [{"kind": "l2", "alpha": 1.0}],
        "split": {"test_fraction": 0.2, "seed": 0},
    }
    job_id = trained(client, settings, body)
    X, y = load_iris(return_X_y=True)
    X_train, X_test, y_train, _ = train_test_split(X, y, test_size=0.2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = LogisticRegression(C=1.0, max_iter=1000).fit(X_train, y_train)
    answer = predict(client, job_id, {"instances": X_test.tolist()})
    assert answer["classes"] == ["setosa", "versicolor", "virginica"]
    assert_allclose(answer["probabilities"], reference.predict_proba(X_test), rtol=1e-6)
    names = np.asarray(answer["classes"])[reference.predict(X_test)]
    assert answer["predictions"] == names.tolist()


HOUSES = b"""size,rooms,district,price
50,2,north,150
80,3,south,260
65,,north,200
120,4,east,400
45,1,south,120
90,3,,300
70,2,east,230
100,4,north,350
55,2,south,170
85,3,east,
"""


def test_an_upload_s_preprocessing_is_part_of_the_model(
    client: TestClient, settings: Settings
) -> None:
    data = HOUSES.replace(b"85,3,east,\n", b"85,3,east,280\n")
    dataset = upload(client, data, target="price").json()
    body = {
        "dataset": {"id": dataset["id"]},
        "model": {"kind": "linear_regression"},
        "regularizers": [{"kind": "l2", "alpha": 0.5}],
        "preprocessing": {"missing": "impute_mean", "standardize": True},
        "split": {"test_fraction": 0},
    }
    job_id = trained(client, settings, body)
    result = client.get(f"/v1/jobs/{job_id}/result").json()
    rows = [
        {"size": 50, "rooms": 2, "district": "north"},
        {"size": 80, "rooms": 3, "district": "south"},
        {"size": 65, "rooms": None, "district": "north"},
        {"size": 120, "rooms": 4, "district": "east"},
        {"size": 45, "rooms": 1, "district": "south"},
        {"size": 90, "rooms": 3, "district": None},
        {"size": 70, "rooms": 2, "district": "east"},
        {"size": 100, "rooms": 4, "district": "north"},
        {"size": 55, "rooms": 2, "district": "south"},
        {"size": 85, "rooms": 3, "district": "east"},
    ]
    prices = np.array([150, 260, 200, 400, 120, 300, 230, 350, 170, 280], dtype=float)
    answer = predict(client, job_id, {"rows": rows})
    residual = ((prices - np.asarray(answer["predictions"])) ** 2).sum()
    r2 = 1 - residual / ((prices - prices.mean()) ** 2).sum()
    assert r2 == pytest.approx(result["metrics"]["train"]["r2"], rel=1e-9)

    unknown = predict(client, job_id, {"rows": [{"size": 60, "rooms": 2, "district": "west"}]})
    assert unknown["warnings"] == [
        "row 0: district='west' was not seen in training; its one-hot columns are 0"
    ]
    feeds = {
        "size": np.array([[60.0]]),
        "rooms": np.array([[2.0]]),
        "district": np.array([["west"]], dtype=object),
    }
    outputs = onnx_outputs(client, job_id, feeds)
    assert_allclose(outputs["predictions"], unknown["predictions"], rtol=1e-12)


@pytest.mark.parametrize(
    "model",
    [{"kind": "mlp", "hidden": [32]}, {"kind": "cnn", "channels": [4, 8], "fc": 16}],
    ids=["mlp", "cnn"],
)
def test_a_network_predicts_as_its_trainer(
    client: TestClient, settings: Settings, model: dict[str, Any]
) -> None:
    body = {
        "dataset": {"name": "digits"},
        "model": model,
        "regularizers": [{"kind": "dropout", "rate": 0.2}],
        "training": {"epochs": 2},
    }
    job_id = trained(client, settings, body)
    weights = client.get(f"/v1/jobs/{job_id}/model", params={"format": "safetensors"})
    assert weights.status_code == 200
    trainer = load_network(weights.content)
    X = load_digits().data[:16]
    instances = X.reshape(-1, 1, 8, 8) if model["kind"] == "cnn" else X
    answer = predict(client, job_id, {"instances": instances.tolist()})
    assert_allclose(answer["probabilities"], trainer.predict_proba(X), rtol=1e-5, atol=1e-6)
    classes = np.asarray(answer["classes"])
    assert answer["predictions"] == classes[trainer.predict_proba(X).argmax(1)].tolist()


def test_predictions_refuse_what_they_cannot_answer(client: TestClient, settings: Settings) -> None:
    queued = client.post("/v1/jobs", json=LASSO).json()["id"]
    response = client.post(f"/v1/jobs/{queued}/predictions", json={"instances": [[0.0] * 10]})
    assert response.status_code == 409 and "succeeded" in response.json()["detail"]
    missing = client.post("/v1/jobs/no-such-job/predictions", json={"instances": [[0.0]]})
    assert missing.status_code == 404

    job_id = trained(client, settings, {**LASSO, "baseline": False})
    no_baseline = client.post(
        f"/v1/jobs/{job_id}/predictions",
        json={"instances": [[0.0] * 10]},
        params={"model": "baseline"},
    )
    assert no_baseline.status_code == 409 and "no baseline" in no_baseline.json()["detail"]
    for body, loc in [
        ({"instances": [[0.0] * 9]}, ["body", "instances", 0]),
        ({"rows": [{"age": 1}]}, ["body", "rows"]),
        ({"instances": [[0.0] * 10], "rows": [{"a": 1}]}, ["body", "rows"]),
        ({"instances": []}, ["body", "instances"]),
        ({}, ["body", "instances"]),
    ]:
        response = client.post(f"/v1/jobs/{job_id}/predictions", json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["detail"][0]["loc"] == loc, (body, response.text)
    skops = client.get(f"/v1/jobs/{job_id}/model", params={"format": "safetensors"})
    assert skops.status_code == 409 and "ask onnx or skops" in skops.json()["detail"]


def test_more_rows_than_the_limit_and_a_body_over_the_limit(settings: Settings) -> None:
    small = settings.model_copy(
        update={"max_prediction_rows": 3, "max_prediction_body_bytes": 4096}
    )
    with TestClient(create_app(small)) as client:
        job_id = trained(client, small, LASSO)
        many = client.post(f"/v1/jobs/{job_id}/predictions", json={"instances": [[0.0] * 10] * 4})
        assert many.status_code == 422
        assert "REGULAB_MAX_PREDICTION_ROWS" in many.json()["detail"][0]["msg"]
        big = client.post(
            f"/v1/jobs/{job_id}/predictions",
            content=b'{"instances": [' + b"[0.5]," * 2000 + b"[0.5]]}",
            headers={"content-type": "application/json"},
        )
        assert big.status_code == 413


def test_a_deleted_job_predicts_no_more_here_at_once_and_elsewhere_once_not_trusted(
    settings: Settings,
) -> None:
    """A delete through this API process is seen by its next prediction; one through
    another process once the card is older than REGULAB_PREDICTION_TRUST_SECONDS."""
    one_row = {"instances": [[0.01] * 10]}
    with TestClient(create_app(settings)) as client:
        job_id = trained(client, settings, LASSO)
        predict(client, job_id, one_row)  # the card is now trusted here
        assert client.delete(f"/v1/jobs/{job_id}").status_code == 204
        assert client.post(f"/v1/jobs/{job_id}/predictions", json=one_row).status_code == 404

    untrusting = settings.model_copy(update={"prediction_trust_seconds": 0.0})
    with (
        TestClient(create_app(untrusting)) as here,
        TestClient(create_app(untrusting)) as elsewhere,
    ):
        job_id = trained(here, untrusting, LASSO)
        predict(here, job_id, one_row)
        assert elsewhere.delete(f"/v1/jobs/{job_id}").status_code == 204
        assert here.post(f"/v1/jobs/{job_id}/predictions", json=one_row).status_code == 404


def test_a_body_is_parsed_as_the_standard_library_parses_it(
    client: TestClient, settings: Settings
) -> None:
    """The fast JSON parser: a malformed body is FastAPI's json_invalid at its position;
    NaN (which JSON does not have, but Python writes) is refused as a value; UTF-16 reads."""
    job_id = trained(client, settings, LASSO)
    url = f"/v1/jobs/{job_id}/predictions"
    headers = {"content-type": "application/json"}
    malformed = client.post(url, content=b'{"instances": [[0.1,', headers=headers)
    assert malformed.status_code == 422
    assert malformed.json()["detail"][0]["type"] == "json_invalid"
    assert malformed.json()["detail"][0]["loc"] == ["body", 20]
    nan = client.post(url, content=b'{"instances": [[NaN' + b", 0" * 9 + b"]]}", headers=headers)
    assert nan.status_code == 422 and nan.json()["detail"][0]["loc"] == ["body", "instances", 0]
    wide = '{"instances": [[0.1' + ", 0" * 9 + "]]}"
    answer = client.post(url, content=wide.encode("utf-16"), headers=headers)
    assert answer.status_code == 200, answer.text
    exact = client.post(url, content=wide.encode(), headers=headers).json()
    assert answer.json()["predictions"] == exact["predictions"]


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.integers()
    | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)


def test_random_bodies_get_a_2xx_or_a_4xx_never_a_5xx(
    client: TestClient, settings: Settings
) -> None:
    dataset = upload(client, HOUSES.replace(b"85,3,east,\n", b"85,3,east,280\n"), target="price")
    body = {
        "dataset": {"id": dataset.json()["id"]},
        "model": {"kind": "linear_regression"},
        "preprocessing": {"missing": "impute_median"},
    }
    jobs = [trained(client, settings, body), trained(client, settings, LASSO)]

    @hypothesis_settings(
        max_examples=150, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )
    @given(
        job=st.sampled_from(jobs),
        body=st.fixed_dictionaries(
            {},
            optional={
                "rows": st.lists(
                    st.dictionaries(
                        st.sampled_from(["size", "rooms", "district", "price", "x"]), JSON_VALUES
                    ),
                    max_size=3,
                ),
                "instances": st.lists(JSON_VALUES, max_size=3),
            },
        )
        | JSON_VALUES,
    )
    def post(job: str, body: Any) -> None:
        response = client.post(f"/v1/jobs/{job}/predictions", json=body)
        assert response.status_code < 500, (body, response.text)

    post()
