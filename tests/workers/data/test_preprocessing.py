"""Preprocessing is fitted on the training rows only."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from api_schemas import JobCreate
from workers.data.preprocessing import prepare_upload
from workers.data.splits import DataError


def spec(**changes: object) -> JobCreate:
    body = {
        "dataset": {"id": "d"},
        "model": {"kind": "linear_regression"},
        "split": {"test_fraction": 0.5, "seed": 0},
        **changes,
    }
    return JobCreate.model_validate(body)


def test_statistics_come_from_the_training_rows_only() -> None:
    # A planted shift: the test rows' x is 1000 larger. Fitted on all rows, the mean
    # would sit near 500; fitted on the training rows it stays near theirs.
    train_rows, test_rows = np.arange(0, 10), np.arange(10, 20)
    x = np.concatenate([np.linspace(0, 1, 10), 1000 + np.linspace(0, 1, 10)])
    table = pa.table({"x": x, "y": x * 2})
    data, report = prepare_upload(
        table, "y", None, spec(preprocessing={"standardize": True}), (train_rows, test_rows)
    )
    mean, scale = report.standardized["x"]
    assert mean == pytest.approx(0.5) and scale == pytest.approx(np.std(np.linspace(0, 1, 10)))
    assert abs(data.X_train[:, 0].mean()) < 1e-12
    assert data.X_test is not None and data.X_test[:, 0].min() > 1000  # far outside, as it is


def test_imputation_and_categories_are_learned_on_training_rows() -> None:
    table = pa.table(
        {
            "x": [1.0, None, 3.0, 100.0, None, 200.0],
            "c": ["a", "b", "a", "z", "b", None],
            "y": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        }
    )
    rows = (np.array([0, 1, 2]), np.array([3, 4, 5]))
    data, report = prepare_upload(
        table, "y", None, spec(preprocessing={"missing": "impute_mean"}), rows
    )
    assert data.feature_names == ["x", "c=a", "c=b"]  # 'z' is unseen in training rows
    assert data.X_test is not None
    assert data.X_test[1, 0] == pytest.approx(2.0)  # the training mean, not the test rows'
    assert data.X_test[0].tolist() == [100.0, 0.0, 0.0]
    assert report.imputed == {"x": 2, "c": 1}


def test_missing_values_are_refused_naming_column_and_rows_unless_told() -> None:
    table = pa.table({"x": [1.0, None, 3.0, None], "y": [1.0, 2.0, 3.0, 4.0]})
    with pytest.raises(DataError, match=r"'x' is missing in rows 2, 4"):
        prepare_upload(table, "y", None, spec())
    data, report = prepare_upload(
        table, "y", None, spec(preprocessing={"missing": "drop_rows"}, split={"test_fraction": 0})
    )
    assert len(data.y_train) == 2 and report.rows_dropped == {"train": 2, "test": 0}
