"""What a worker does for one trial of a sweep or comparison: a fold (the whole path, a
network per value, or every configuration), or the path on every row."""

from __future__ import annotations

import numpy as np

from api_schemas import NETWORK_KINDS
from api_schemas.comparisons import ComparisonCreate
from api_schemas.sweeps import SweepCreate
from workers.data.splits import SplitData
from workers.progress import Progress, StepCallback
from workers.sweeps.comparisons import comparison_steps, run_comparison_fold
from workers.sweeps.estimators import estimator_steps, run_estimator_fold
from workers.sweeps.folds import DataSources, SweepData
from workers.sweeps.linear_paths import classifies, spec_fold_path, sweep_penalties
from workers.sweeps.networks import network_steps, run_network_fold
from workers.sweeps.paths import (
    descending,
    logistic_fits,
    path_coefficients,
)
from workers.sweeps.results import (
    FullPathResult,
    L1RatioPathsResult,
    PathFoldResult,
    RatioPath,
    TrialResult,
)
from workers.trainers.linear import solver_settings
from workers.trainers.penalties import Penalty


def run_trial(
    spec: SweepCreate | ComparisonCreate,
    trial: int,
    sources: DataSources,
    callbacks: StepCallback,
) -> TrialResult:
    """One trial of a sweep or comparison, on a built-in or uploaded dataset: a fold (the
    whole path, a network per value, or every configuration), or a path sweep's last
    trial, the path on every row. Steps go to ``callbacks``, which may stop the trial."""
    data = sources.load(spec.base)
    result: TrialResult
    if isinstance(spec, SweepCreate) and spec.computes_path and trial == spec.cv.folds:
        # The last trial of a path sweep: the path on every row.
        progress = Progress(callbacks, len(spec.l1_ratios or [None]) + 1)
        result = run_full_paths(spec, data, progress)
    else:
        split = data.split(data.rows(spec.cv, trial))
        if isinstance(spec, ComparisonCreate):
            progress = Progress(callbacks, comparison_steps(spec))
            result = run_comparison_fold(spec, data, split, progress)
        elif spec.base.model.kind in NETWORK_KINDS:
            values = len(spec.grid[spec.parameter].points())
            progress = Progress(callbacks, network_steps(spec.base, values))
            result = run_network_fold(spec, data, split, progress)
        elif not spec.computes_path:
            progress = Progress(callbacks, estimator_steps(spec))
            result = run_estimator_fold(spec, data, split, progress)
        else:
            progress = Progress(callbacks, len(spec.l1_ratios or [None]) + 1)
            result = run_path_fold(spec, split, progress)
    progress.done(f"fold {trial}", "fold", fold=trial)
    return result


def run_path_fold(
    sweep: SweepCreate, split: SplitData, progress: Progress
) -> PathFoldResult | L1RatioPathsResult:
    """The whole path on the fold's training rows, scored on its held-out rows; with an
    l1_ratio grid, a path for each ratio."""
    assert split.X_test is not None and split.y_test is not None
    train, test = (split.X_train, split.y_train), (split.X_test, split.y_test)
    alphas = np.asarray(sweep.grid["alpha"].points())

    def one_path(penalty: Penalty) -> PathFoldResult:
        path = spec_fold_path(sweep.base, penalty, train, test, alphas)
        progress.done(f"path at l1_ratio={penalty.l1_ratio:g}", "path")
        return PathFoldResult.of(path)

    penalties = sweep_penalties(sweep)
    if sweep.l1_ratios is None:
        return one_path(penalties[0])
    return L1RatioPathsResult(l1_ratios=sweep.l1_ratios, paths=[one_path(p) for p in penalties])


def run_full_paths(sweep: SweepCreate, data: SweepData, progress: Progress) -> FullPathResult:
    """The path fitted on every row, for each l1_ratio of the grid (the aggregation keeps
    the chosen ratio's): a trial of its own, so it runs beside the folds."""
    every = data.every_row()
    X, y = every.X_train, every.y_train
    settings = solver_settings(sweep.base)
    alphas = descending(np.asarray(sweep.grid["alpha"].points()))
    names = every.feature_names
    paths = []
    for penalty in sweep_penalties(sweep):
        ratio = penalty.l1_ratio
        if classifies(sweep.base):
            models = logistic_fits(penalty, X, y, alphas, settings)
            coefs = np.column_stack([m.coef_.ravel() for m in models])  # classes x features
            # One intercept per alpha, or (multiclass) a list per alpha, one per class.
            intercepts = np.array(
                [m.intercept_ if len(m.intercept_) > 1 else m.intercept_[0] for m in models]
            )
            if models[0].coef_.shape[0] > 1:
                labels = data.target_names or [str(c) for c in models[0].classes_]
                names = [f"{label}:{name}" for label in labels for name in every.feature_names]
        else:
            coefs, intercepts = path_coefficients(penalty, X, y, alphas, settings)
        paths.append(
            RatioPath(l1_ratio=ratio, coef=coefs.T.tolist(), intercept=intercepts.tolist())
        )
        progress.done(f"path on every row at l1_ratio={ratio:g}", "path")
    return FullPathResult(alphas=alphas.tolist(), feature_names=names, paths=paths)
