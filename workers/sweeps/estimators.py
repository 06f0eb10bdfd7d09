"""scikit-learn models without a path solver in sweeps (poisson_regression): on each fold,
one fit per alpha, strongest first, each warm-started from the last where the estimator
can (``warm_start``), scored as a path fold scores its alphas: MSE for regression,
accuracy for classification, on the fold's held-out rows and on its training rows."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from api_schemas.sweeps import SweepCreate
from workers.data.splits import SplitData
from workers.progress import Progress
from workers.sweeps.folds import SweepData
from workers.sweeps.linear_paths import base_penalty
from workers.sweeps.results import ValueFoldResult
from workers.trainers.linear import build_estimator, check_target


def estimator_steps(sweep: SweepCreate) -> int:
    """A fold's steps: a fit per alpha, and the fold."""
    return len(sweep.grid["alpha"].points()) + 1


def run_estimator_fold(
    sweep: SweepCreate, data: SweepData, split: SplitData, progress: Progress
) -> ValueFoldResult:
    """The base model fitted at each alpha on the fold's training rows, scored on them and
    on its held-out rows."""
    assert split.X_test is not None and split.y_test is not None
    check_target(sweep.base, np.concatenate([split.y_train, split.y_test]))
    n_classes = len(np.unique(data.y)) if data.classifies else 0
    penalty = base_penalty(sweep.base)
    alphas = sorted(sweep.grid["alpha"].points(), reverse=True)  # strongest first
    test_score: list[float] = []
    train_score: list[float] = []
    fitted: Any = None
    for alpha in alphas:
        estimator = build_estimator(sweep.base, penalty.with_value("alpha", alpha), n_classes)
        fitted = _warm_started(estimator, fitted)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence notes; a job's fit reports them
            fitted.fit(split.X_train, split.y_train)
        test_score.append(_score(fitted, split.X_test, split.y_test, data.classifies))
        train_score.append(_score(fitted, split.X_train, split.y_train, data.classifies))
        progress.done(f"alpha={alpha:g}", "fit", test_score=test_score[-1])
    return ValueFoldResult(
        values=alphas, test_score=test_score, train_score=train_score, task=data.task
    )


def _warm_started(estimator: Any, previous: Any) -> Any:
    """``estimator``'s parameters on the previous fit, which starts from its coefficients;
    ``estimator`` itself where there is none or it cannot warm-start."""
    if previous is None or "warm_start" not in estimator.get_params():
        return estimator
    return previous.set_params(**{**estimator.get_params(), "warm_start": True})


def _score(estimator: Any, X: np.ndarray, y: np.ndarray, classifies: bool) -> float:
    predicted = estimator.predict(X)
    if classifies:
        return float(np.mean(predicted == y))
    return float(np.mean((predicted - y) ** 2))
