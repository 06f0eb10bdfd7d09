"""The front of an exported pipeline: a job's raw rows in, the features its model was
fitted on out (double, [N, features]).

An uploaded table comes in as one input per feature column, named by the column, shape
[N, 1]: double for a number (missing: NaN), string for a category (missing: ""). The
graph applies training's preprocessing with the numbers fitted on the training rows
(``workers.data.preprocessing``), in the same order and arithmetic, so its features are
bit for bit the ones training computed: a missing number becomes the fitted fill value
(Where + IsNaN), a missing category the training rows' most frequent one; each category
becomes its one-hot columns (Equal against the training categories: an unseen value is
all zeros, as in training's test rows); a standardized number is (x - mean) / scale.

Where "" is itself one of a column's training categories (a CSV's empty cell in a text
column is read as "", not as missing), "" stays that category, as in training, and is
not filled.
Built-in datasets come in as one array ``X`` that is already the features.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import onnx
import pyarrow as pa
from onnx import TensorProto, helper

from api_schemas.predictions import InputColumn, ModelInput
from workers.data.preprocessing import FittedColumn, FittedPreprocessing
from workers.export.onnx_graphs import constant, model_of

#: The input of a built-in dataset's pipeline.
ARRAY_INPUT = "X"


@dataclass(frozen=True)
class RawInput:
    """What an exported pipeline takes: the job's rows before any preprocessing."""

    description: ModelInput
    #: An upload's table and the preprocessing fitted on its training rows.
    table: pa.Table | None = None
    preprocessing: FittedPreprocessing | None = None

    @classmethod
    def of_upload(cls, table: pa.Table, fitted: FittedPreprocessing) -> RawInput:
        missing = "impute" if fitted.missing.startswith("impute_") else fitted.missing
        columns = [
            InputColumn(name=c.name, type=c.type, categories=c.categories) for c in fitted.columns
        ]
        description = ModelInput(kind="columns", columns=columns, missing=missing)
        return cls(description, table, fitted)

    @classmethod
    def of_arrays(cls, features: int, image_shape: tuple[int, int, int] | None) -> RawInput:
        """A built-in dataset's rows: flat features, or images (a CNN's input)."""
        if image_shape is not None:
            return cls(ModelInput(kind="image", image_shape=list(image_shape)))
        return cls(ModelInput(kind="array", features=features))

    @property
    def names(self) -> list[str]:
        """The pipeline's input names."""
        if self.preprocessing is None:
            return [ARRAY_INPUT]
        return [c.name for c in self.preprocessing.columns]

    def front(self, prefix: str) -> tuple[onnx.ModelProto, str]:
        """The graph from the raw inputs to the features, and the features' name; its
        own names start with ``prefix``."""
        features = f"{prefix}features"
        if self.preprocessing is None:
            shape = self.description.image_shape or [self.description.features or 0]
            source = helper.make_tensor_value_info(ARRAY_INPUT, TensorProto.DOUBLE, [None, *shape])
            nodes = [helper.make_node("Identity", [ARRAY_INPUT], [features])]
            output = helper.make_tensor_value_info(features, TensorProto.DOUBLE, [None, *shape])
            return model_of(nodes, [source], [output], [], "features"), features
        return _columns_graph(self.preprocessing.columns, prefix, features), features

    def feeds(self, X: np.ndarray, rows: int) -> dict[str, np.ndarray]:
        """The first ``rows`` training rows as the pipeline takes them (``X``: the
        training rows' features, which a built-in dataset's rows are)."""
        if self.preprocessing is None or self.table is None:
            shape = self.description.image_shape or [X.shape[1]]
            return {ARRAY_INPUT: np.asarray(X[:rows], dtype=np.float64).reshape(-1, *shape)}
        taken = self.table.take(pa.array(self.preprocessing.rows[:rows]))
        feeds = {}
        for column in self.preprocessing.columns:
            values = taken.column(column.name)
            if column.type == "number":
                array = values.to_numpy(zero_copy_only=False).astype(np.float64)
            else:
                array = np.asarray(
                    ["" if v is None else str(v) for v in values.to_pylist()], dtype=object
                )
            feeds[column.name] = array.reshape(-1, 1)
        return feeds


class _Graph:
    """Nodes and constants of the front, each value named once."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.constants: list[onnx.TensorProto] = []

    def node(self, op: str, inputs: list[str], output: str, **attributes: Any) -> str:
        self.nodes.append(helper.make_node(op, inputs, [output], **attributes))
        return output

    def constant(self, name: str, value: np.ndarray) -> str:
        self.constants.append(constant(name, value))
        return name


def _number(graph: _Graph, column: FittedColumn, name: str) -> str:
    """A number column's feature: filled where missing, then standardized."""
    value = column.name
    if column.fill is not None:
        fill = graph.constant(f"{name}fill", np.asarray(column.fill, np.float64))
        missing = graph.node("IsNaN", [value], f"{name}missing")
        value = graph.node("Where", [missing, fill, value], f"{name}filled")
    if column.standardized is not None:
        mean, scale = (np.asarray(v, np.float64) for v in column.standardized)
        centred = graph.node("Sub", [value, graph.constant(f"{name}mean", mean)], f"{name}centred")
        value = graph.node("Div", [centred, graph.constant(f"{name}scale", scale)], f"{name}scaled")
    return value


def _category(graph: _Graph, column: FittedColumn, name: str) -> str:
    """A category column's one-hot features: "" filled (unless it is a training
    category), then compared with each training category."""
    value = column.name
    categories = column.categories or []
    if column.fill is not None and "" not in categories:
        empty = graph.constant(f"{name}empty", np.asarray("", dtype=object))
        fill = graph.constant(f"{name}fill", np.asarray(str(column.fill), dtype=object))
        missing = graph.node("Equal", [value, empty], f"{name}missing")
        value = graph.node("Where", [missing, fill, value], f"{name}filled")
    known = graph.constant(f"{name}categories", np.asarray([categories], dtype=object))
    is_category = graph.node("Equal", [value, known], f"{name}is")
    return graph.node("Cast", [is_category], f"{name}one_hot", to=TensorProto.DOUBLE)


def _columns_graph(columns: list[FittedColumn], prefix: str, features: str) -> onnx.ModelProto:
    graph = _Graph()
    inputs, parts = [], []
    for index, column in enumerate(columns):
        name = f"{prefix}column{index}/"
        number = column.type == "number"
        kind = TensorProto.DOUBLE if number else TensorProto.STRING
        inputs.append(helper.make_tensor_value_info(column.name, kind, [None, 1]))
        parts.append(_number(graph, column, name) if number else _category(graph, column, name))
    graph.node("Concat", parts, features, axis=1)
    output = helper.make_tensor_value_info(features, TensorProto.DOUBLE, [None, None])
    return model_of(graph.nodes, inputs, [output], graph.constants, "preprocessing")
