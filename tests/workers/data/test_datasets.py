"""The loaders produce exactly what the catalog (and so the API) says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from api_schemas import DatasetRef
from service.datasets.catalog import BUILTIN_DATASETS
from tests.factories import write_fashion_mnist
from tests.reference import article_data
from workers.data.datasets import (
    LOADERS,
    DatasetUnavailableError,
    load_dataset,
    read_idx,
    write_idx,
)


def test_every_catalog_entry_has_a_loader() -> None:
    assert set(LOADERS) == set(BUILTIN_DATASETS)


@pytest.mark.parametrize(
    ("name", "params"),
    [(name, {}) for name in BUILTIN_DATASETS if name != "fashion_mnist"]
    + [
        ("seed_linear", {"n_samples": 7, "noise": 0.0}),
        ("sparse_regression", {"n_samples": 30, "n_features": 12, "n_informative": 3}),
        ("classification", {"n_samples": 60, "n_features": 5, "n_informative": 3, "n_classes": 4}),
    ],
)
def test_loaded_shape_matches_the_catalog(name: str, params: dict[str, Any]) -> None:
    entry = BUILTIN_DATASETS[name]
    shape = entry.shape(entry.resolve_params(params))
    data = load_dataset(DatasetRef(name=name, params=params), Path("."))
    assert data.X.shape == (shape.rows, shape.features)
    assert data.y.shape == (shape.rows,)
    assert len(data.feature_names) == shape.features
    assert data.task == entry.task
    if entry.task == "classification":
        assert len(np.unique(data.y)) == shape.classes == len(data.target_names or [])


def test_seed_linear_is_exactly_the_articles_data() -> None:
    X, y = article_data()
    data = load_dataset(DatasetRef(name="seed_linear"), Path("."))
    assert np.array_equal(data.X, X)
    assert np.array_equal(data.y, y)


def test_seed_linear_params_change_size_and_noise() -> None:
    data = load_dataset(
        DatasetRef(name="seed_linear", params={"n_samples": 50, "noise": 0}), Path(".")
    )
    assert data.X.shape == (50, 1)
    assert np.allclose(data.y, 3 * data.X[:, 0])


def test_idx_files_round_trip(tmp_path: Path) -> None:
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    write_idx(tmp_path / "a.gz", array)
    assert np.array_equal(read_idx(tmp_path / "a.gz"), array)
    (tmp_path / "bad").write_bytes(b"PK\x03\x04 not idx")
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(tmp_path / "bad")


def test_fashion_mnist_reads_the_standard_files_with_their_test_set(tmp_path: Path) -> None:
    write_fashion_mnist(tmp_path, n_train=30, n_test=10)
    data = load_dataset(DatasetRef(name="fashion_mnist"), tmp_path)
    assert data.X.shape == (30, 784) and data.X_test is not None and data.X_test.shape == (10, 784)
    assert data.image_shape == (1, 28, 28)
    assert data.X.min() >= 0.0 and data.X.max() <= 1.0
    assert data.target_names is not None and data.target_names[9] == "Ankle boot"


def test_fashion_mnist_without_files_says_where_to_put_them(tmp_path: Path) -> None:
    with pytest.raises(DatasetUnavailableError, match=str(tmp_path / "fashion_mnist")):
        load_dataset(DatasetRef(name="fashion_mnist"), tmp_path)
