"""One job's training, from spec to result and figures: the code a worker runs
and a benchmark can call in-process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

from api_schemas import (
    NETWORK_KINDS,
    CrossValidation,
    FitReport,
    JobCreate,
    TaskType,
    TrainingSummary,
)
from api_schemas import ElasticNet as ElasticNetSpec
from workers import plots
from workers.callbacks import Progress, TrainingCallback
from workers.datasets import Dataset, load_dataset
from workers.network_training import network_steps, train_network
from workers.preprocessing import original_scale, prepare_upload, target_values
from workers.trainers.linear import (
    DataError,
    Penalty,
    SplitData,
    build_estimator,
    fit_and_report,
    penalty_of,
)
from workers.training_files import PNG, ArtifactFile, TrainingOutput, confusion_figure


def split_dataset(dataset: Dataset, spec: JobCreate) -> SplitData:
    if dataset.X_test is not None and dataset.y_test is not None:  # it brings its test set
        return SplitData(
            dataset.X, dataset.y, dataset.X_test, dataset.y_test, dataset.feature_names
        )
    fraction = spec.split.test_fraction
    if fraction == 0 or spec.split.kind == "kfold":
        return SplitData(dataset.X, dataset.y, None, None, dataset.feature_names)
    X_train, X_test, y_train, y_test = train_test_split(
        dataset.X,
        dataset.y,
        test_size=fraction,
        random_state=spec.split.seed,
        shuffle=True,
        stratify=dataset.y if spec.split.stratify else None,
    )
    return SplitData(X_train, y_train, X_test, y_test, dataset.feature_names)


def fold_rows(y: np.ndarray, spec: JobCreate) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train rows, held-out rows) of each fold; stratified when asked."""
    kind = StratifiedKFold if spec.split.stratify else KFold
    splitter = kind(n_splits=spec.split.folds, shuffle=True, random_state=spec.split.seed)
    return list(splitter.split(np.zeros(len(y)), y))


def cross_validate(
    spec: JobCreate,
    penalty: Penalty | None,
    n_classes: int,
    folds: list[SplitData],
    progress: Progress,
    *,
    name: str,
) -> CrossValidation:
    """Fit on each fold's training rows, score its held-out rows; one step per fold."""
    per_fold: list[dict[str, float | None]] = []
    for number, fold in enumerate(folds, 1):
        report = fit_and_report(build_estimator(spec, penalty, n_classes), fold)
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


@dataclass(frozen=True)
class UploadedTable:
    """An uploaded dataset as the worker read it from the artifact store."""

    name: str
    table: pa.Table
    target: str
    task: TaskType
    classes: list[str] | None
    content_hash: str


def train(
    spec: JobCreate,
    data_dir: Path,
    callbacks: TrainingCallback | None = None,
    upload: UploadedTable | None = None,
) -> TrainingOutput:
    """Load and split the data, then fit (and fit the baseline) and draw. ``callbacks``
    hear of each finished step and may stop the job between steps."""
    report = None
    if upload is not None:
        data, report = prepare_upload(upload.table, upload.target, upload.classes, spec)
        dataset = Dataset(
            upload.name, upload.task, data.X_train, data.y_train, data.feature_names, upload.classes
        )
    else:
        dataset = load_dataset(spec.dataset, data_dir)
        data = split_dataset(dataset, spec)
    if dataset.task == "classification" and len(np.unique(data.y_train)) < 2:
        raise DataError("the training split holds a single class; lower test_fraction")
    network = spec.model.kind in NETWORK_KINDS
    total = network_steps(spec) if network else (4 if linear_baseline(spec) else 3)
    folds: list[SplitData] = []
    if spec.split.kind == "kfold":
        if upload is not None:
            y_all = target_values(upload.table, upload.target, upload.classes)
            folds = [
                prepare_upload(upload.table, upload.target, upload.classes, spec, rows)[0]
                for rows in fold_rows(y_all, spec)
            ]
        else:
            folds = [
                SplitData(
                    data.X_train[tr],
                    data.y_train[tr],
                    data.X_train[te],
                    data.y_train[te],
                    data.feature_names,
                )
                for tr, te in fold_rows(data.y_train, spec)
            ]
        total += len(folds) * (2 if linear_baseline(spec) else 1)
    progress = Progress(callbacks or TrainingCallback(), total)
    n_test = 0 if data.y_test is None else len(data.y_test)
    progress.done(
        "load_data", n_train=len(data.y_train), n_test=n_test, features=data.X_train.shape[1]
    )
    output = (
        train_network(spec, dataset, data, progress)
        if network
        else train_linear(spec, dataset, data, progress, folds)
    )
    if report is None or upload is None:
        return output
    updates: dict[str, Any] = {
        "preprocessing": report.as_dict(),
        "dataset_hash": upload.content_hash,
    }
    coefficients = output.summary.coefficients
    if report.standardized and coefficients is not None and np.ndim(coefficients.coef) == 1:
        coef, intercept = original_scale(
            np.asarray(coefficients.coef),
            float(np.ravel(coefficients.intercept)[0]),
            data.feature_names,
            report,
        )
        updates["original_coefficients"] = coefficients.model_copy(
            update={"coef": coef, "intercept": intercept}
        )
    return TrainingOutput(output.summary.model_copy(update=updates), output.files)


def linear_baseline(spec: JobCreate) -> bool:
    return spec.baseline and penalty_of(spec) is not None


def train_linear(
    spec: JobCreate,
    dataset: Dataset,
    data: SplitData,
    progress: Progress,
    folds: list[SplitData] | None = None,
) -> TrainingOutput:
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
        cv = cross_validate(spec, penalty, n_classes, folds, progress, name="regularized")
        if baseline is not None:
            baseline_cv = cross_validate(spec, None, n_classes, folds, progress, name="baseline")
            baseline = baseline.model_copy(update={"cross_validation": baseline_cv})

    files = render_figures(dataset, data, estimator, baseline_estimator, penalty_label(penalty))
    progress.done("figures", files=[f.name for f in files])
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
    return TrainingOutput(summary=summary, files=files)


def stage_summary(report: FitReport) -> dict[str, Any]:
    """What a history row keeps of a fit: enough to compare, not the coefficients."""
    return {
        "estimator": report.estimator,
        "metrics": report.metrics.model_dump(mode="json"),
        "n_nonzero": report.coefficients.n_nonzero if report.coefficients else None,
        "fit_seconds": report.fit_seconds,
    }


def penalty_label(penalty: Penalty | None) -> str:
    """A short figure title, e.g. "With L1 (alpha=0.2)"."""
    match penalty:
        case None:
            return "Without regularization"
        case ElasticNetSpec(alpha=alpha, l1_ratio=ratio):
            return f"With elastic net (alpha={alpha:g}, l1_ratio={ratio:g})"
        case _:
            return f"With {penalty.kind.upper()} (alpha={penalty.alpha:g})"


def render_figures(
    dataset: Dataset,
    data: SplitData,
    estimator: Any,
    baseline: Any | None,
    label: str,
) -> list[ArtifactFile]:
    files: list[ArtifactFile] = []
    if dataset.task == "regression" and dataset.X.shape[1] == 1:
        grid = np.linspace(dataset.X[:, 0].min(), dataset.X[:, 0].max(), 200).reshape(-1, 1)
        files.append(
            ArtifactFile(
                "fit_comparison.png",
                PNG,
                plots.render_fit_comparison(
                    x=data.X_train[:, 0],
                    y=data.y_train,
                    grid=grid[:, 0],
                    regularized=estimator.predict(grid),
                    regularized_label=label,
                    baseline=baseline.predict(grid) if baseline is not None else None,
                ),
            )
        )
    coef = np.asarray(estimator.coef_, dtype=float)
    base_coef = np.asarray(baseline.coef_, dtype=float) if baseline is not None else None
    if coef.ndim == 2 and coef.shape[0] == 1:
        coef = coef[0]
        base_coef = base_coef[0] if base_coef is not None else None
    files.append(
        ArtifactFile(
            "coefficients.png",
            PNG,
            plots.render_coefficients(
                data.feature_names, coef, label, base_coef, dataset.target_names
            ),
        )
    )
    if dataset.task == "classification" and dataset.target_names is not None:
        files.append(confusion_figure(dataset, data, estimator, baseline, label))
    return files
