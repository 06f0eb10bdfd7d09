"""Holdout (stratified or not) and k-fold cross-validation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.linear_model import Lasso, LogisticRegression
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score

from api_schemas import JobCreate
from workers.jobs.train import train


def run(body: dict[str, object]) -> object:
    return train(JobCreate.model_validate(body), Path()).summary


def test_kfold_scores_equal_scikit_learns_cross_val_score() -> None:
    summary = run(
        {
            "dataset": {"name": "diabetes"},
            "model": {"kind": "linear_regression"},
            "regularizers": [{"kind": "l1", "alpha": 0.1}],
            "split": {"kind": "kfold", "folds": 5, "seed": 0},
        }
    )
    X, y = load_diabetes(return_X_y=True)
    reference = cross_val_score(
        Lasso(alpha=0.1), X, y, cv=KFold(5, shuffle=True, random_state=0), scoring="r2"
    )
    cv = summary.cross_validation  # type: ignore[attr-defined]
    assert cv.folds == 5
    assert [f["r2"] for f in cv.per_fold] == pytest.approx(reference.tolist(), abs=1e-12)
    assert cv.mean["r2"] == pytest.approx(reference.mean(), abs=1e-12)
    assert cv.std["r2"] == pytest.approx(reference.std(), abs=1e-12)
    assert summary.baseline.cross_validation is not None  # type: ignore[attr-defined]
    assert summary.n_train == 442 and summary.metrics.test is None  # type: ignore[attr-defined]


def test_stratified_kfold_for_classification() -> None:
    summary = run(
        {
            "dataset": {"name": "breast_cancer"},
            "model": {"kind": "logistic_regression", "max_iter": 5000},
            "regularizers": [{"kind": "l2", "alpha": 1.0}],
            "split": {"kind": "kfold", "folds": 4, "stratify": True, "seed": 1},
            "baseline": False,
        }
    )
    X, y = load_breast_cancer(return_X_y=True)
    reference = cross_val_score(
        LogisticRegression(C=1.0, max_iter=5000, random_state=1),
        X,
        y,
        cv=StratifiedKFold(4, shuffle=True, random_state=1),
        scoring="accuracy",
    )
    cv = summary.cross_validation  # type: ignore[attr-defined]
    assert [f["accuracy"] for f in cv.per_fold] == pytest.approx(reference.tolist())


def test_a_stratified_holdout_keeps_class_proportions() -> None:
    body = {
        "dataset": {"name": "classification", "params": {"n_samples": 200}},
        "model": {"kind": "logistic_regression"},
        "split": {"test_fraction": 0.25, "stratify": True, "seed": 4},
    }
    summary = run(body)
    assert (summary.n_train, summary.n_test) == (150, 50)  # type: ignore[attr-defined]
    assert np.isfinite(summary.metrics.test.accuracy)  # type: ignore[attr-defined]
