"""An uploaded table's pipeline: the ONNX file takes the raw columns by name and applies
training's preprocessing (imputation, one-hot, standardization) with the training rows'
numbers, so on raw test rows (with missing cells and unseen categories) it gives what the
estimator gives on the rows training preprocessed."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import pyarrow as pa
import pyarrow.csv as pa_csv
import pytest

from api_schemas import JobCreate
from tests.workers.export.fitting import (
    assert_classification,
    assert_regression,
    fit_upload,
    job,
    table_feeds,
)
from workers.data.preprocessing import prepare_upload
from workers.data.uploads import UploadedTable
from workers.export.export import export_models
from workers.export.preprocessing_graph import RawInput
from workers.jobs.train import train
from workers.trainers.linear import build_estimator

TRAIN, TEST = np.arange(0, 150), np.arange(150, 200)
DISTRICTS = ["north", "south", "east", "west"]


def houses(n: int = 200, *, columns: dict[str, str] | None = None) -> pa.Table:
    """Houses with missing sizes and districts in both splits, and districts in the test
    rows that training never saw."""
    rng = np.random.default_rng(7)
    size = rng.uniform(30, 150, n)
    rooms = rng.integers(1, 6, n)
    district = rng.choice(DISTRICTS, n).astype(object)
    district[TEST[::7]] = "harbour"  # unseen in training
    price = (
        3 * size
        + 20 * rooms
        + np.array([DISTRICTS.index(d) if d in DISTRICTS else 0 for d in district]) * 15
    )
    price = price + rng.normal(0, 10, n)
    size_cells: list[float | None] = size.tolist()
    district_cells: list[str | None] = district.tolist()
    for i in [3, 40, 77, 151, 160, 199]:
        size_cells[i] = None
    for i in [5, 90, 152, 170]:
        district_cells[i] = None
    tiers = np.digitize(price, np.quantile(price, [1 / 3, 2 / 3]))
    names = {"size": "size", "rooms": "rooms", "district": "district", **(columns or {})}
    return pa.table(
        {
            names["size"]: size_cells,
            names["rooms"]: rooms,
            names["district"]: district_cells,
            "price": price,
            "tier": np.asarray(["cheap", "dear", "mid"])[[0, 2, 1]][tiers],
        }
    )


def without(table: pa.Table, column: str) -> pa.Table:
    return table.drop_columns([column])


PREPROCESSING = {"standardize": True, "missing": "impute_median"}


@pytest.mark.parametrize("missing", ["impute_mean", "impute_median", "impute_most_frequent"])
@pytest.mark.parametrize(
    "regularizer",
    [
        {"kind": "l1", "alpha": 0.5},
        {"kind": "l2", "alpha": 1.0},
        {"kind": "elastic_net", "alpha": 0.2},
    ],
    ids=["l1", "l2", "elastic_net"],
)
def test_a_linear_regression_takes_raw_rows_with_missing_and_unseen_values(
    missing: str, regularizer: dict[str, Any]
) -> None:
    table = without(houses(), "tier")
    body = {
        "model": {"kind": "linear_regression"},
        "regularizers": [regularizer],
        "preprocessing": {"standardize": True, "missing": missing},
    }
    fitted = fit_upload(table, "price", None, body, (TRAIN, TEST))
    export = fitted.exported.export
    assert export.input.kind == "columns" and export.input.missing == "impute"
    assert export.input.columns is not None
    assert [(c.name, c.type, c.categories) for c in export.input.columns] == [
        ("size", "number", None),
        ("rooms", "number", None),
        ("district", "category", ["east", "north", "south", "west"]),
    ]
    assert export.onnx == ["regularized", "baseline"] and export.skops == export.onnx
    feeds = table_feeds(table, "price", TEST)
    assert np.isnan(feeds["size"]).any() and "" in feeds["district"]
    assert "harbour" in feeds["district"]
    assert fitted.data.X_test is not None
    for choice, estimator in fitted.models.items():
        assert_regression(fitted.run(feeds, choice), estimator.predict(fitted.data.X_test), 1e-9)


def test_the_front_computes_trainings_features_bit_for_bit() -> None:
    table = without(houses(), "tier")
    fitted = fit_upload(
        table,
        "price",
        None,
        {"model": {"kind": "linear_regression"}, "preprocessing": PREPROCESSING},
        (TRAIN, TEST),
    )
    front, features = fitted.source.front("check/")
    session = ort.InferenceSession(front.SerializeToString(), providers=["CPUExecutionProvider"])
    for rows, expected in ((TRAIN, fitted.data.X_train), (TEST, fitted.data.X_test)):
        (got,) = session.run([features], table_feeds(table, "price", rows))
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize(
    "regularizer", [{"kind": "l1", "alpha": 0.2}, {"kind": "l2", "alpha": 0.5}], ids=["l1", "l2"]
)
@pytest.mark.parametrize(
    "classes", [["cheap", "dear", "mid"], ["cheap", "dear"]], ids=["multiclass", "binary"]
)
def test_a_logistic_regression_on_an_upload_gives_the_estimators_classes(
    regularizer: dict[str, Any], classes: list[str]
) -> None:
    table = without(houses(), "price")
    if len(classes) == 2:
        tier = np.asarray(table.column("tier").to_pylist())
        table = table.set_column(3, "tier", pa.array(np.where(tier == "mid", "dear", tier)))
    body = {
        "model": {"kind": "logistic_regression"},
        "regularizers": [regularizer],
        "preprocessing": PREPROCESSING,
    }
    fitted = fit_upload(table, "tier", classes, body, (TRAIN, TEST))
    feeds = table_feeds(table, "tier", TEST)
    X = fitted.data.X_test
    assert X is not None
    for choice, estimator in fitted.models.items():
        got = fitted.run(feeds, choice)
        assert_classification(got, estimator.predict(X), estimator.predict_proba(X), 1e-9)


def test_a_class_the_training_rows_lack_gets_probability_zero() -> None:
    table = without(houses(), "price")
    tier = np.asarray(table.column("tier").to_pylist())
    train_rows = TRAIN[tier[TRAIN] != "mid"]  # "mid" only in the test rows
    spec = job(
        {
            "dataset": {"id": "d"},
            "model": {"kind": "logistic_regression"},
            "preprocessing": PREPROCESSING,
        }
    )
    # A job's metrics refuse a test class the training rows lack: fit as the job does.
    data, report = prepare_upload(table, "tier", ["cheap", "dear", "mid"], spec, (train_rows, TEST))
    estimator = build_estimator(spec, None, 2).fit(data.X_train, data.y_train)
    assert report.fitted is not None and estimator.classes_.tolist() == [0, 1]
    source = RawInput.of_upload(table, report.fitted)
    exported = export_models({"regularized": estimator}, source, data.X_train, 3)
    assert exported.export.onnx == ["regularized"]
    session = ort.InferenceSession(exported.files[0].data, providers=["CPUExecutionProvider"])
    predictions, probabilities = session.run(None, table_feeds(table, "tier", TEST))
    assert data.X_test is not None
    expected = np.zeros((len(TEST), 3))
    expected[:, :2] = estimator.predict_proba(data.X_test)
    got = {"predictions": predictions, "probabilities": probabilities}
    assert_classification(got, estimator.predict(data.X_test), expected, 1e-9)
    assert (probabilities[:, 2] == 0).all()


def test_column_names_that_meet_the_graphs_own_names_are_taken_as_they_are() -> None:
    odd = {"size": "regulab/features", "rooms": "X", "district": "coef"}
    table = without(houses(columns=odd), "tier")
    fitted = fit_upload(
        table,
        "price",
        None,
        {"model": {"kind": "linear_regression"}, "preprocessing": PREPROCESSING, "baseline": False},
        (TRAIN, TEST),
    )
    assert fitted.exported.export.onnx == ["regularized"]
    assert fitted.data.X_test is not None
    assert_regression(
        fitted.run(table_feeds(table, "price", TEST)),
        fitted.models["regularized"].predict(fitted.data.X_test),
        1e-9,
    )


def test_drop_rows_exports_without_imputation_and_says_missing_is_refused() -> None:
    table = without(houses(), "tier")
    fitted = fit_upload(
        table,
        "price",
        None,
        {"model": {"kind": "linear_regression"}, "preprocessing": {"missing": "drop_rows"}},
        (TRAIN, TEST),
    )
    assert fitted.exported.export.input.missing == "drop_rows"
    complete = np.asarray(
        [
            i
            for i in TEST
            if table.column("size")[int(i)].is_valid and table.column("district")[int(i)].is_valid
        ]
    )
    got = fitted.run(table_feeds(table, "price", complete))
    X = fitted.data.X_test
    assert X is not None and len(X) == len(complete)
    assert_regression(got, fitted.models["regularized"].predict(X), 1e-9)


def test_an_mlp_on_an_upload_takes_the_raw_columns() -> None:
    table = without(houses(), "tier")
    body = {
        "model": {"kind": "mlp", "hidden": [16], "activation": "tanh"},
        "regularizers": [{"kind": "batch_norm"}, {"kind": "dropout", "rate": 0.1}],
        "preprocessing": PREPROCESSING,
        "training": {"epochs": 3, "batch_size": 32},
        "baseline": False,
    }
    fitted = fit_upload(table, "price", None, body, (TRAIN, TEST))
    assert fitted.exported.export.onnx == ["regularized"]
    assert fitted.data.X_test is not None
    expected = fitted.models["regularized"].predict(fitted.data.X_test)
    assert_regression(fitted.run(table_feeds(table, "price", TEST)), expected, 1e-5)


def upload_of(table: pa.Table, target: str) -> UploadedTable:
    return UploadedTable("houses", table, target, "regression", None, "0" * 64)


def test_a_job_on_an_upload_records_its_export_and_hands_back_the_files() -> None:
    table = without(houses(), "tier")
    spec = JobCreate.model_validate(
        {
            "dataset": {"id": "d"},
            "model": {"kind": "linear_regression"},
            "regularizers": [{"kind": "l1", "alpha": 0.5}],
            "preprocessing": PREPROCESSING,
        }
    )
    output = train(spec, Path(), upload=upload_of(table, "price"))
    export = output.summary.export
    assert export is not None and export.onnx == ["regularized", "baseline"]
    assert export.skops == ["regularized", "baseline"] and export.problems == {}
    names = {f.name for f in output.files}
    assert {"model.onnx", "baseline.onnx", "model.skops", "baseline.skops"} <= names
    media = {f.media_type for f in output.files if f.name.endswith((".onnx", ".skops"))}
    assert media == {"application/octet-stream"}


def test_a_model_that_cannot_be_exported_leaves_the_job_successful_and_says_why() -> None:
    # A column named like an output: the ONNX file could not name both.
    table = without(houses(columns={"rooms": "predictions"}), "tier")
    spec = JobCreate.model_validate(
        {
            "dataset": {"id": "d"},
            "model": {"kind": "linear_regression"},
            "regularizers": [{"kind": "l2", "alpha": 1.0}],
            "preprocessing": PREPROCESSING,
        }
    )
    output = train(spec, Path(), upload=upload_of(table, "price"))
    export = output.summary.export
    assert export is not None and export.onnx == []
    assert set(export.problems) == {"regularized", "baseline"}
    assert "'predictions'" in export.problems["regularized"]
    assert export.skops == ["regularized", "baseline"]  # skops files do not name columns
    assert sum("no ONNX file" in w for w in output.summary.warnings) == 2
    assert output.summary.metrics.train is not None
    assert not any(f.name.endswith(".onnx") for f in output.files)


def test_an_empty_text_cell_of_a_csv_stays_the_category_training_made_of_it() -> None:
    # pyarrow reads a CSV's empty cell in a text column as "" (a number column's as
    # null): training one-hot encodes "" as a category, so the file must not fill it.
    lines = ["size,district,price"]
    rng = np.random.default_rng(3)
    for i in range(60):
        district = "" if i % 9 == 0 else DISTRICTS[i % 4]
        size = "" if i % 11 == 0 else f"{rng.uniform(30, 150):.1f}"
        lines.append(f"{size},{district},{rng.uniform(100, 400):.1f}")
    table = pa_csv.read_csv(io.BytesIO("\n".join(lines).encode()))
    assert table.column("district").null_count == 0 and table.column("size").null_count > 0
    rows = (np.arange(0, 45), np.arange(45, 60))
    body = {"model": {"kind": "linear_regression"}, "preprocessing": PREPROCESSING}
    fitted = fit_upload(table, "price", None, body, rows)
    columns = fitted.exported.export.input.columns
    assert columns is not None and columns[1].categories == ["", "east", "north", "south", "west"]
    assert fitted.exported.export.onnx == ["regularized"]
    feeds = table_feeds(table, "price", rows[1])
    assert "" in feeds["district"]
    assert fitted.data.X_test is not None
    expected = fitted.models["regularized"].predict(fitted.data.X_test)
    assert_regression(fitted.run(feeds), expected, 1e-9)
