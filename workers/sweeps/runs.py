"""What a worker does for a sweep: one fold's path, and (once) the aggregation."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import KFold

from api_schemas import JobCreate, LinearRegressionSpec
from api_schemas.comparisons import ComparisonCreate
from api_schemas.sweeps import SweepCreate
from service.artifacts import ArtifactStore
from service.sweeps.store import SweepStore
from workers.datasets import load_dataset
from workers.sweeps.comparisons import aggregate_comparison, run_comparison_fold
from workers.sweeps.figures import (
    render_coefficient_path,
    render_nonzero,
    render_validation_curve,
)
from workers.sweeps.paths import FoldPath, aggregate, descending, fold_path, path_coefficients
from workers.trainers.linear import penalty_of

log = logging.getLogger(__name__)
PNG = "image/png"


def _penalty(spec: JobCreate) -> tuple[str, float]:
    penalty = penalty_of(spec)
    assert penalty is not None, "sweeps are checked to have a penalty"
    return penalty.kind, getattr(penalty, "l1_ratio", 1.0)


def _tuning(spec: JobCreate) -> dict[str, Any]:
    model = spec.model
    assert isinstance(model, LinearRegressionSpec)
    return {
        "fit_intercept": model.fit_intercept,
        "tol": model.tol or 1e-4,
        "max_iter": model.max_iter or 1000,
    }


def run_fold(spec: dict[str, Any], fold: int, data_dir: Path) -> dict[str, Any]:
    """One fold of a sweep (the whole path) or of a comparison (every configuration)."""
    if spec.get("kind") == "comparison":
        return run_comparison_fold(ComparisonCreate.model_validate(spec), fold, data_dir)
    return run_path_fold(SweepCreate.model_validate(spec), fold, data_dir)


def run_path_fold(sweep: SweepCreate, fold: int, data_dir: Path) -> dict[str, Any]:
    """The whole path on the fold's training rows, scored on its held-out rows."""
    data = load_dataset(sweep.base.dataset, data_dir)
    splitter = KFold(
        sweep.cv.folds,
        shuffle=sweep.cv.shuffle,
        random_state=sweep.cv.seed if sweep.cv.shuffle else None,
    )
    train, test = list(splitter.split(data.X))[fold]
    penalty, l1_ratio = _penalty(sweep.base)
    path = fold_path(
        penalty,
        (data.X[train], data.y[train]),
        (data.X[test], data.y[test]),
        np.asarray(sweep.grid["alpha"].points()),
        l1_ratio=l1_ratio,
        **_tuning(sweep.base),
    )
    return {
        "alphas": path.alphas.tolist(),
        "test_mse": path.test_mse.tolist(),
        "train_mse": path.train_mse.tolist(),
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
    result = aggregate_result(spec, sweep_id, results, data_dir, artifacts)
    sweeps.finish(sweep_id, "succeeded", result=result)
    log.info("sweep %s succeeded: best alpha %s", sweep_id, result["best"])
    return "succeeded"


def aggregate_result(
    spec: SweepCreate,
    sweep_id: str,
    fold_results: list[dict[str, Any]],
    data_dir: Path,
    artifacts: ArtifactStore,
) -> dict[str, Any]:
    curve = aggregate(
        [
            FoldPath(
                np.asarray(r["alphas"]),
                np.asarray(r["test_mse"]),
                np.asarray(r["train_mse"]),
                np.asarray(r["n_nonzero"]),
            )
            for r in fold_results
        ]
    )
    data = load_dataset(spec.base.dataset, data_dir)
    penalty, l1_ratio = _penalty(spec.base)
    alphas = descending(curve.alphas)
    coefs, intercepts = path_coefficients(
        penalty, data.X, data.y, alphas, l1_ratio=l1_ratio, **_tuning(spec.base)
    )
    n_nonzero = np.count_nonzero(coefs, axis=0)
    files = {
        "coefficient_path.png": render_coefficient_path(
            alphas, coefs, data.feature_names, curve.best, curve.best_1se
        ),
        "validation_curve.png": render_validation_curve(
            alphas,
            train=curve.mean_train_mse,
            mean=curve.mean_mse,
            std=curve.std_mse,
            best=curve.best,
            best_1se=curve.best_1se,
        ),
        "nonzero.png": render_nonzero(alphas, n_nonzero, curve.best, curve.best_1se),
    }
    stored = []
    for name, data_bytes in files.items():
        key = f"sweeps/{sweep_id}/{name}"
        artifacts.put(key, data_bytes)
        stored.append({"name": name, "media_type": PNG, "key": key, "size": len(data_bytes)})
    # A SweepResult without sweep_id and artifacts, which the API adds when it serves it.
    return {
        "values": alphas.tolist(),
        "cv": {
            "mean": curve.mean_mse.tolist(),
            "std": curve.std_mse.tolist(),
            "per_fold": curve.per_fold_mse.tolist(),
        },
        "train_mean": curve.mean_train_mse.tolist(),
        "best": {"alpha": curve.best},
        "best_1se": {"alpha": curve.best_1se},
        "path": {
            "feature_names": data.feature_names,
            "coef": coefs.T.tolist(),
            "intercept": np.atleast_1d(intercepts).tolist(),
            "n_nonzero": n_nonzero.tolist(),
        },
        "files": stored,
    }
