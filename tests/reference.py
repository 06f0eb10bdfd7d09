"""The article's scikit-learn code, as written there: the numbers the service must match."""

from __future__ import annotations

import numpy as np


def article_data() -> tuple[np.ndarray, np.ndarray]:
    np.random.seed(0)
    X = np.random.rand(100, 1)
    y = 3 * X.squeeze() + np.random.normal(0, 0.3, 100)
    return X, y


L1_JOB = {
    "dataset": {"name": "seed_linear"},
    "model": {"kind": "linear_regression"},
    "regularizers": [{"kind": "l1", "alpha": 0.2}],
    "split": {"test_fraction": 0.0},
}
L2_JOB = {
    "dataset": {"name": "seed_linear"},
    "model": {"kind": "linear_regression"},
    "regularizers": [{"kind": "l2", "alpha": 1.0}],
    "split": {"test_fraction": 0.0},
}
LOGISTIC_L1_JOB = {
    "dataset": {"name": "breast_cancer"},
    "model": {"kind": "logistic_regression"},
    "regularizers": [{"kind": "l1", "alpha": 0.5}],
    "split": {"test_fraction": 0.25, "seed": 7},
}
