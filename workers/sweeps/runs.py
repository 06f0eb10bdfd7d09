"""What a worker does for a sweep: one fold's path, and (once) the aggregation."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import KFold, StratifiedKFold

from api_schemas import JobCreate, LinearRegressionSpec, LogisticRegressionSpec
from api_schemas.comparisons import ComparisonCreate
from api_schemas.sweeps import SweepCreate
from service.artifacts import ArtifactStore
from service.datasets.catalog import BUILTIN_DATASETS
from service.sweeps.store import SweepStore
from workers.datasets import load_dataset
from workers.sweeps.comparisons import aggregate_comparison, run_comparison_fold
from workers.sweeps.figures import (
    render_coefficient_path,
    render_nonzero,
    render_validation_curve,
)
from workers.sweeps.networks import run_rate_fold
from workers.sweeps.paths import (
    FoldPath,
    aggregate,
    descending,
    fold_path,
    logistic_fits,
    logistic_fold_path,
    path_coefficients,
)
from workers.trainers.linear import penalty_of

log = logging.getLogger(__name__)
PNG = "image/png"


def _penalty(spec: JobCreate) -> tuple[str, float]:
    penalty = penalty_of(spec)
    assert penalty is not None, "sweeps are checked to have a penalty"
    return penalty.kind, getattr(penalty, "l1_ratio", 1.0)


def _tuning(spec: JobCreate) -> dict[str, Any]:
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


def _classifies(spec: JobCreate) -> bool:
    return isinstance(spec.model, LogisticRegressionSpec)


def run_fold(spec: dict[str, Any], fold: int, data_dir: Path) -> dict[str, Any]:
    """One fold of a sweep (the whole path) or of a comparison (every configuration)."""
    if spec.get("kind") == "comparison":
        return run_comparison_fold(ComparisonCreate.model_validate(spec), fold, data_dir)
    sweep = SweepCreate.model_validate(spec)
    if sweep.parameter == "rate":
        return run_rate_fold(sweep, fold, data_dir)
    return run_path_fold(sweep, fold, data_dir)


def run_path_fold(sweep: SweepCreate, fold: int, data_dir: Path) -> dict[str, Any]:
    """The whole path on the fold's training rows, scored on its held-out rows."""
    data = load_dataset(sweep.base.dataset, data_dir)
    # Stratified folds for classification, as LogisticRegressionCV makes them.
    kind = StratifiedKFold if _classifies(sweep.base) else KFold
    splitter = kind(
        sweep.cv.folds,
        shuffle=sweep.cv.shuffle,
        random_state=sweep.cv.seed if sweep.cv.shuffle else None,
    )
    train, test = list(splitter.split(data.X, data.y))[fold]
    penalty, l1_ratio = _penalty(sweep.base)
    alphas = np.asarray(sweep.grid["alpha"].points())
    if _classifies(sweep.base):
        path = logistic_fold_path(
            penalty, (data.X, data.y), (train, test), alphas, l1_ratio=l1_ratio,
            **_tuning(sweep.base),
        )  # fmt: skip
    else:
        path = fold_path(
            penalty, (data.X[train], data.y[train]), (data.X[test], data.y[test]), alphas,
            l1_ratio=l1_ratio, **_tuning(sweep.base),
        )  # fmt: skip
    return {
        "alphas": path.alphas.tolist(),
        "test_score": path.test_score.tolist(),
        "train_score": path.train_score.tolist(),
        "n_nonzero": path.n_nonzero.tolist(),
    }


def finish_sweep(
    sweeps: SweepStore,
    artifacts: ArtifactStore,
    sweep_id: str,
    data_dir: Path,
    stale_before: datetime | None = None,
) -> str | None:
    """Aggregate a sweep whose folds have all ended; None when it is not time (or another
    process is at it). Returns the sweep's final status."""
    folds = sweeps.folds(sweep_id)
    if any(job.status in {"queued", "running"} for job in folds):
        return None
    if not sweeps.begin_aggregation(sweep_id, stale_before):
        return None
    row = sweeps.get(sweep_id)
    assert row is not None
    if any(job.status == "cancelled" for job in folds):
        sweeps.finish(sweep_id, "cancelled")
        return "cancelled"
    failed = [job for job in folds if job.status == "failed"]
    if failed:
        first = failed[0]
        sweeps.finish(
            sweep_id,
            "failed",
            error_code=first.error_code,
            error_message=f"fold {first.fold}: {first.error_message}",
        )
        return "failed"
    results = [job.result or {} for job in folds]
    if row.spec.get("kind") == "comparison":
        comparison = ComparisonCreate.model_validate(row.spec)
        summary = aggregate_comparison(comparison, sweep_id, results, artifacts)
        sweeps.finish(sweep_id, "succeeded", result=summary)
        log.info("comparison %s succeeded: %s", sweep_id, summary["recommendation"])
        return "succeeded"
    spec = SweepCreate.model_validate(row.spec)
    if spec.parameter == "rate":
        result = aggregate_rates(spec, sweep_id, results, artifacts)
    else:
        result = aggregate_result(spec, sweep_id, results, data_dir, artifacts)
    sweeps.finish(sweep_id, "succeeded", result=result)
    log.info("sweep %s succeeded: best alpha %s", sweep_id, result["best"])
    return "succeeded"


def _curve(fold_results: list[dict[str, Any]], higher_is_better: bool) -> Any:
    return aggregate(
        [
            FoldPath(
                np.asarray(r["alphas"]),
                np.asarray(r["test_score"]),
                np.asarray(r["train_score"]),
                np.asarray(r["n_nonzero"]),
            )
            for r in fold_results
        ],
        higher_is_better=higher_is_better,
    )


def _curve_fields(curve: Any, parameter: str, metric: str) -> dict[str, Any]:
    """The parts of a SweepResult that every kind of sweep has."""
    return {
        "parameter": parameter,
        "values": curve.alphas.tolist(),
        "metric": metric,
        "cv": {
            "mean": curve.mean.tolist(),
            "std": curve.std.tolist(),
            "per_fold": curve.per_fold.tolist(),
        },
        "train_mean": curve.mean_train.tolist(),
        "best": {parameter: curve.best},
        "best_1se": {parameter: curve.best_1se},
    }


def _store_figures(
    artifacts: ArtifactStore, sweep_id: str, files: dict[str, bytes]
) -> list[dict[str, Any]]:
    stored = []
    for name, data_bytes in files.items():
        key = f"sweeps/{sweep_id}/{name}"
        artifacts.put(key, data_bytes)
        stored.append({"name": name, "media_type": PNG, "key": key, "size": len(data_bytes)})
    return stored


def aggregate_rates(
    spec: SweepCreate, sweep_id: str, fold_results: list[dict[str, Any]], artifacts: ArtifactStore
) -> dict[str, Any]:
    """CV score per dropout rate, the best rate and the strongest within 1 SE."""
    classifies = spec.base.model.kind == "cnn" or (
        BUILTIN_DATASETS[spec.base.dataset.name or ""].task == "classification"
    )
    curve = _curve(fold_results, higher_is_better=classifies)
    metric = "accuracy" if classifies else "mse"
    figure = render_validation_curve(
        curve.alphas,
        train=curve.mean_train,
        mean=curve.mean,
        std=curve.std,
        best=curve.best,
        best_1se=curve.best_1se,
        metric=metric,
        parameter="rate",
    )
    return {
        **_curve_fields(curve, "rate", metric),
        "path": None,
        "files": _store_figures(artifacts, sweep_id, {"validation_curve.png": figure}),
    }


def aggregate_result(
    spec: SweepCreate,
    sweep_id: str,
    fold_results: list[dict[str, Any]],
    data_dir: Path,
    artifacts: ArtifactStore,
) -> dict[str, Any]:
    classifies = _classifies(spec.base)
    curve = _curve(fold_results, higher_is_better=classifies)
    data = load_dataset(spec.base.dataset, data_dir)
    penalty, l1_ratio = _penalty(spec.base)
    alphas = descending(curve.alphas)
    names = data.feature_names
    if classifies:
        models = logistic_fits(
            penalty, data.X, data.y, alphas, l1_ratio=l1_ratio, **_tuning(spec.base)
        )
        coefs = np.column_stack([m.coef_.ravel() for m in models])  # classes x features, flat
        intercepts = np.array([m.intercept_[0] for m in models])
        if models[0].coef_.shape[0] > 1:
            labels = data.target_names or [str(c) for c in models[0].classes_]
            names = [f"{label}:{name}" for label in labels for name in data.feature_names]
    else:
        coefs, intercepts = path_coefficients(
            penalty, data.X, data.y, alphas, l1_ratio=l1_ratio, **_tuning(spec.base)
        )
    n_nonzero = np.count_nonzero(coefs, axis=0)
    metric = "accuracy" if classifies else "mse"
    files = {
        "coefficient_path.png": render_coefficient_path(
            alphas, coefs, names, curve.best, curve.best_1se
        ),
        "validation_curve.png": render_validation_curve(
            alphas,
            train=curve.mean_train,
            mean=curve.mean,
            std=curve.std,
            best=curve.best,
            best_1se=curve.best_1se,
            metric=metric,
        ),
        "nonzero.png": render_nonzero(alphas, n_nonzero, curve.best, curve.best_1se),
    }
    stored = _store_figures(artifacts, sweep_id, files)
    # A SweepResult without sweep_id and artifacts, which the API adds when it serves it.
    return {
        **_curve_fields(curve, "alpha", metric),
        "path": {
            "feature_names": names,
            "coef": coefs.T.tolist(),
            "intercept": np.atleast_1d(intercepts).tolist(),
            "n_nonzero": n_nonzero.tolist(),
        },
        "files": stored,
    }
