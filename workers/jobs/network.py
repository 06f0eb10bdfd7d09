"""A network job: train the regularized network (and the same network without
regularization), report both, plan the curves, save the weights."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from api_schemas import (
    FitReport,
    JobCreate,
    Metrics,
    NetworkSummary,
    TrainingSpec,
    TrainingSummary,
)
from api_schemas.predictions import ModelChoice
from workers.data.datasets import Dataset
from workers.data.splits import SplitData, validation_split
from workers.figures.fits import confusion_plan
from workers.figures.networks import Run, network_plans
from workers.figures.plans import FigurePlan
from workers.figures.style import BASELINE, REGULARIZED
from workers.files import JSON, SAFETENSORS, ArtifactFile, TrainingOutput
from workers.jobs.metrics import classification_metrics, regression_metrics
from workers.progress import Progress
from workers.trainers.network_config import NetworkConfig
from workers.trainers.network_io import save_network
from workers.trainers.network_trainer import NetworkTrainer
from workers.trainers.networks import penalized_weights


def network_steps(spec: JobCreate) -> int:
    """An upper bound of the job's steps: data, each epoch of each run, export."""
    epochs = (spec.training or TrainingSpec()).epochs
    return 2 + epochs * (2 if has_baseline(spec) else 1)


def has_baseline(spec: JobCreate) -> bool:
    return spec.baseline and bool(spec.regularizers)


class EpochRows:
    """Each finished epoch becomes a job step (a history row, a checkpoint)."""

    def __init__(self, progress: Progress, kind: str, label: str = "") -> None:
        self.progress, self.kind, self.label = progress, kind, label

    def on_epoch_end(self, trainer: NetworkTrainer, epoch: int, metrics: dict[str, Any]) -> None:
        self.progress.done(f"{self.label}epoch {epoch}", self.kind, **metrics)

    def on_fit_end(self, trainer: NetworkTrainer) -> None:
        pass


def describe(spec: JobCreate, *, regularized: bool) -> str:
    """E.g. 'CNN({"channels": [32, 64], "fc": 128}) + dropout; sgd lr=0.01, ...'."""
    training = spec.training or TrainingSpec()
    model = spec.model.model_dump(exclude={"kind"})
    regularizers = [r.kind for r in spec.regularizers] if regularized else []
    extra = f" + {', '.join(regularizers)}" if regularizers else ""
    return (
        f"{spec.model.kind.upper()}({json.dumps(model)}){extra}; {training.optimizer} "
        f"lr={training.lr:g}, batch {training.batch_size}, {training.epochs} epochs"
    )


def train_network(
    spec: JobCreate, dataset: Dataset, data: SplitData, progress: Progress
) -> tuple[TrainingOutput, dict[ModelChoice, NetworkTrainer]]:
    """The job's output and its trained networks (the regularized one, and the one
    without regularization)."""
    training = spec.training or TrainingSpec()
    X_fit, X_val, y_fit, y_val = validation_split(data, training, dataset.task)
    config = NetworkConfig.from_spec(spec)
    trainer = NetworkTrainer(
        config, dataset.task, dataset.image_shape, [EpochRows(progress, "epoch")]
    ).fit(X_fit, y_fit, X_val, y_val)
    report = network_report(
        trainer, describe(spec, regularized=True), data, (X_fit, y_fit), (X_val, y_val)
    )
    baseline_trainer = baseline = None
    if has_baseline(spec):
        plain = NetworkConfig.from_spec(spec, regularized=False)
        baseline_trainer = NetworkTrainer(
            plain, dataset.task, dataset.image_shape, [EpochRows(progress, "baseline_epoch")]
        ).fit(X_fit, y_fit, X_val, y_val)
        baseline = network_report(
            baseline_trainer,
            describe(spec, regularized=False),
            data,
            (X_fit, y_fit),
            (X_val, y_val),
        )
    figures = network_figure_plans(spec, dataset, data, trainer, baseline_trainer)
    files = [
        ArtifactFile("model.safetensors", SAFETENSORS, save_network(trainer, spec)),
        ArtifactFile("spec.json", JSON, spec.model_dump_json(indent=2).encode()),
    ]
    summary = TrainingSummary(
        task=dataset.task,
        n_train=len(y_fit),
        n_test=0 if data.y_test is None else len(data.y_test),
        classes=dataset.target_names if dataset.task == "classification" else None,
        metrics=report.metrics,
        coefficients=None,
        network=report.network,
        estimator=report.estimator,
        fit_seconds=report.fit_seconds,
        warnings=report.warnings,
        baseline=baseline,
    )
    models: dict[ModelChoice, NetworkTrainer] = {"regularized": trainer}
    if baseline_trainer is not None:
        models["baseline"] = baseline_trainer
    return TrainingOutput(summary=summary, files=files, figures=figures), models


def network_report(
    trainer: NetworkTrainer,
    estimator: str,
    data: SplitData,
    fit: tuple[np.ndarray, np.ndarray],
    val: tuple[np.ndarray | None, np.ndarray | None],
) -> FitReport:
    """Metrics of the trained network on the rows it fitted and the test rows; the
    generalization gap against the test rows (the validation rows without them)."""
    (X_fit, y_fit), (X_val, y_val) = fit, val

    def score(X: np.ndarray, y: np.ndarray) -> Any:
        if trainer.task == "classification":
            return classification_metrics(y, trainer.predict_proba(X), trainer.classes_)
        return regression_metrics(y, trainer.predict(X))

    train = score(X_fit, y_fit)
    test = (
        score(data.X_test, data.y_test)
        if data.X_test is not None and data.y_test is not None
        else None
    )
    held_out = (
        test
        if test is not None
        else (score(X_val, y_val) if X_val is not None and y_val is not None else None)
    )
    gap_metric = "accuracy" if trainer.task == "classification" else "r2"
    gap = None
    if held_out is not None:
        seen, unseen = getattr(train, gap_metric), getattr(held_out, gap_metric)
        gap = None if seen is None or unseen is None else seen - unseen
    return FitReport(
        estimator=estimator,
        metrics=Metrics(train=train, test=test),
        network=NetworkSummary(
            device=str(trainer.device_),
            epochs_run=len(trainer.history_),
            best_epoch=trainer.best_epoch_
            if trainer.stopped_early_ or trainer.restored_best_
            else len(trainer.history_),
            stopped_early=trainer.stopped_early_,
            restored_best=trainer.restored_best_,
            gap_metric=gap_metric,
            generalization_gap=gap,
            parameters=trainer.n_parameters_,
        ),
        fit_seconds=sum(row["seconds"] for row in trainer.history_),
    )


def network_figure_plans(
    spec: JobCreate,
    dataset: Dataset,
    data: SplitData,
    trainer: NetworkTrainer,
    baseline: NetworkTrainer | None,
) -> list[FigurePlan]:
    """Learning curves, weight histograms and (classes) confusion matrices."""
    label = (
        "With " + ", ".join(r.kind for r in spec.regularizers) if spec.regularizers else "Network"
    )
    plans = network_plans(label, dataset.task, runs_of(trainer, label, baseline))
    if dataset.task == "classification" and dataset.target_names is not None:
        plans.append(confusion_plan(dataset, data, trainer, baseline, label))
    return plans


def runs_of(regularized: Any, label: str, baseline: Any | None) -> list[Run]:
    """The runs of fitted network trainers (``history_``, ``best_epoch_``, ``model_``)."""
    runs = [
        Run(
            label,
            regularized.history_,
            regularized.best_epoch_,
            regularized.stopped_early_,
            REGULARIZED,
            flat_weights(regularized),
        )
    ]
    if baseline is not None:
        runs.append(
            Run(
                "Without regularization",
                baseline.history_,
                None,
                False,
                BASELINE,
                flat_weights(baseline),
            )
        )
    return runs


def flat_weights(trainer: Any) -> np.ndarray:
    """Every penalized weight of a fitted network trainer, in one array."""
    return np.concatenate(
        [w.detach().cpu().numpy().ravel() for w in penalized_weights(trainer.model_)]
    )
