"""The rows of a sweep or comparison, fold by fold: the same folds on every worker and every
attempt, from a built-in dataset or an upload (whose preprocessing is fitted on each fold's
training rows, as a k-fold job's is)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.model_selection import KFold, StratifiedKFold

from api_schemas import JobCreate, TaskType
from api_schemas.cv import CVSettings
from workers.data.datasets import Dataset, load_dataset
from workers.data.preprocessing import prepare_upload, target_values
from workers.data.splits import SplitData
from workers.data.uploads import UploadedTable

Rows = tuple[np.ndarray, np.ndarray]
#: Reads the uploaded table a base spec names (None for a built-in dataset).
UploadReader = Callable[[JobCreate], UploadedTable | None]


@dataclass(frozen=True)
class DataSources:
    """Where a sweep's rows come from: the built-in datasets' folder and the uploads."""

    data_dir: Path
    read_upload: UploadReader

    def load(self, base: JobCreate) -> SweepData:
        return SweepData.load(base, self.data_dir, self.read_upload(base))


@dataclass(frozen=True)
class SweepData:
    base: JobCreate
    task: TaskType
    y: np.ndarray  # every row's target: what the folds are drawn from
    image_shape: tuple[int, int, int] | None
    target_names: list[str] | None
    dataset: Dataset | None = None
    upload: UploadedTable | None = None

    @classmethod
    def load(cls, base: JobCreate, data_dir: Path, upload: UploadedTable | None) -> SweepData:
        if upload is not None:
            y = target_values(upload.table, upload.target, upload.classes)
            return cls(base, upload.task, y, None, upload.classes, upload=upload)
        dataset = load_dataset(base.dataset, data_dir)
        return cls(
            base, dataset.task, dataset.y, dataset.image_shape, dataset.target_names, dataset
        )

    @property
    def classifies(self) -> bool:
        return self.task == "classification"

    def rows(self, cv: CVSettings, fold: int) -> Rows:
        """The training and held-out rows of ``fold``: stratified for classification, as
        LogisticRegressionCV makes them; plain KFold for regression, as LassoCV does."""
        kind = StratifiedKFold if self.classifies else KFold
        splitter = kind(cv.folds, shuffle=cv.shuffle, random_state=cv.seed if cv.shuffle else None)
        train, test = list(splitter.split(np.zeros(len(self.y)), self.y))[fold]
        return train, test

    def split(self, rows: Rows) -> SplitData:
        """The fold's training and held-out rows as model inputs."""
        upload = self.upload
        if upload is not None:
            split, _ = prepare_upload(upload.table, upload.target, upload.classes, self.base, rows)
            return split
        assert self.dataset is not None
        X, y, (train, test) = self.dataset.X, self.dataset.y, rows
        return SplitData(X[train], y[train], X[test], y[test], self.dataset.feature_names)

    def every_row(self) -> SplitData:
        """Every row as training rows (the path's final fits)."""
        split = self.split((np.arange(len(self.y)), np.arange(0)))
        return SplitData(split.X_train, split.y_train, None, None, split.feature_names)
