"""Sweeps over HTTP with the worker's code run in this process, on both backends."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sklearn.datasets import load_diabetes
from sklearn.linear_model import ElasticNet, ElasticNetCV, LassoCV
from sklearn.model_selection import KFold

from service.config import Settings
from service.sweeps.store import SweepStore
from tests.factories import run_trials
from workers.runtime.job_runner import Outcome, WorkerContext

SWEEP: dict[str, Any] = {
    "base": {
        "dataset": {"name": "diabetes"},
        "model": {"kind": "linear_regression"},
        "regularizers": [{"kind": "l1", "alpha": 1.0}],
    },
    "grid": {"alpha": {"logspace": [-4, 1, 30]}},
    "cv": {"folds": 5, "shuffle": True, "seed": 0},
}


def test_a_lasso_sweep_equals_lasso_cv(client: TestClient, settings: Settings) -> None:
    response = client.post("/v1/sweeps", json=SWEEP)
    assert response.status_code == 202, response.text
    sweep_id = response.json()["id"]
    assert (
        client.get(f"/v1/sweeps/{sweep_id}").json()["trials_total"] == 6
    )  # 5 folds and the path on every row
    assert client.get(f"/v1/sweeps/{sweep_id}/result").status_code == 409
    assert client.get("/v1/jobs").json()["items"] == []  # folds are the sweep's, not listed
    assert run_trials(settings, sweep_id) == [Outcome.succeeded] * 6
    sweep = client.get(f"/v1/sweeps/{sweep_id}").json()
    assert (sweep["status"], sweep["trials_done"]) == ("succeeded", 6)
    result = client.get(f"/v1/sweeps/{sweep_id}/result").json()

    X, y = load_diabetes(return_X_y=True)
    alphas = np.logspace(-4, 1, 30)
    reference = LassoCV(alphas=alphas, cv=KFold(5, shuffle=True, random_state=0)).fit(X, y)
    assert result["best"] == {"alpha": pytest.approx(reference.alpha_, rel=1e-12)}
    assert np.allclose(result["cv"]["mean"], reference.mse_path_.mean(axis=1), rtol=1e-6)
    assert result["best_1se"]["alpha"] >= result["best"]["alpha"]
    # The train/test gap: training rows fit better than held-out ones, most at weak alphas.
    train, cv = np.array(result["train"]["mean"]), np.array(result["cv"]["mean"])
    assert np.all(train <= cv) and np.array(result["train"]["per_fold"]).shape == (5, 30)
    assert result["train_mean"] == result["train"]["mean"]
    assert len(result["path"]["coef"]) == 30 and len(result["path"]["coef"][0]) == 10
    assert result["path"]["n_nonzero"][0] == 0  # the strongest alpha zeroes everything
    for artifact in result["artifacts"]:
        picture = client.get(artifact["url"])
        assert picture.status_code == 200 and picture.content[:4] == b"\x89PNG"


def test_an_l1_ratio_grid_chooses_what_elastic_net_cv_chooses(
    client: TestClient, settings: Settings
) -> None:
    body = {
        **SWEEP,
        "base": {**SWEEP["base"], "regularizers": [{"kind": "elastic_net", "alpha": 1.0}]},
        "grid": {"alpha": {"logspace": [-4, 1, 20]}, "l1_ratio": {"values": [0.2, 0.9, 0.5]}},
    }
    sweep_id = client.post("/v1/sweeps", json=body).json()["id"]
    assert run_trials(settings, sweep_id) == [Outcome.succeeded] * 6
    result = client.get(f"/v1/sweeps/{sweep_id}/result").json()

    X, y = load_diabetes(return_X_y=True)
    reference = ElasticNetCV(
        alphas=np.logspace(-4, 1, 20),
        l1_ratio=[0.2, 0.9, 0.5],
        cv=KFold(5, shuffle=True, random_state=0),
    ).fit(X, y)
    assert result["best"] == {
        "alpha": pytest.approx(reference.alpha_, rel=1e-12),
        "l1_ratio": reference.l1_ratio_,
    }
    assert result["best_1se"]["l1_ratio"] == reference.l1_ratio_
    curves = result["by_l1_ratio"]
    assert [c["l1_ratio"] for c in curves] == [0.2, 0.9, 0.5]
    for curve, mse_path in zip(curves, reference.mse_path_, strict=True):
        assert np.allclose(np.array(curve["cv"]["per_fold"]).T, mse_path, rtol=1e-6)
    chosen = next(c for c in curves if c["l1_ratio"] == reference.l1_ratio_)
    assert result["cv"] == chosen["cv"]
    final = ElasticNet(alpha=result["values"][3], l1_ratio=reference.l1_ratio_).fit(X, y)
    scale = np.abs(final.coef_).max()
    assert np.allclose(result["path"]["coef"][3], final.coef_, atol=1e-3 * scale)


@pytest.mark.parametrize(
    ("grid", "loc"),
    [
        ({"l1_ratio": {"values": [0.2, 0.5]}}, ["body", "grid", "alpha"]),
        (
            {"alpha": {"values": [1, 2]}, "l1_ratio": {"values": [0.5, 2]}},
            ["body", "grid", "l1_ratio"],
        ),
        ({"alpha": {"values": [1, 2]}, "rate": {"values": [0.1, 0.2]}}, ["body", "grid"]),
    ],
)
def test_grids_that_do_not_fit_together_are_422(
    client: TestClient, grid: dict[str, Any], loc: list[str]
) -> None:
    body = {
        **SWEEP,
        "base": {**SWEEP["base"], "regularizers": [{"kind": "elastic_net", "alpha": 1.0}]},
        "grid": grid,
    }
    response = client.post("/v1/sweeps", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == loc
    lasso = {**SWEEP, "grid": {"alpha": {"values": [1, 2]}, "l1_ratio": {"values": [0.2, 0.5]}}}
    refused = client.post("/v1/sweeps", json=lasso).json()["detail"][0]
    assert refused["loc"] == ["body", "base", "regularizers"] and "elastic_net" in refused["msg"]


def test_cancelling_a_sweep_cancels_its_folds(client: TestClient, settings: Settings) -> None:
    sweep_id = client.post("/v1/sweeps", json=SWEEP).json()["id"]
    fold = SweepStore(WorkerContext.from_settings(settings).attempts.engine).trials(sweep_id)[0]
    for method, path in [("POST", "cancel"), ("POST", "retry"), ("DELETE", "")]:
        refused = client.request(method, f"/v1/jobs/{fold.id}/{path}".rstrip("/"))
        assert refused.status_code == 409 and "cancel the sweep" in refused.json()["detail"]
    assert client.post(f"/v1/sweeps/{sweep_id}/cancel").json()["status"] == "cancelled"
    assert run_trials(settings, sweep_id) == [Outcome.skipped] * 6
    assert client.post(f"/v1/sweeps/{sweep_id}/cancel").status_code == 409


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        (
            {"model": {"kind": "linear_regression", "engine": "torch"}},
            ["body", "base", "model", "kind"],
        ),
        ({"regularizers": []}, ["body", "base", "regularizers"]),
        ({"dataset": {"name": "nope"}}, ["body", "base", "dataset", "name"]),
    ],
)
def test_sweeps_it_cannot_run_are_422(
    client: TestClient, change: dict[str, Any], loc: list[str]
) -> None:
    body = {**SWEEP, "base": {**SWEEP["base"], **change}}
    response = client.post("/v1/sweeps", json=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == loc


def test_a_bad_grid_is_422(client: TestClient) -> None:
    body = {**SWEEP, "grid": {"alpha": {"logspace": [1, -4, 30]}}}
    assert client.post("/v1/sweeps", json=body).status_code == 422
    body = {**SWEEP, "grid": {"alpha": {"values": [0.1, -1]}}}
    assert client.post("/v1/sweeps", json=body).status_code == 422


@pytest.mark.parametrize(
    ("dataset", "solver", "classes"),
    [("breast_cancer", "liblinear", 2), ("iris", "saga", 3)],  # saga: the multiclass l1 solver
)
def test_an_l1_logistic_sweep_chooses_what_logistic_regression_cv_chooses(
    client: TestClient, settings: Settings, dataset: str, solver: str, classes: int
) -> None:
    import warnings

    from sklearn import datasets
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.model_selection import StratifiedKFold

    body = {
        "base": {
            "dataset": {"name": dataset},
            "model": {"kind": "logistic_regression"},
            "regularizers": [{"kind": "l1", "alpha": 1.0}],
        },
        "grid": {"alpha": {"logspace": [-2, 2, 6]}},
        "cv": {"folds": 3, "seed": 0},
    }
    sweep_id = client.post("/v1/sweeps", json=body).json()["id"]
    assert run_trials(settings, sweep_id) == [Outcome.succeeded] * 4
    result = client.get(f"/v1/sweeps/{sweep_id}/result").json()
    assert result["metric"] == "accuracy"
    X, y = getattr(datasets, f"load_{dataset}")(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # stops at max_iter on unscaled data, as the folds did
        reference = LogisticRegressionCV(
            Cs=[1 / a for a in result["values"]],
            cv=StratifiedKFold(3, shuffle=True, random_state=0),
            l1_ratios=[1.0],
            solver=solver,
            random_state=0,
            scoring="accuracy",
            use_legacy_attributes=True,
        ).fit(X, y)
    assert 1 / result["best"]["alpha"] == pytest.approx(reference.C_[0])
    scores = reference.scores_[reference.classes_[-1]][:, :, 0]
    assert np.allclose(result["cv"]["per_fold"], scores, atol=1e-12)
    path = result["path"]
    if classes > 2:  # a coefficient per class and feature, an intercept per class
        assert len(path["feature_names"]) == 3 * 4
        assert path["feature_names"][0].startswith("setosa:") and len(path["intercept"][0]) == 3
    assert path["n_nonzero"][0] < path["n_nonzero"][-1]


def test_a_dropout_rate_sweep_on_digits(client: TestClient, settings: Settings) -> None:
    body = {
        "base": {
            "dataset": {"name": "digits"},
            "model": {"kind": "mlp", "hidden": [32]},
            "regularizers": [{"kind": "dropout", "rate": 0.5}],
            "training": {"epochs": 5, "optimizer": "adam", "lr": 0.01},
        },
        "grid": {"rate": {"values": [0.0, 0.25, 0.5]}},
        "cv": {"folds": 3},
    }
    response = client.post("/v1/sweeps", json=body)
    assert response.status_code == 202, response.text
    sweep_id = response.json()["id"]
    assert run_trials(settings, sweep_id) == [Outcome.succeeded] * 3
    result = client.get(f"/v1/sweeps/{sweep_id}/result").json()
    assert (result["parameter"], result["metric"], result["path"]) == ("rate", "accuracy", None)
    assert result["values"] == [0.5, 0.25, 0.0]  # strongest first
    assert all(0.3 < score <= 1 for score in result["cv"]["mean"])  # chance is 0.1
    assert len(result["cv"]["per_fold"]) == 3 and set(result["best"]) == {"rate"}
    (curve,) = result["artifacts"]
    assert curve["name"] == "validation_curve.png"
    assert client.get(curve["url"]).content[:4] == b"\x89PNG"
    no_dropout = {**body, "base": {**body["base"], "regularizers": []}}
    assert client.post("/v1/sweeps", json=no_dropout).status_code == 422


def test_a_weight_decay_sweep_trains_a_network_per_alpha(
    client: TestClient, settings: Settings
) -> None:
    body = {
        "base": {
            "dataset": {"name": "digits"},
            "model": {"kind": "mlp", "hidden": [32]},
            "regularizers": [{"kind": "weight_decay", "alpha": 0.1}],
            "training": {"epochs": 3, "optimizer": "adam", "lr": 0.01},
        },
        "grid": {"alpha": {"logspace": [-4, 2, 3]}},
        "cv": {"folds": 3},
    }
    response = client.post("/v1/sweeps", json=body)
    assert response.status_code == 202, response.text
    sweep_id = response.json()["id"]
    assert run_trials(settings, sweep_id) == [Outcome.succeeded] * 3
    result = client.get(f"/v1/sweeps/{sweep_id}/result").json()
    assert (result["parameter"], result["metric"], result["path"]) == ("alpha", "accuracy", None)
    assert result["values"] == pytest.approx([100, 0.1, 1e-4])
    # lr * alpha = 1 zeroes every weight after each step (chance level); the weak
    # decays learn the digits.
    assert result["cv"]["mean"][0] < 0.3
    assert min(result["cv"]["mean"][1:]) > 0.8
    assert result["best"]["alpha"] < 100 and result["best_1se"]["alpha"] < 100

    # Each epoch of each network was a checkpoint of its fold's job.
    fold = SweepStore(WorkerContext.from_settings(settings).attempts.engine).trials(sweep_id)[0]
    history = client.get(f"/v1/jobs/{fold.id}/history").json()
    stages = [entry["data"]["stage"] for entry in history["items"]]
    assert stages[:4] == [
        "alpha=100: epoch 1",
        "alpha=100: epoch 2",
        "alpha=100: epoch 3",
        "alpha=0.1: epoch 1",
    ]
    assert stages[-1] == "fold 0" and len(stages) == 3 * 3 + 1

    two = {
        **body["base"],
        "regularizers": [*body["base"]["regularizers"], {"kind": "l2", "alpha": 1}],
    }
    refused = client.post("/v1/sweeps", json={**body, "base": two}).json()["detail"][0]
    assert refused["loc"] == ["body", "base", "regularizers"] and "has 2" in refused["msg"]
    ratios = {**body, "grid": {**body["grid"], "l1_ratio": {"values": [0.2, 0.5]}}}
    refused = client.post("/v1/sweeps", json=ratios).json()["detail"][0]
    assert refused["loc"] == ["body", "grid", "l1_ratio"]


def test_a_sweep_whose_aggregation_raises_fails_once(
    client: TestClient, settings: Settings
) -> None:
    from workers.sweeps.aggregation import finish_sweep

    sweep_id = client.post("/v1/sweeps", json=SWEEP).json()["id"]
    ctx = WorkerContext.from_settings(settings)
    for job in ctx.sweeps.trials(sweep_id):  # folds that "succeeded" with nothing in them
        claimed = ctx.attempts.claim(job.id, "w/1")
        assert claimed is not None
        assert ctx.attempts.succeed(job.id, claimed.attempt, {}, [])
    assert finish_sweep(ctx.sweeps, ctx.artifacts, sweep_id) == "failed"
    sweep = client.get(f"/v1/sweeps/{sweep_id}").json()
    assert sweep["status"] == "failed" and sweep["error"]["code"] == "internal_error"
    assert sweep["error"]["message"].startswith("aggregation: ValidationError")
    assert finish_sweep(ctx.sweeps, ctx.artifacts, sweep_id) is None


def test_sweeps_and_comparisons_are_listed_newest_first_a_page_at_a_time(
    client: TestClient,
) -> None:
    from tests.api.test_comparisons import COMPARISON

    first, second = (client.post("/v1/sweeps", json=SWEEP).json()["id"] for _ in range(2))
    comparison = client.post("/v1/comparisons", json=COMPARISON).json()["id"]
    page = client.get("/v1/sweeps", params={"limit": 1, "cursor": ""}).json()  # first page
    assert [s["id"] for s in page["items"]] == [second] and page["next_cursor"]
    rest = client.get("/v1/sweeps", params={"cursor": page["next_cursor"]}).json()
    assert [s["id"] for s in rest["items"]] == [first] and rest["next_cursor"] is None
    assert rest["items"][0]["trials_total"] == 6 and rest["items"][0]["trials_done"] == 0
    listed = client.get("/v1/comparisons").json()["items"]
    assert [c["id"] for c in listed] == [comparison] and listed[0]["spec"]["kind"] == "comparison"
    client.post(f"/v1/sweeps/{first}/cancel")
    cancelled = client.get("/v1/sweeps", params={"status": "cancelled"}).json()["items"]
    assert [s["id"] for s in cancelled] == [first]
    assert client.get("/v1/sweeps", params={"cursor": "nonsense"}).status_code in {400, 422}


def test_a_finished_sweep_can_be_deleted_with_its_tasks_and_figures(
    client: TestClient, settings: Settings
) -> None:
    body = {**SWEEP, "grid": {"alpha": {"logspace": [-2, 1, 4]}}, "cv": {"folds": 2}}
    sweep_id = client.post("/v1/sweeps", json=body).json()["id"]
    refused = client.delete(f"/v1/sweeps/{sweep_id}")
    assert refused.status_code == 409 and "cancel it" in refused.json()["detail"]
    run_trials(settings, sweep_id)
    figures = settings.artifacts_root / "sweeps" / sweep_id
    assert any(figures.iterdir())
    assert client.delete(f"/v1/sweeps/{sweep_id}").status_code == 204
    assert client.get(f"/v1/sweeps/{sweep_id}").status_code == 404
    assert not figures.exists()
    assert SweepStore(WorkerContext.from_settings(settings).attempts.engine).trials(sweep_id) == []
    assert client.delete(f"/v1/sweeps/{sweep_id}").status_code == 404
