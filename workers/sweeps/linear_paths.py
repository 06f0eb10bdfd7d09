"""A path model's job spec (linear or logistic regression) on given rows: the penalties
its sweep follows, one fold's path, and the alpha an inner cross-validation chooses."""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import KFold, StratifiedKFold

from api_schemas import JobCreate
from api_schemas.kinds import MODELS
from api_schemas.sweeps import SweepCreate
from workers.sweeps.paths import FoldPath, Rows, aggregate, fold_path, logistic_fold_path
from workers.trainers.linear import solver_settings
from workers.trainers.penalties import Penalty, penalty_of


def base_penalty(spec: JobCreate) -> Penalty:
    """The spec's one penalty (sweeps are checked to have it); its alpha is the grid's."""
    penalty = penalty_of(spec)
    assert penalty is not None, "sweeps are checked to have a penalty"
    return penalty


def sweep_penalties(sweep: SweepCreate) -> list[Penalty]:
    """The penalty of each path: the base's, or one per l1_ratio of the grid."""
    penalty = base_penalty(sweep.base)
    if sweep.l1_ratios is None:
        return [penalty]
    return [penalty.with_value("l1_ratio", ratio) for ratio in sweep.l1_ratios]


def classifies(spec: JobCreate) -> bool:
    return MODELS[spec.model.kind].task == "classification"


def spec_fold_path(
    spec: JobCreate, penalty: Penalty, train: Rows, test: Rows, alphas: np.ndarray
) -> FoldPath:
    """The path of ``penalty`` for ``spec``'s model on ``train`` (X, y), scored on ``test``:
    MSE for linear regression (as LassoCV), accuracy for logistic (LogisticRegressionCV
    itself)."""
    settings = solver_settings(spec)
    if classifies(spec):
        return logistic_fold_path(penalty, train, test, alphas, settings)
    return fold_path(penalty, train, test, alphas, settings)


def inner_cv_alpha(
    spec: JobCreate, rows: Rows, alphas: np.ndarray, *, folds: int, seed: int
) -> float:
    """The alpha a ``folds``-fold cross-validation on ``rows`` (X, y) alone chooses for
    ``spec``'s penalty: nested in an outer fold, its held-out rows never choose it."""
    X, y = rows
    kind = StratifiedKFold if classifies(spec) else KFold
    splitter = kind(folds, shuffle=True, random_state=seed)
    penalty = base_penalty(spec)
    paths = [
        spec_fold_path(spec, penalty, (X[tr], y[tr]), (X[te], y[te]), alphas)
        for tr, te in splitter.split(X, y)
    ]
    return aggregate(paths, higher_is_better=classifies(spec)).best
