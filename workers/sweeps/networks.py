"""Dropout-rate sweeps: on each fold, one network per rate (strongest first)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import KFold, StratifiedKFold

from api_schemas import Dropout
from api_schemas.sweeps import SweepCreate
from workers.datasets import load_dataset
from workers.trainers.network_config import NetworkConfig
from workers.trainers.network_trainer import NetworkTrainer


def run_rate_fold(sweep: SweepCreate, fold: int, data_dir: Path) -> dict[str, Any]:
    """Accuracy (or MSE) of the base network at each dropout rate on one fold."""
    data = load_dataset(sweep.base.dataset, data_dir)
    classifies = data.task == "classification"
    kind = StratifiedKFold if classifies else KFold
    splitter = kind(
        sweep.cv.folds,
        shuffle=sweep.cv.shuffle,
        random_state=sweep.cv.seed if sweep.cv.shuffle else None,
    )
    train, test = list(splitter.split(data.X, data.y))[fold]
    rates = sorted(sweep.grid["rate"].points(), reverse=True)  # strongest first
    test_scores, train_scores = [], []
    for rate in rates:
        regularizers = [
            Dropout(rate=rate) if isinstance(r, Dropout) else r for r in sweep.base.regularizers
        ]
        spec = sweep.base.model_copy(update={"regularizers": regularizers})
        trainer = NetworkTrainer(NetworkConfig.from_spec(spec), data.task, data.image_shape)
        trainer.fit(data.X[train], data.y[train])
        test_scores.append(_score(trainer, data.X[test], data.y[test], classifies))
        train_scores.append(_score(trainer, data.X[train], data.y[train], classifies))
    return {
        "alphas": rates,
        "test_score": test_scores,
        "train_score": train_scores,
        "n_nonzero": [0] * len(rates),
    }


def _score(trainer: NetworkTrainer, X: np.ndarray, y: np.ndarray, classifies: bool) -> float:
    predicted = trainer.predict(X)
    if classifies:
        return float(np.mean(predicted == y))
    return float(np.mean((predicted - y) ** 2))
