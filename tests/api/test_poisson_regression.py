"""poisson_regression, a scikit-learn model added through the registry: its jobs are
PoissonRegressor's own fits, its validation names what it cannot take, and a sweep over
its alpha fits one model per alpha on each fold, through the API in this process."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import threadpoolctl
from fastapi.testclient import TestClient
from numpy.testing import assert_allclose
from sklearn.datasets import load_diabetes
from sklearn.linear_model import PoissonRegressor
from sklearn.metrics import mean_squared_error, r2_score
from sklearn.model_selection import KFold, train_test_split

from service.config import Settings
from tests.factories import job_body, run_trials
from workers.runtime.job_runner import Outcome, WorkerContext, run_job


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    """A worker caps its BLAS and OpenMP pools (``limit_threads``); these in-process fits
    too, or lbfgs' OpenMP loops spin against each other on a busy machine."""
    with threadpoolctl.threadpool_limits(limits=1):
        yield


POISSON: dict[str, Any] = {
    "dataset": {"name": "diabetes"},
    "model": {"kind": "poisson_regression"},
    "regularizers": [{"kind": "l2", "alpha": 0.01}],
    "split": {"test_fraction": 0.2, "seed": 3},
}


def run(client: TestClient, settings: Settings, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/v1/jobs", json=body)
    assert response.status_code == 202, response.text
    job_id = response.json()["id"]
    assert run_job(WorkerContext.from_settings(settings), job_id, "w/1") is Outcome.succeeded
    result: dict[str, Any] = client.get(f"/v1/jobs/{job_id}/result").json()
    return result


def test_a_job_is_poisson_regressors_own_fit(client: TestClient, settings: Settings) -> None:
    result = run(client, settings, POISSON)

    X, y = load_diabetes(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the job reports lbfgs' notes in its warnings
        reference = PoissonRegressor(alpha=0.01).fit(X_train, y_train)
        unpenalized = PoissonRegressor(alpha=0.0).fit(X_train, y_train)
    assert result["estimator"] == repr(reference)
    coefficients = result["coefficients"]
    assert_allclose(coefficients["coef"], reference.coef_, rtol=1e-9, atol=0)
    assert coefficients["intercept"] == pytest.approx(reference.intercept_, rel=1e-9)
    predicted = reference.predict(X_test)
    test = result["metrics"]["test"]
    assert test["mse"] == pytest.approx(mean_squared_error(y_test, predicted), rel=1e-9)
    assert test["r2"] == pytest.approx(r2_score(y_test, predicted), rel=1e-9)
    baseline = result["baseline"]["coefficients"]["coef"]
    assert_allclose(baseline, unpenalized.coef_, rtol=1e-9, atol=0)
    names = {artifact["name"] for artifact in result["artifacts"]}
    # It has coefficients; ten features, no line. And its models' files (workers/export).
    assert names == {
        "coefficients.png",
        "model.onnx",
        "model.skops",
        "baseline.onnx",
        "baseline.skops",
    }


def test_a_negative_target_fails_the_job_as_invalid_data(
    client: TestClient, settings: Settings
) -> None:
    body = {**POISSON, "dataset": {"name": "sparse_regression"}}
    job_id = client.post("/v1/jobs", json=body).json()["id"]
    assert run_job(WorkerContext.from_settings(settings), job_id, "w/1") is Outcome.failed
    error = client.get(f"/v1/jobs/{job_id}").json()["error"]
    assert error["code"] == "invalid_data" and "never negative" in error["message"]


@pytest.mark.parametrize(
    ("change", "loc", "message"),
    [
        ({"dataset": {"name": "iris"}}, ["body", "model", "kind"], "needs a regression dataset"),
        (
            {"regularizers": [{"kind": "l1", "alpha": 1.0}]},
            ["body", "regularizers", 0, "kind"],
            "poisson_regression does not take l1; it takes l2",
        ),
        (
            {"regularizers": [{"kind": "dropout"}]},
            ["body", "regularizers", 0, "kind"],
            "does not take dropout",
        ),
        ({"training": {"epochs": 3}}, ["body", "training"], "runs on scikit-learn"),
        ({"model": {"kind": "poisson_regression", "engine": "torch"}}, ["body", "model"], ""),
    ],
)
def test_what_it_cannot_take_is_422_naming_the_field(
    client: TestClient, change: dict[str, Any], loc: list[str | int], message: str
) -> None:
    response = client.post("/v1/jobs", json={**POISSON, **change})
    assert response.status_code == 422, response.text
    errors = response.json()["detail"]
    assert any(e["loc"][: len(loc)] == loc and message in e["msg"] for e in errors), errors


SWEEP: dict[str, Any] = {
    "base": {
        **POISSON,
        "model": {"kind": "poisson_regression", "max_iter": 1000, "tol": 1e-8},
    },
    "grid": {"alpha": {"logspace": [-6, -2, 9]}},
    "cv": {"folds": 3, "shuffle": True, "seed": 0},
}


def cold_fits_mse(alphas: list[float]) -> np.ndarray:
    """Folds x alphas: PoissonRegressor fitted anew at each alpha on each KFold fold."""
    X, y = load_diabetes(return_X_y=True)
    scores = []
    for train, test in KFold(3, shuffle=True, random_state=0).split(X):
        row = []
        for alpha in alphas:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = PoissonRegressor(alpha=alpha, max_iter=1000, tol=1e-8)
                model.fit(X[train], y[train])
            row.append(mean_squared_error(y[test], model.predict(X[test])))
        scores.append(row)
    return np.array(scores)


def test_an_alpha_sweep_chooses_what_fitting_each_alpha_chooses(
    client: TestClient, settings: Settings
) -> None:
    response = client.post("/v1/sweeps", json=SWEEP)
    assert response.status_code == 202, response.text
    sweep_id = response.json()["id"]
    assert client.get(f"/v1/sweeps/{sweep_id}").json()["trials_total"] == 3  # no path trial
    assert run_trials(settings, sweep_id) == [Outcome.succeeded] * 3
    result = client.get(f"/v1/sweeps/{sweep_id}/result").json()

    assert (result["parameter"], result["metric"], result["path"]) == ("alpha", "mse", None)
    alphas = result["values"]
    assert alphas == sorted(alphas, reverse=True) and len(alphas) == 9  # strongest first
    reference = cold_fits_mse(alphas)
    # Warm starts along the grid end where cold fits end, to the solver's tolerance.
    assert_allclose(result["cv"]["per_fold"], reference, rtol=1e-5)
    best = alphas[int(np.argmin(reference.mean(axis=0)))]
    assert result["best"] == {"alpha": pytest.approx(best, rel=1e-12)}
    assert alphas[0] > best > alphas[-1]  # a choice inside the grid, not at its edge
    assert result["best_1se"]["alpha"] >= best
    (curve,) = result["artifacts"]
    assert client.get(curve["url"]).content[:4] == b"\x89PNG"


def test_sweeps_it_cannot_run_are_422(client: TestClient) -> None:
    ratios = {**SWEEP, "grid": {**SWEEP["grid"], "l1_ratio": {"values": [0.2, 0.5]}}}
    refused = client.post("/v1/sweeps", json=ratios).json()["detail"][0]
    assert refused["loc"] == ["body", "grid", "l1_ratio"]
    plain = {**SWEEP, "base": {**SWEEP["base"], "regularizers": []}}
    refused = client.post("/v1/sweeps", json=plain).json()["detail"][0]
    assert refused["loc"] == ["body", "base", "regularizers"] and "one l2" in refused["msg"]


def test_a_comparison_scores_each_configuration(client: TestClient, settings: Settings) -> None:
    body: dict[str, Any] = {
        "base": {**job_body(), "dataset": {"name": "diabetes"}, "model": POISSON["model"]},
        "configurations": [
            {"name": "none"},
            {"name": "l2", "regularizers": [{"kind": "l2", "alpha": 0.01}]},
        ],
        "cv": {"folds": 3},
    }
    body["base"].pop("regularizers")
    response = client.post("/v1/comparisons", json=body)
    assert response.status_code == 202, response.text
    comparison_id = response.json()["id"]
    assert run_trials(settings, comparison_id) == [Outcome.succeeded] * 3
    result = client.get(f"/v1/comparisons/{comparison_id}/result").json()
    assert {row["name"] for row in result["leaderboard"]} == {"none", "l2"}
    # No path: an inner CV over alpha (tune) is for the models whose sweeps compute paths.
    l2 = {**body["configurations"][1], "tune": {"alpha": {"values": [0.01, 0.1]}}}
    tuned = {**body, "configurations": [body["configurations"][0], l2]}
    refused = client.post("/v1/comparisons", json=tuned).json()["detail"][0]
    assert refused["loc"] == ["body", "configurations", 1, "tune"]
