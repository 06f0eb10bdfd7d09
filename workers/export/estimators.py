"""The linear models as graphs (``Core``): linear regressors' (``coef_``, ``intercept_``)
and the torch engine's logistic regression built here with the same arithmetic as their
``predict`` and ``predict_proba``; scikit-learn's classifiers and Poisson regression
through skl2onnx, in double precision."""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import DoubleTensorType, Int64TensorType
from sklearn.base import is_regressor

# The base class of the estimators whose predict is X @ coef_ + intercept_.
from sklearn.linear_model._base import LinearModel

from workers.export.onnx_graphs import Core, ExportError, at_opset, constant, model_of, names_in
from workers.trainers.torch_linear import TorchLinearRegression
from workers.trainers.torch_logistic import TorchLogisticRegression

FEATURES = "features"


def estimator_core(estimator: Any, n_features: int) -> Core:
    """The graph of a fitted linear estimator, from its features. A regressor whose
    ``predict`` is ``X @ coef_ + intercept_`` (scikit-learn's ``LinearModel``: least
    squares and its L1, L2 and elastic-net fits; the torch engine's) is built here, in
    well under a millisecond, where skl2onnx took 4 ms and raising its graph to the
    opset 3.6 ms more (a small job's fit takes 4 ms)."""
    linear = isinstance(estimator, TorchLinearRegression) or (
        isinstance(estimator, LinearModel) and is_regressor(estimator)
    )
    if linear and np.ndim(estimator.coef_) == 1:
        return _linear(estimator, n_features)
    if isinstance(estimator, TorchLogisticRegression):
        return _torch_logistic(estimator, n_features)
    return _sklearn(estimator, n_features)


def _model_classes(estimator: Any) -> np.ndarray:
    classes = np.asarray(estimator.classes_)
    if not np.issubdtype(classes.dtype, np.integer):
        raise ExportError(f"its classes are {classes.dtype}, not the job's class indices")
    return classes.astype(np.int64)


def _sklearn(estimator: Any, n_features: int) -> Core:
    """skl2onnx's graph, with DoubleTensorType so it computes in double as scikit-learn
    does; its prediction reshaped to [N]."""
    initial = [(FEATURES, DoubleTensorType([None, n_features]))]
    if hasattr(estimator, "predict_proba"):
        classes = _model_classes(estimator)
        final = [
            ("estimator_label", Int64TensorType([None])),
            ("estimator_probabilities", DoubleTensorType([None, len(classes)])),
        ]
        model = convert_sklearn(
            estimator,
            initial_types=initial,
            final_types=final,
            options={id(estimator): {"zipmap": False}},
            target_opset={"": 21, "ai.onnx.ml": 3},
        )
        return Core(
            at_opset(model), FEATURES, "estimator_label", "estimator_probabilities", classes
        )
    final = [("estimator_value", DoubleTensorType([None, 1]))]
    model = at_opset(
        convert_sklearn(
            estimator,
            initial_types=initial,
            final_types=final,
            target_opset={"": 21, "ai.onnx.ml": 3},
        )
    )
    taken = names_in(model)
    flat, shape = "estimator_prediction", "estimator_flat_shape"
    if {flat, shape} & taken:
        raise ExportError(f"skl2onnx's graph already names {flat} or {shape}")
    model.graph.initializer.append(constant(shape, np.asarray([-1], np.int64)))
    model.graph.node.append(helper.make_node("Reshape", ["estimator_value", shape], [flat]))
    del model.graph.output[:]
    model.graph.output.append(helper.make_tensor_value_info(flat, TensorProto.DOUBLE, [None]))
    return Core(model, FEATURES, flat)


def _features(n_features: int) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(FEATURES, TensorProto.DOUBLE, [None, n_features])


def _linear(estimator: Any, n_features: int) -> Core:
    """``X @ coef_ + intercept_``."""
    nodes = [
        helper.make_node("MatMul", [FEATURES, "coef"], ["product"]),
        helper.make_node("Add", ["product", "intercept"], ["prediction"]),
    ]
    initializers = [
        constant("coef", np.asarray(estimator.coef_, np.float64)),
        constant("intercept", np.asarray(estimator.intercept_, np.float64)),
    ]
    output = helper.make_tensor_value_info("prediction", TensorProto.DOUBLE, [None])
    model = model_of(nodes, [_features(n_features)], [output], initializers, "linear")
    return Core(model, FEATURES, "prediction")


def _torch_logistic(estimator: TorchLogisticRegression, n_features: int) -> Core:
    """Scores ``X @ coef_.T + intercept_``; two classes: the sigmoid of the one score is
    the second class's probability, 1 - it the first's; more: the softmax. The class of
    the largest probability (the first on a tie), as ``predict``."""
    classes = _model_classes(estimator)
    nodes = [
        helper.make_node("MatMul", [FEATURES, "coef_t"], ["product"]),
        helper.make_node("Add", ["product", "intercept"], ["scores"]),
    ]
    initializers = [
        constant("coef_t", np.ascontiguousarray(np.asarray(estimator.coef_, np.float64).T)),
        constant("intercept", np.asarray(estimator.intercept_, np.float64)),
        constant("classes", classes),
    ]
    if len(classes) == 2:
        initializers.append(constant("one", np.asarray(1.0)))
        nodes += [
            helper.make_node("Sigmoid", ["scores"], ["positive"]),
            helper.make_node("Sub", ["one", "positive"], ["negative"]),
            helper.make_node("Concat", ["negative", "positive"], ["probabilities"], axis=1),
        ]
    else:
        nodes.append(helper.make_node("Softmax", ["scores"], ["probabilities"], axis=1))
    nodes += [
        helper.make_node("ArgMax", ["probabilities"], ["position"], axis=1, keepdims=0),
        helper.make_node("Gather", ["classes", "position"], ["label"], axis=0),
    ]
    outputs = [
        helper.make_tensor_value_info("label", TensorProto.INT64, [None]),
        helper.make_tensor_value_info("probabilities", TensorProto.DOUBLE, [None, len(classes)]),
    ]
    model = model_of(nodes, [_features(n_features)], outputs, initializers, "logistic")
    return Core(model, FEATURES, "label", "probabilities", classes)
