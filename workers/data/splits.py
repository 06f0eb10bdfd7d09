"""A job's rows split for fitting: train/test, k folds, and a network's validation rows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

from api_schemas import JobCreate, TrainingSpec
from workers.data.datasets import Dataset


class DataError(ValueError):
    """The data cannot be fitted as asked (e.g. one class in the training split)."""


@dataclass(frozen=True)
class SplitData:
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray | None
    y_test: np.ndarray | None
    feature_names: list[str]


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


def validation_split(
    data: SplitData, training: TrainingSpec, task: str
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, np.ndarray | None]:
    """A network's training rows less its validation rows (stratified where it can be)."""
    if training.validation_fraction == 0:
        return data.X_train, None, data.y_train, None
    stratify = data.y_train if task == "classification" else None
    try:
        X_fit, X_val, y_fit, y_val = train_test_split(
            data.X_train,
            data.y_train,
            test_size=training.validation_fraction,
            random_state=training.seed,
            stratify=stratify,
        )
    except ValueError:  # a class too rare to stratify
        X_fit, X_val, y_fit, y_val = train_test_split(
            data.X_train,
            data.y_train,
            test_size=training.validation_fraction,
            random_state=training.seed,
        )
    return X_fit, X_val, y_fit, y_val
