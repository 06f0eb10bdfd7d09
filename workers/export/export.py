"""A job's fitted models as files: ``model.onnx`` / ``baseline.onnx`` (the whole pipeline,
preprocessing + model) and, for scikit-learn estimators, ``model.skops`` /
``baseline.skops`` (``skops.io``, never pickle).

Each pipeline is the front (``preprocessing_graph``: the raw rows to the features), the
model's graph (``estimators``, ``networks``) and a head that names the outputs as
``api_schemas.predictions`` says: ``predictions`` and, for a classifier, ``probabilities``
over all of the job's classes (a class the training split lacked has probability 0).

Before a file is kept, onnxruntime runs it on the first training rows as the pipeline
takes them, and its outputs must equal the model's own (scikit-learn and the torch
engine to 1e-9 relative, networks to 1e-5): a file that differs is not kept. A model
that cannot be exported leaves the job successful; ``problems`` and the job's
``warnings`` say why (keyed by the model for its ONNX file, by ``<model>.skops`` for its
skops file).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import skops.io
from onnx import TensorProto, helper
from onnx.compose import merge_models
from sklearn.base import BaseEstimator

from api_schemas.predictions import ModelChoice, ModelExport
from workers.export.estimators import estimator_core
from workers.export.networks import network_core, network_predictions
from workers.export.onnx_graphs import Core, ExportError, constant, free_prefix
from workers.export.preprocessing_graph import RawInput
from workers.files import ONNX, SKOPS, ArtifactFile
from workers.progress import StopTrainingError
from workers.trainers.network_trainer import NetworkTrainer

log = logging.getLogger(__name__)

#: The file name (less its suffix) of each model.
FILE_STEMS: dict[ModelChoice, str] = {"regularized": "model", "baseline": "baseline"}
OUTPUTS = ("predictions", "probabilities")
#: Training rows the exported pipeline is checked on.
CHECK_ROWS = 64
#: How close the pipeline's outputs are to the model's own: relative, and absolute on
#: the scale of the outputs.
ESTIMATOR_TOLERANCE, NETWORK_TOLERANCE = 1e-9, 1e-5


@dataclass(frozen=True)
class ExportedModels:
    files: list[ArtifactFile]
    export: ModelExport
    warnings: list[str]


def export_models(
    models: dict[ModelChoice, Any],
    source: RawInput,
    X_train: np.ndarray,
    n_classes: int,
) -> ExportedModels:
    """The files of each fitted model (``NetworkTrainer`` or a linear estimator) and
    what exported; ``X_train``: the training rows' features; ``n_classes``: the job's
    classes (0 for a regression)."""
    files: list[ArtifactFile] = []
    export = ModelExport(input=source.description)
    notes: list[str] = []
    for choice, model in models.items():
        stem = FILE_STEMS[choice]
        try:
            graph = pipeline(model, source, X_train.shape[1], n_classes)
            check(graph, model, source, X_train, n_classes)
            files.append(ArtifactFile(f"{stem}.onnx", ONNX, graph.SerializeToString()))
            export.onnx.append(choice)
        except Exception as exc:
            export.problems[choice] = _reason(exc, f"exporting the {choice} model to ONNX")
            notes.append(
                f"the {choice} model has no ONNX file, so it cannot predict: "
                f"{export.problems[choice]}"
            )
        if isinstance(model, BaseEstimator):
            try:
                files.append(ArtifactFile(f"{stem}.skops", SKOPS, skops.io.dumps(model)))
                export.skops.append(choice)
            except Exception as exc:
                key = f"{choice}.skops"
                export.problems[key] = _reason(exc, f"saving the {choice} model with skops")
                notes.append(f"the {choice} model has no skops file: {export.problems[key]}")
    return ExportedModels(files, export, notes)


def _reason(exc: Exception, doing: str) -> str:
    """Why an export failed, for the job's summary; a stop request or an allocation
    failure (maybe wrapped by an exporter) ends the job as it would anywhere else."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, StopTrainingError | MemoryError):
            raise cause
        cause = cause.__cause__ or cause.__context__
    log.warning("%s failed", doing, exc_info=exc)
    text = str(exc).strip().splitlines()
    detail = text[0][:300] if text else ""
    return f"{type(exc).__name__}: {detail}" if not isinstance(exc, ExportError) else detail


def core_of(model: Any, source: RawInput, n_features: int) -> Core:
    if isinstance(model, NetworkTrainer):
        shape = source.description.image_shape
        return network_core(model, tuple(shape) if shape else (n_features,))
    return estimator_core(model, n_features)


def pipeline(model: Any, source: RawInput, n_features: int, n_classes: int) -> onnx.ModelProto:
    """The front, the model's graph and the head, joined."""
    clash = set(OUTPUTS) & set(source.names)
    if clash:
        raise ExportError(
            f"a feature column is named {sorted(clash)[0]!r}, which is an output's name in "
            "the ONNX file; rename the column"
        )
    core = core_of(model, source, n_features)
    prefix = free_prefix(source.names)
    front, features = source.front(prefix)
    inner = f"{prefix}model/"
    graph_outputs = [f"{inner}{core.predictions}"]
    if core.probabilities is not None:
        graph_outputs.append(f"{inner}{core.probabilities}")
    joined = merge_models(
        front,
        core.model,
        io_map=[(features, core.input)],
        prefix2=inner,
        outputs=graph_outputs,
        name="regulab",
    )
    _add_head(joined, core, inner, n_classes)
    onnx.checker.check_model(joined)
    return joined


def _add_head(model: onnx.ModelProto, core: Core, inner: str, n_classes: int) -> None:
    """Name the outputs as the contract does; the probabilities of all the job's classes."""
    graph = model.graph
    predicted = graph.output[0].type.tensor_type.elem_type
    graph.node.append(helper.make_node("Identity", [f"{inner}{core.predictions}"], [OUTPUTS[0]]))
    outputs = [helper.make_tensor_value_info(OUTPUTS[0], predicted, [None])]
    if core.probabilities is not None and core.classes is not None:
        source = f"{inner}{core.probabilities}"
        if np.array_equal(core.classes, np.arange(n_classes)):
            graph.node.append(helper.make_node("Identity", [source], [OUTPUTS[1]]))
        else:  # a zero column for each class the model did not see
            positions = {int(c): i for i, c in enumerate(core.classes)}
            index = [positions.get(j, len(core.classes)) for j in range(n_classes)]
            graph.initializer.extend(
                [
                    constant(f"{inner}pad", np.asarray([0, 0, 0, 1], np.int64)),
                    constant(f"{inner}all_classes", np.asarray(index, np.int64)),
                ]
            )
            graph.node.extend(
                [
                    helper.make_node("Pad", [source, f"{inner}pad"], [f"{inner}padded"]),
                    helper.make_node(
                        "Gather", [f"{inner}padded", f"{inner}all_classes"], [OUTPUTS[1]], axis=1
                    ),
                ]
            )
        outputs.append(
            helper.make_tensor_value_info(OUTPUTS[1], TensorProto.DOUBLE, [None, n_classes])
        )
    del graph.output[:]
    graph.output.extend(outputs)


def all_classes(probabilities: np.ndarray, classes: np.ndarray, n_classes: int) -> np.ndarray:
    """Probabilities over a model's ``classes`` as columns of all ``n_classes``."""
    full = np.zeros((len(probabilities), n_classes))
    full[:, classes] = probabilities
    return full


def expected_outputs(
    model: Any, source: RawInput, X: np.ndarray, n_classes: int
) -> tuple[np.ndarray, np.ndarray | None]:
    """The model's own predictions (and probabilities over all classes) on rows ``X``
    of its features."""
    if isinstance(model, NetworkTrainer):
        shape = source.description.image_shape
        predicted, proba = network_predictions(model, X.reshape(-1, *shape) if shape else X)
    else:
        predicted = np.asarray(model.predict(X))
        proba = model.predict_proba(X) if hasattr(model, "predict_proba") else None
    if proba is None:
        return predicted, None
    return predicted, all_classes(proba, np.asarray(model.classes_, np.int64), n_classes)


def check(
    graph: onnx.ModelProto, model: Any, source: RawInput, X_train: np.ndarray, n_classes: int
) -> None:
    """onnxruntime on the first training rows gives the model's own outputs, or
    ExportError."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(
        graph.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    # Rows as a caller sends them: doubles, also where training held float32 pixels.
    X = np.asarray(X_train[:CHECK_ROWS], np.float64)
    got = session.run(None, source.feeds(X, len(X)))
    predicted, proba = expected_outputs(model, source, X, n_classes)
    tolerance = NETWORK_TOLERANCE if isinstance(model, NetworkTrainer) else ESTIMATOR_TOLERANCE
    if proba is None:
        scale = tolerance * max(1.0, float(np.abs(predicted).max(initial=0.0)))
        if not np.allclose(got[0], predicted, rtol=tolerance, atol=scale):
            worst = float(np.abs(got[0] - predicted).max())
            raise ExportError(f"its predictions differ from the model's by up to {worst:.3g}")
        return
    if not np.allclose(got[1], proba, rtol=tolerance, atol=tolerance):
        worst = float(np.abs(got[1] - proba).max())
        raise ExportError(f"its probabilities differ from the model's by up to {worst:.3g}")
    ordered = np.sort(proba, axis=1)
    clear = ordered[:, -1] - ordered[:, -2] > 2 * tolerance  # not a tie within the tolerance
    if not np.array_equal(got[0][clear], predicted[clear]):
        raise ExportError("its predicted classes differ from the model's")
