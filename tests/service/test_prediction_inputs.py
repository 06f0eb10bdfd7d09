"""A prediction request's rows and instances as ONNX feeds, and every refusal's field."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from api_schemas.predictions import InputColumn, ModelInput, PredictionRequest
from service.predictions.inputs import PredictionInputError, prepare

HOUSES = ModelInput(
    kind="columns",
    columns=[
        InputColumn(name="size", type="number"),
        InputColumn(name="district", type="category", categories=["north", "south"]),
    ],
    missing="impute",
)
DIGITS = ModelInput(kind="array", features=3)
IMAGES = ModelInput(kind="image", image_shape=[1, 2, 2])


def rows(*items: dict[str, Any]) -> PredictionRequest:
    return PredictionRequest(rows=list(items))


def refused(model: ModelInput, request: PredictionRequest, max_rows: int = 100) -> list[Any]:
    with pytest.raises(PredictionInputError) as error:
        prepare(model, request, max_rows)
    return list(error.value.loc)


def test_rows_become_one_column_feed_each() -> None:
    prepared = prepare(
        HOUSES, rows({"size": 60, "district": "north"}, {"size": 2.5, "district": None}), 10
    )
    assert prepared.rows == 2 and prepared.warnings == []
    assert prepared.feeds["size"].dtype == np.float64
    assert prepared.feeds["size"].tolist() == [[60.0], [2.5]]
    assert prepared.feeds["district"].tolist() == [["north"], [""]]  # "" is missing


def test_a_missing_number_is_nan_when_training_imputed() -> None:
    prepared = prepare(HOUSES, rows({"size": None, "district": "north"}), 10)
    assert math.isnan(prepared.feeds["size"][0, 0])


def test_an_unknown_category_is_predicted_with_a_warning_that_names_it() -> None:
    prepared = prepare(HOUSES, rows({"size": 1, "district": "east"}), 10)
    assert prepared.warnings == [
        "row 0: district='east' was not seen in training; its one-hot columns are 0"
    ]


@pytest.mark.parametrize(
    ("row", "loc"),
    [
        ({"size": 1}, ["rows", 0, "district"]),  # missing column
        ({"size": 1, "district": "north", "rooms": 2}, ["rows", 0, "rooms"]),  # extra column
        ({"size": "big", "district": "north"}, ["rows", 0, "size"]),  # a string in a number
        ({"size": True, "district": "north"}, ["rows", 0, "size"]),
        ({"size": math.inf, "district": "north"}, ["rows", 0, "size"]),
        ({"size": 1, "district": ["north"]}, ["rows", 0, "district"]),
    ],
)
def test_a_bad_row_is_refused_naming_row_and_column(row: dict[str, Any], loc: list[Any]) -> None:
    assert refused(HOUSES, rows({"size": 1, "district": "north"}, row)) == [loc[0], 1, *loc[2:]]


def test_a_yes_no_category_takes_json_booleans_as_training_saw_them() -> None:
    flags = ModelInput(
        kind="columns",
        columns=[InputColumn(name="new", type="category", categories=["False", "True"])],
    )
    assert prepare(flags, rows({"new": True}), 10).feeds["new"].tolist() == [["True"]]


def test_a_missing_value_is_refused_where_training_refused_them() -> None:
    strict = HOUSES.model_copy(update={"missing": "error"})
    assert refused(strict, rows({"size": None, "district": "north"})) == ["rows", 0, "size"]


def test_the_wrong_kind_of_input_and_too_many_rows_are_refused() -> None:
    assert refused(HOUSES, PredictionRequest(instances=[[1, 2, 3]])) == ["instances"]
    assert refused(DIGITS, rows({"a": 1})) == ["rows"]
    assert refused(DIGITS, PredictionRequest(instances=[[1, 2, 3]] * 3), max_rows=2) == [
        "instances"
    ]


def test_instances_are_checked_for_shape_and_numbers() -> None:
    prepared = prepare(DIGITS, PredictionRequest(instances=[[1, 2, 3], [4, 5, 6]]), 10)
    assert prepared.feeds["X"].shape == (2, 3) and prepared.feeds["X"].dtype == np.float64
    assert refused(DIGITS, PredictionRequest(instances=[[1, 2, 3], [1, 2]])) == ["instances", 1]
    assert refused(DIGITS, PredictionRequest(instances=[[1, "x", 3]])) == ["instances", 0]
    assert refused(DIGITS, PredictionRequest(instances=[[1, [2], 3]])) == ["instances", 0]


def test_images_keep_channels_height_and_width() -> None:
    image = [[[0.0, 1.0], [2.0, 3.0]]]
    assert prepare(IMAGES, PredictionRequest(instances=[image]), 10).feeds["X"].shape == (
        1,
        1,
        2,
        2,
    )
    assert refused(IMAGES, PredictionRequest(instances=[[[0.0, 1.0], [2.0, 3.0]]])) == [
        "instances",
        0,
    ]
