"""Sweeps and comparisons on uploaded tables: the same folds and choices as on the built-in
data, preprocessing fitted on each fold's training rows, and the upload held while used."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.linear_model import LassoCV
from sklearn.model_selection import KFold

from service.config import Settings
from tests.factories import run_trials
from workers.runtime.job_runner import Outcome


def upload_table(client: TestClient, table: pa.Table, name: str, target: str, **form: str) -> str:
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    response = client.post(
        "/v1/datasets",
        files={"file": (f"{name}.parquet", buffer.getvalue())},
        data={"name": name, "target": target, **form},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def diabetes_upload(client: TestClient) -> str:
    bunch = load_diabetes()
    columns = {name: bunch.data[:, i] for i, name in enumerate(bunch.feature_names)}
    return upload_table(client, pa.table({**columns, "target": bunch.target}), "diab", "target")


def test_a_lasso_sweep_on_an_upload_equals_lasso_cv(client: TestClient, settings: Settings) -> None:
    dataset_id = diabetes_upload(client)
    body = {
        "base": {
            "dataset": {"id": dataset_id},
            "model": {"kind": "linear_regression"},
            "regularizers": [{"kind": "l1", "alpha": 1.0}],
        },
        "grid": {"alpha": {"logspace": [-3, 1, 20]}},
        "cv": {"folds": 4, "shuffle": True, "seed": 1},
    }
    response = client.post("/v1/sweeps", json=body)
    assert response.status_code == 202, response.text
    sweep_id = response.json()["id"]
    refused = client.delete(f"/v1/datasets/{dataset_id}")  # its folds are queued
    assert refused.status_code == 409, refused.text
    assert run_trials(settings, sweep_id) == [Outcome.succeeded] * 5
    result = client.get(f"/v1/sweeps/{sweep_id}/result").json()

    X, y = load_diabetes(return_X_y=True)
    reference = LassoCV(alphas=np.logspace(-3, 1, 20), cv=KFold(4, shuffle=True, random_state=1))
    reference.fit(X, y)
    assert result["best"] == {"alpha": pytest.approx(reference.alpha_, rel=1e-12)}
    assert np.allclose(np.array(result["cv"]["per_fold"]).T, reference.mse_path_, rtol=1e-6)
    assert result["path"]["feature_names"] == load_diabetes().feature_names
    assert client.delete(f"/v1/datasets/{dataset_id}").status_code == 204


def test_a_logistic_sweep_and_a_comparison_preprocess_each_fold(
    client: TestClient, settings: Settings
) -> None:
    # Breast cancer with a text column and holes: one-hot and imputation are fitted on
    # each fold's training rows; standardization makes liblinear converge.
    X, y = load_breast_cancer(return_X_y=True)
    rng = np.random.default_rng(0)
    columns: dict[str, Any] = {f"x{i}": X[:, i].copy() for i in range(8)}
    columns["x0"][rng.choice(len(y), 20, replace=False)] = np.nan
    columns["site"] = rng.choice(["a", "b", "c"], len(y))
    columns["diagnosis"] = np.where(y == 1, "benign", "malignant")
    dataset_id = upload_table(client, pa.table(columns), "cancer", "diagnosis")
    base = {
        "dataset": {"id": dataset_id},
        "model": {"kind": "logistic_regression"},
        "preprocessing": {"standardize": True, "missing": "impute_mean"},
    }
    sweep = {
        "base": {**base, "regularizers": [{"kind": "l1", "alpha": 1.0}]},
        "grid": {"alpha": {"logspace": [-2, 2, 8]}},
        "cv": {"folds": 3, "shuffle": True, "seed": 0},
    }
    response = client.post("/v1/sweeps", json=sweep)
    assert response.status_code == 202, response.text
    sweep_id = response.json()["id"]
    assert run_trials(settings, sweep_id) == [Outcome.succeeded] * 4
    result = client.get(f"/v1/sweeps/{sweep_id}/result").json()
    assert result["metric"] == "accuracy" and max(result["cv"]["mean"]) > 0.85
    assert "site=a" in result["path"]["feature_names"]
    assert result["path"]["n_nonzero"][0] < result["path"]["n_nonzero"][-1]

    comparison = {
        "base": base,
        "configurations": [
            {"name": "none"},
            {"name": "l1", "regularizers": [{"kind": "l1", "alpha": 0.1}]},
            {"name": "l2", "regularizers": [{"kind": "l2", "alpha": 1.0}]},
        ],
        "cv": {"folds": 3, "shuffle": True, "seed": 0},
    }
    comparison_id = client.post("/v1/comparisons", json=comparison).json()["id"]
    assert run_trials(settings, comparison_id) == [Outcome.succeeded] * 3
    board = client.get(f"/v1/comparisons/{comparison_id}/result").json()["leaderboard"]
    assert all(row["mean"] > 0.85 for row in board)


def test_an_unknown_upload_is_422_and_three_classes_are_fine(client: TestClient) -> None:
    iris = {f"x{i}": np.arange(30.0) + i for i in range(2)}
    iris["kind"] = np.array(["a", "b", "c"] * 10)
    dataset_id = upload_table(client, pa.table(iris), "three", "kind")
    body = {
        "base": {
            "dataset": {"id": dataset_id},
            "model": {"kind": "logistic_regression"},
            "regularizers": [{"kind": "l1", "alpha": 1.0}],
        },
        "grid": {"alpha": {"logspace": [-2, 2, 4]}},
    }
    assert client.post("/v1/sweeps", json=body).status_code == 202  # three classes are fine
    missing = {**body, "base": {**body["base"], "dataset": {"id": "nope"}}}
    refused = client.post("/v1/sweeps", json=missing).json()["detail"][0]
    assert refused["loc"] == ["body", "base", "dataset", "id"]
    comparison = {
        "base": {**body["base"], "dataset": {"id": "nope"}, "regularizers": []},
        "configurations": [{"name": "none"}, {"name": "l2", "regularizers": []}],
    }
    refused = client.post("/v1/comparisons", json=comparison).json()["detail"][0]
    assert refused["loc"] == ["body", "base", "dataset", "id"]
