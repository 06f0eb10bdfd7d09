"""A linear or logistic job spec's path on given rows: the penalty and solver settings its
sweep uses, one fold's path, and the alpha an inner cross-validation chooses."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.model_selection import KFold, StratifiedKFold

from api_schemas import JobCreate, LinearRegressionSpec, LogisticRegressionSpec
from workers.sweeps.paths import FoldPath, aggregate, fold_path, logistic_fold_path
from workers.trainers.linear import penalty_of

Rows = tuple[np.ndarray, np.ndarray]


def penalty_settings(spec: JobCreate) -> tuple[str, float]:
    """The penalty's kind and l1_ratio (1 when it has none)."""
    penalty = penalty_of(spec)
    assert penalty is not None, "sweeps are checked to have a penalty"
    return penalty.kind, getattr(penalty, "l1_ratio", 1.0)


def solver_settings(spec: JobCreate) -> dict[str, Any]:
    """Solver settings as scikit-learn's defaults for the model (and the split seed for
    logistic regression's stochastic solvers, as a job uses it)."""
    model = spec.model
    if isinstance(model, LogisticRegressionSpec):
        return {
            "fit_intercept": model.fit_intercept,
            "tol": model.tol or 1e-4,
            "max_iter": model.max_iter or 100,
            "seed": spec.split.seed,
        }
    assert isinstance(model, LinearRegressionSpec)
    return {
        "fit_intercept": model.fit_intercept,
        "tol": model.tol or 1e-4,
        "max_iter": model.max_iter or 1000,
    }


def classifies(spec: JobCreate) -> bool:
    return isinstance(spec.model, LogisticRegressionSpec)


def spec_fold_path(
    spec: JobCreate, train: Rows, test: Rows, alphas: np.ndarray, l1_ratio: float
) -> FoldPath:
    """The path of ``spec``'s penalty on ``train`` (X, y), scored on ``test``: MSE for
    linear regression (as LassoCV), accuracy for logistic (LogisticRegressionCV itself)."""
    penalty, _ = penalty_settings(spec)
    if classifies(spec):
        return logistic_fold_path(
            penalty, train, test, alphas, l1_ratio=l1_ratio, **solver_settings(spec)
        )
    return fold_path(penalty, train, test, alphas, l1_ratio=l1_ratio, **solver_settings(spec))


def inner_cv_alpha(
    spec: JobCreate, rows: Rows, alphas: np.ndarray, *, folds: int, seed: int
) -> float:
    """The alpha a ``folds``-fold cross-validation on ``rows`` (X, y) alone chooses for
    ``spec``'s penalty: nested in an outer fold, its held-out rows never choose it."""
    X, y = rows
    kind = StratifiedKFold if classifies(spec) else KFold
    splitter = kind(folds, shuffle=True, random_state=seed)
    _, l1_ratio = penalty_settings(spec)
    paths = [
        spec_fold_path(spec, (X[tr], y[tr]), (X[te], y[te]), alphas, l1_ratio)
        for tr, te in splitter.split(X, y)
    ]
    return aggregate(paths, higher_is_better=classifies(spec)).best
