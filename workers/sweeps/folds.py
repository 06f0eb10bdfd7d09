"""The folds of a sweep or comparison: the same rows on every worker and every attempt."""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import KFold, StratifiedKFold

from api_schemas.cv import CVSettings
from workers.datasets import Dataset


def fold_rows(data: Dataset, cv: CVSettings, fold: int) -> tuple[np.ndarray, np.ndarray]:
    """The training and held-out rows of ``fold``: stratified for classification, as
    LogisticRegressionCV makes them; plain KFold for regression, as LassoCV does."""
    kind = StratifiedKFold if data.task == "classification" else KFold
    splitter = kind(cv.folds, shuffle=cv.shuffle, random_state=cv.seed if cv.shuffle else None)
    train, test = list(splitter.split(data.X, data.y))[fold]
    return train, test
