"""A scikit-learn model's job (linear, logistic, Poisson regression): the regularized fit
beside the unregularized baseline, optional k-fold cross-validation, and the article's
figures to draw."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from api_schemas import CrossValidation, FitReport, JobCreate, TrainingSummary
from api_schemas.predictions import ModelChoice
from workers.data.datasets import Dataset
from workers.data.splits import SplitData
from workers.figures.fits import linear_plans
from workers.files import TrainingOutput
from workers.jobs.metrics import fit_and_report
from workers.progress import Progress
from workers.trainers.linear import build_estimator, check_target
from workers.trainers.penalties import penalty_of


def linear_steps(spec: JobCreate, folds: int) -> int:
    """The job's steps: data, fit, [baseline], export, and each fold's fits."""
    fits = 2 if linear_baseline(spec) else 1
    return 2 + fits + folds * fits


def cross_validate(
    new_estimator: Callable[[], Any], folds: list[SplitData], progress: Progress, *, name: str
) -> CrossValidation:
    """Fit a new estimator on each fold's training rows, score its held-out rows; one step
    per fold."""
    per_fold: list[dict[str, float | None]] = []
    for number, fold in enumerate(folds, 1):
        report = fit_and_report(new_estimator(), fold)
        assert report.metrics.test is not None
        scores = report.metrics.test.model_dump()
        per_fold.append(scores)
        progress.done(f"{name} fold {number}", "fold", **scores)
    keys = per_fold[0].keys()
    mean = {k: _stat(np.mean, [f[k] for f in per_fold]) for k in keys}
    std = {k: _stat(np.std, [f[k] for f in per_fold]) for k in keys}
    return CrossValidation(folds=len(folds), mean=mean, std=std, per_fold=per_fold)


def _stat(function: Callable[[list[float]], Any], values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return float(function(present)) if len(present) == len(values) else None


def linear_baseline(spec: JobCreate) -> bool:
    return spec.baseline and penalty_of(spec) is not None


def train_linear(
    spec: JobCreate,
    dataset: Dataset,
    data: SplitData,
    progress: Progress,
    folds: list[SplitData] | None = None,
) -> tuple[TrainingOutput, dict[ModelChoice, Any]]:
    """The job's output and its fitted models (the regularized one, and the baseline)."""
    check_target(spec, data.y_train if data.y_test is None else np.r_[data.y_train, data.y_test])
    penalty = penalty_of(spec)
    n_classes = len(np.unique(data.y_train)) if dataset.task == "classification" else 0
    estimator = build_estimator(spec, penalty, n_classes)
    report = fit_and_report(estimator, data)
    progress.done("fit_regularized", **stage_summary(report))
    baseline_estimator = None
    baseline: FitReport | None = None
    if linear_baseline(spec):
        baseline_estimator = build_estimator(spec, None, n_classes)
        baseline = fit_and_report(baseline_estimator, data)
        progress.done("fit_baseline", **stage_summary(baseline))
    cv = None
    if folds:
        cv = cross_validate(
            lambda: build_estimator(spec, penalty, n_classes), folds, progress, name="regularized"
        )
        if baseline is not None:
            baseline_cv = cross_validate(
                lambda: build_estimator(spec, None, n_classes), folds, progress, name="baseline"
            )
            baseline = baseline.model_copy(update={"cross_validation": baseline_cv})

    label = "Without regularization" if penalty is None else penalty.label
    figures = linear_plans(dataset, data, estimator, baseline_estimator, label)
    summary = TrainingSummary(
        task=dataset.task,
        n_train=len(data.y_train),
        n_test=0 if data.y_test is None else len(data.y_test),
        classes=dataset.target_names if dataset.task == "classification" else None,
        metrics=report.metrics,
        coefficients=report.coefficients,
        cross_validation=cv,
        estimator=report.estimator,
        fit_seconds=report.fit_seconds,
        warnings=report.warnings,
        baseline=baseline,
    )
    models: dict[ModelChoice, Any] = {"regularized": estimator}
    if baseline_estimator is not None:
        models["baseline"] = baseline_estimator
    return TrainingOutput(summary=summary, files=[], figures=figures), models


def stage_summary(report: FitReport) -> dict[str, Any]:
    """What a history row keeps of a fit: enough to compare, not the coefficients."""
    return {
        "estimator": report.estimator,
        "metrics": report.metrics.model_dump(mode="json"),
        "n_nonzero": report.coefficients.n_nonzero if report.coefficients else None,
        "fit_seconds": report.fit_seconds,
    }
