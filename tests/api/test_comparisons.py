"""Comparisons of regularizers on the same folds, with the worker's code in this process."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from service.config import Settings
from tests.factories import run_trials
from workers.runtime.job_runner import Outcome

COMPARISON: dict[str, Any] = {
    "base": {
        "dataset": {"name": "sparse_regression", "params": {"n_samples": 120, "n_features": 60}},
        "model": {"kind": "linear_regression"},
    },
    "configurations": [
        {"name": "none", "regularizers": []},
        {"name": "lasso", "regularizers": [{"kind": "l1", "alpha": 1.0}]},
        {"name": "ridge", "regularizers": [{"kind": "l2", "alpha": 1.0}]},
        {"name": "enet", "regularizers": [{"kind": "elastic_net", "alpha": 1.0, "l1_ratio": 0.7}]},
    ],
    "cv": {"folds": 5, "seed": 0},
}


def test_sparse_data_ranks_l1_or_elastic_net_above_none(
    client: TestClient, settings: Settings
) -> None:
    response = client.post("/v1/comparisons", json=COMPARISON)
    assert response.status_code == 202, response.text
    comparison_id = response.json()["id"]
    assert run_trials(settings, comparison_id) == [Outcome.succeeded] * 5
    assert client.get(f"/v1/sweeps/{comparison_id}/result").status_code == 404
    read = client.get(f"/v1/comparisons/{comparison_id}").json()
    assert read["result_url"] == f"/v1/comparisons/{comparison_id}/result"
    result = client.get(f"/v1/comparisons/{comparison_id}/result").json()
    assert (result["metric"], result["higher_is_better"], result["baseline"]) == (
        "mse",
        False,
        "none",
    )
    board = {row["name"]: row for row in result["leaderboard"]}
    assert result["leaderboard"][0]["name"] in {"lasso", "enet"}
    assert board["none"]["mean"] > result["leaderboard"][0]["mean"]  # MSE: lower is better
    best = result["leaderboard"][0]
    assert best["difference"] > 0 and 0 <= best["p_value"] < 0.05
    assert len(best["per_fold"]) == 5 and board["none"]["p_value"] is None
    assert result["recommendation"].startswith(f"Use {best['name']}")
    (chart,) = result["artifacts"]
    assert client.get(chart["url"]).content[:4] == b"\x89PNG"


def test_configurations_are_checked_against_the_model(client: TestClient) -> None:
    bad = {
        **COMPARISON,
        "configurations": [
            {"name": "none"},
            {"name": "dropout", "regularizers": [{"kind": "dropout", "rate": 0.5}]},
        ],
    }
    response = client.post("/v1/comparisons", json=bad)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == [
        "body",
        "configurations",
        1,
        "regularizers",
        0,
        "kind",
    ]
    same_names = {**COMPARISON, "configurations": [{"name": "a"}, {"name": "a"}]}
    assert client.post("/v1/comparisons", json=same_names).status_code == 422


def test_network_configurations_compared_on_the_same_folds(
    client: TestClient, settings: Settings
) -> None:
    body = {
        "base": {
            "dataset": {"name": "digits"},
            "model": {"kind": "mlp", "hidden": [32]},
            "training": {"epochs": 4, "optimizer": "adam", "lr": 0.01},
        },
        "configurations": [
            {"name": "none"},
            {"name": "dropout", "regularizers": [{"kind": "dropout", "rate": 0.3}]},
            {"name": "weight_decay", "regularizers": [{"kind": "weight_decay", "alpha": 1e-3}]},
            {
                "name": "dropout+early_stopping",
                "regularizers": [
                    {"kind": "dropout", "rate": 0.3},
                    {"kind": "early_stopping", "patience": 1},
                ],
            },
            {
                "name": "augmentation",
                "regularizers": [{"kind": "data_augmentation", "noise_std": 0.5}],
            },
            {"name": "batch_norm", "regularizers": [{"kind": "batch_norm"}]},
        ],
        "cv": {"folds": 3, "seed": 0},
    }
    response = client.post("/v1/comparisons", json=body)
    assert response.status_code == 202, response.text
    comparison_id = response.json()["id"]
    assert run_trials(settings, comparison_id) == [Outcome.succeeded] * 3
    result = client.get(f"/v1/comparisons/{comparison_id}/result").json()
    assert (result["metric"], result["higher_is_better"], result["baseline"]) == (
        "accuracy",
        True,
        "none",
    )
    board = result["leaderboard"]
    assert {row["name"] for row in board} == {c["name"] for c in body["configurations"]}
    assert [row["mean"] for row in board] == sorted((row["mean"] for row in board), reverse=True)
    assert all(0.8 < row["mean"] <= 1 and len(row["per_fold"]) == 3 for row in board)
    for row in board:  # the differences are paired: per fold, against the same rows
        if row["name"] != "none":
            none = next(r for r in board if r["name"] == "none")
            gains = np.subtract(row["per_fold"], none["per_fold"])
            assert row["difference"] == pytest.approx(gains.mean())
    assert result["recommendation"].split()[0] in {"Use", "Keep", *(r["name"] for r in board)}
    torch_linear = {
        **COMPARISON,
        "base": {**COMPARISON["base"], "model": {"kind": "linear_regression", "engine": "torch"}},
    }
    refused = client.post("/v1/comparisons", json=torch_linear).json()["detail"][0]
    assert refused["loc"] == ["body", "base", "model", "engine"]


def test_tuned_configurations_compete_at_their_nested_cv_best_alpha(
    client: TestClient, settings: Settings
) -> None:
    from sklearn.linear_model import Lasso, LassoCV
    from sklearn.model_selection import KFold

    from api_schemas import DatasetRef
    from workers.data.datasets import load_dataset

    grid = {"logspace": [-3, 1, 12]}
    body = {
        **COMPARISON,
        "configurations": [
            {"name": "none"},
            {
                "name": "lasso",
                "regularizers": [{"kind": "l1", "alpha": 1}],
                "tune": {"alpha": grid},
            },
            {
                "name": "ridge",
                "regularizers": [{"kind": "l2", "alpha": 1}],
                "tune": {"alpha": grid},
            },
        ],
    }
    response = client.post("/v1/comparisons", json=body)
    assert response.status_code == 202, response.text
    assert run_trials(settings, response.json()["id"]) == [Outcome.succeeded] * 5
    result = client.get(f"/v1/comparisons/{response.json()['id']}/result").json()
    board = {row["name"]: row for row in result["leaderboard"]}
    assert board["none"]["tuned_alpha"] is None and len(board["lasso"]["tuned_alpha"]) == 5

    # Fold 0 by hand: LassoCV on the outer training rows alone, then Lasso at its alpha.
    data = load_dataset(DatasetRef.model_validate(COMPARISON["base"]["dataset"]), settings.data_dir)
    train, test = next(KFold(5, shuffle=True, random_state=0).split(data.X))
    inner = LassoCV(alphas=np.logspace(-3, 1, 12), cv=KFold(3, shuffle=True, random_state=0))
    inner.fit(data.X[train], data.y[train])
    assert board["lasso"]["tuned_alpha"][0] == pytest.approx(inner.alpha_, rel=1e-12)
    lasso = Lasso(alpha=inner.alpha_).fit(data.X[train], data.y[train])
    mse = np.mean((lasso.predict(data.X[test]) - data.y[test]) ** 2)
    assert board["lasso"]["per_fold"][0] == pytest.approx(mse, rel=1e-9)


def test_tune_is_for_one_linear_penalty(client: TestClient) -> None:
    tune = {"alpha": {"values": [0.1, 1.0]}}
    no_penalty = {**COMPARISON, "configurations": [{"name": "none"}, {"name": "x", "tune": tune}]}
    refused = client.post("/v1/comparisons", json=no_penalty).json()["detail"][0]
    assert refused["loc"] == ["body", "configurations", 1, "regularizers"]
    network = {
        "base": {"dataset": {"name": "digits"}, "model": {"kind": "mlp"}},
        "configurations": [
            {"name": "none"},
            {"name": "wd", "regularizers": [{"kind": "weight_decay", "alpha": 1}], "tune": tune},
        ],
    }
    refused = client.post("/v1/comparisons", json=network).json()["detail"][0]
    assert refused["loc"] == ["body", "configurations", 1, "tune"]
