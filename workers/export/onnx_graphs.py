"""What every exported graph shares: one operator set, and the part of a model that its
pipeline joins (``Core``: features in, the model's outputs out)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import onnx
from onnx import helper, numpy_helper, version_converter

#: The ai.onnx operator set of every exported file (Equal on strings needs 19).
OPSET = 21
#: The ONNX IR version of OPSET's release.
IR_VERSION = 10


class ExportError(ValueError):
    """A model cannot be exported; the message says why."""


@dataclass(frozen=True)
class Core:
    """A fitted model as a graph: one input (the features it was fitted on, double), the
    prediction of each row (a value, or the index of its class in the job's classes),
    and for a classifier the probability of each of its own ``classes``."""

    model: onnx.ModelProto
    input: str
    predictions: str
    probabilities: str | None = None
    #: The model's classes (indices into the job's classes) in the order of its
    #: probabilities' columns; a training split may lack a class.
    classes: np.ndarray | None = None


def model_of(
    nodes: list[onnx.NodeProto],
    inputs: list[onnx.ValueInfoProto],
    outputs: list[onnx.ValueInfoProto],
    initializers: list[onnx.TensorProto],
    name: str,
) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, name, inputs, outputs, initializers)
    return helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=IR_VERSION
    )


def constant(name: str, value: np.ndarray) -> onnx.TensorProto:
    tensor: onnx.TensorProto = numpy_helper.from_array(value, name)
    return tensor


def at_opset(model: onnx.ModelProto) -> onnx.ModelProto:
    """``model`` on OPSET (converters pick the least set their operators need), so that
    graphs join."""
    current = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), OPSET)
    if current > OPSET:
        raise ExportError(f"the graph needs ai.onnx opset {current}, above {OPSET}")
    if current < OPSET:
        model = version_converter.convert_version(model, OPSET)
    model.ir_version = IR_VERSION
    return model


def names_in(model: onnx.ModelProto) -> set[str]:
    """Every value and initializer name of ``model``'s graph."""
    graph = model.graph
    names = {v.name for v in (*graph.input, *graph.output, *graph.value_info)}
    names |= {t.name for t in graph.initializer}
    for node in graph.node:
        names.update(node.input)
        names.update(node.output)
    return names


def free_prefix(taken: list[str], base: str = "regulab/") -> str:
    """A prefix that starts none of the ``taken`` names (an upload's columns), so the
    graph's own names never meet them."""
    prefix = base
    while any(name.startswith(prefix) for name in taken):
        prefix = "_" + prefix
    return prefix
