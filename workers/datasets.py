"""Loaders for the built-in datasets; shapes agree with ``service.datasets.catalog``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from sklearn import datasets as sk_datasets

from api_schemas import DatasetRef, TaskType
from service.datasets.catalog import BUILTIN_DATASETS

Params = Mapping[str, float | int]


@dataclass(frozen=True)
class Dataset:
    name: str
    task: TaskType
    X: np.ndarray
    y: np.ndarray
    feature_names: list[str]
    target_names: list[str] | None = None


def _seed_linear(p: Params) -> Dataset:
    # Exactly the article's draws: np.random.seed(0) then rand, then normal.
    rng = np.random.RandomState(int(p["seed"]))
    n = int(p["n_samples"])
    X = rng.rand(n, 1)
    y = p["slope"] * X[:, 0] + rng.normal(0, p["noise"], n)
    return Dataset("seed_linear", "regression", X, y, ["x"])


def _sparse_regression(p: Params) -> Dataset:
    X, y = sk_datasets.make_regression(
        n_samples=int(p["n_samples"]),
        n_features=int(p["n_features"]),
        n_informative=int(p["n_informative"]),
        noise=float(p["noise"]),
        random_state=int(p["seed"]),
    )
    names = [f"x{i}" for i in range(X.shape[1])]
    return Dataset("sparse_regression", "regression", X, y, names)


def _classification(p: Params) -> Dataset:
    X, y = sk_datasets.make_classification(
        n_samples=int(p["n_samples"]),
        n_features=int(p["n_features"]),
        n_informative=int(p["n_informative"]),
        n_redundant=0,
        n_classes=int(p["n_classes"]),
        random_state=int(p["seed"]),
    )
    names = [f"x{i}" for i in range(X.shape[1])]
    classes = [str(c) for c in range(int(p["n_classes"]))]
    return Dataset("classification", "classification", X, y, names, classes)


def _bundled(name: str, task: TaskType) -> Callable[[Params], Dataset]:
    def load(_: Params) -> Dataset:
        bunch = getattr(sk_datasets, f"load_{name}")()
        names = [str(f) for f in getattr(bunch, "feature_names", [])] or [
            f"x{i}" for i in range(bunch.data.shape[1])
        ]
        targets = [str(t) for t in bunch.target_names] if task == "classification" else None
        return Dataset(name, task, np.asarray(bunch.data, float), bunch.target, names, targets)

    return load


LOADERS: dict[str, Callable[[Params], Dataset]] = {
    "seed_linear": _seed_linear,
    "sparse_regression": _sparse_regression,
    "classification": _classification,
    "diabetes": _bundled("diabetes", "regression"),
    "breast_cancer": _bundled("breast_cancer", "classification"),
    "iris": _bundled("iris", "classification"),
    "wine": _bundled("wine", "classification"),
    "digits": _bundled("digits", "classification"),
}


def load_dataset(ref: DatasetRef) -> Dataset:
    entry = BUILTIN_DATASETS[ref.name]
    return LOADERS[ref.name](entry.resolve_params(ref.params))
