"""The loaders produce exactly what the catalog (and so the API) says."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from api_schemas import DatasetRef
from service.datasets.catalog import BUILTIN_DATASETS
from tests.reference import article_data
from workers.datasets import LOADERS, load_dataset


def test_every_catalog_entry_has_a_loader() -> None:
    assert set(LOADERS) == set(BUILTIN_DATASETS)


@pytest.mark.parametrize(
    ("name", "params"),
    [(name, {}) for name in BUILTIN_DATASETS]
    + [
        ("seed_linear", {"n_samples": 7, "noise": 0.0}),
        ("sparse_regression", {"n_samples": 30, "n_features": 12, "n_informative": 3}),
        ("classification", {"n_samples": 60, "n_features": 5, "n_informative": 3, "n_classes": 4}),
    ],
)
def test_loaded_shape_matches_the_catalog(name: str, params: dict[str, Any]) -> None:
    entry = BUILTIN_DATASETS[name]
    shape = entry.shape(entry.resolve_params(params))
    data = load_dataset(DatasetRef(name=name, params=params))
    assert data.X.shape == (shape.rows, shape.features)
    assert data.y.shape == (shape.rows,)
    assert len(data.feature_names) == shape.features
    assert data.task == entry.task
    if entry.task == "classification":
        assert len(np.unique(data.y)) == shape.classes == len(data.target_names or [])


def test_seed_linear_is_exactly_the_articles_data() -> None:
    X, y = article_data()
    data = load_dataset(DatasetRef(name="seed_linear"))
    assert np.array_equal(data.X, X)
    assert np.array_equal(data.y, y)


def test_seed_linear_params_change_size_and_noise() -> None:
    data = load_dataset(DatasetRef(name="seed_linear", params={"n_samples": 50, "noise": 0}))
    assert data.X.shape == (50, 1)
    assert np.allclose(data.y, 3 * data.X[:, 0])
