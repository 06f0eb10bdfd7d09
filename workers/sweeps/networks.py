"""Networks in sweeps and comparisons: on each fold, one network per value (a dropout rate
or a penalty's alpha, strongest first) or per configuration, each trained as a job trains
it (on the fold's training rows less its validation rows, which early stopping watches)
and scored on the fold's held-out rows. Every epoch is a checkpoint of the fold's job, so
cancel, time limits and heartbeats reach inside a fold."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from api_schemas import REGULARIZERS, JobCreate, Regularizer, TrainingSpec
from api_schemas.sweeps import SweepCreate
from workers.data.splits import SplitData, validation_split
from workers.jobs.network import EpochRows
from workers.progress import Progress
from workers.sweeps.folds import SweepData
from workers.sweeps.results import ValueFoldResult
from workers.trainers.network_config import NetworkConfig
from workers.trainers.network_trainer import NetworkTrainer


@dataclass(frozen=True)
class FoldScores:
    test: float  # accuracy for classification, MSE for regression
    train: float  # on the rows the network was fitted on


def with_value(base: JobCreate, parameter: str, value: float) -> JobCreate:
    """``base`` with ``parameter`` set wherever a sweep may vary it (the registry's
    ``sweeps``): its dropout rate, or its one strength regularizer's alpha."""

    def set_value(regularizer: Regularizer) -> Regularizer:
        if parameter in REGULARIZERS[regularizer.kind].sweeps:
            return regularizer.model_copy(update={parameter: value})
        return regularizer

    regularizers = [set_value(r) for r in base.regularizers]
    return base.model_copy(update={"regularizers": regularizers})


def network_steps(spec: JobCreate, trainings: int) -> int:
    """An upper bound of a fold's steps: every epoch of every network, and the fold."""
    return trainings * (spec.training or TrainingSpec()).epochs + 1


def fit_and_score(
    spec: JobCreate, data: SweepData, split: SplitData, progress: Progress, label: str
) -> FoldScores:
    """Train ``spec``'s network on the fold's training rows, score it on its held-out rows."""
    assert split.X_test is not None and split.y_test is not None
    training = spec.training or TrainingSpec()
    X_fit, X_val, y_fit, y_val = validation_split(split, training, data.task)
    trainer = NetworkTrainer(
        NetworkConfig.from_spec(spec),
        data.task,
        data.image_shape,
        [EpochRows(progress, "sweep_epoch", label=f"{label}: ")],
    ).fit(X_fit, y_fit, X_val, y_val)
    return FoldScores(
        test=_score(trainer, split.X_test, split.y_test, data.classifies),
        train=_score(trainer, X_fit, y_fit, data.classifies),
    )


def run_network_fold(
    sweep: SweepCreate, data: SweepData, split: SplitData, progress: Progress
) -> ValueFoldResult:
    """The CV score (accuracy or MSE) of the base network at each value on one fold."""
    parameter = sweep.parameter
    values = sorted(sweep.grid[parameter].points(), reverse=True)  # strongest first
    scores = [
        fit_and_score(
            with_value(sweep.base, parameter, value),
            data,
            split,
            progress,
            f"{parameter}={value:g}",
        )
        for value in values
    ]
    return ValueFoldResult(
        values=values,
        test_score=[s.test for s in scores],
        train_score=[s.train for s in scores],
        task=data.task,
    )


def _score(trainer: NetworkTrainer, X: np.ndarray, y: np.ndarray, classifies: bool) -> float:
    predicted = trainer.predict(X)
    if classifies:
        return float(np.mean(predicted == y))
    return float(np.mean((predicted - y) ** 2))
