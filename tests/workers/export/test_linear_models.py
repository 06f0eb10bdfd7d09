"""The linear models' ONNX files on built-in datasets give the fitted estimator's own
predictions (scikit-learn and the torch engine to 1e-9 relative), and scikit-learn's
skops files load with an explicit trusted list and predict the same."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import skops.io

from tests.factories import write_fashion_mnist
from tests.workers.export.fitting import (
    Fitted,
    assert_classification,
    assert_regression,
    fit_builtin,
    job,
)
from workers.data.datasets import load_dataset
from workers.data.splits import split_dataset
from workers.export.export import FILE_STEMS, export_models
from workers.export.preprocessing_graph import RawInput
from workers.trainers.linear import build_estimator
from workers.trainers.penalties import penalty_of

RTOL = 1e-9

REGRESSIONS = {
    "linear l1": ({"kind": "linear_regression"}, [{"kind": "l1", "alpha": 0.5}]),
    "linear l2": ({"kind": "linear_regression"}, [{"kind": "l2", "alpha": 2.0}]),
    "linear elastic_net": (
        {"kind": "linear_regression"},
        [{"kind": "elastic_net", "alpha": 0.1, "l1_ratio": 0.3}],
    ),
    "poisson l2": ({"kind": "poisson_regression"}, [{"kind": "l2", "alpha": 0.1}]),
    "torch linear l1": (
        {"kind": "linear_regression", "engine": "torch"},
        [{"kind": "l1", "alpha": 0.5}],
    ),
}
CLASSIFIERS = {
    "binary l1": ("breast_cancer", {"kind": "logistic_regression"}, [{"kind": "l1", "alpha": 1}]),
    "binary l2": ("breast_cancer", {"kind": "logistic_regression"}, [{"kind": "l2", "alpha": 1}]),
    "multiclass l1": ("wine", {"kind": "logistic_regression"}, [{"kind": "l1", "alpha": 0.5}]),
    "multiclass l2": ("iris", {"kind": "logistic_regression"}, [{"kind": "l2", "alpha": 0.5}]),
    "multiclass elastic_net": (
        "iris",
        {"kind": "logistic_regression"},
        [{"kind": "elastic_net", "alpha": 0.5, "l1_ratio": 0.5}],
    ),
    "torch binary l2": (
        "breast_cancer",
        {"kind": "logistic_regression", "engine": "torch", "max_iter": 300},
        [{"kind": "l2", "alpha": 1}],
    ),
    "torch multiclass l1": (
        "iris",
        {"kind": "logistic_regression", "engine": "torch", "max_iter": 300},
        [{"kind": "l1", "alpha": 0.5}],
    ),
}


def rows_of(fitted: Fitted) -> np.ndarray:
    """Raw rows the model never saw, and some it did."""
    assert fitted.data.X_test is not None
    return np.vstack([fitted.data.X_test, fitted.data.X_train[:20]])


def is_sklearn(model: Any) -> bool:
    return type(model).__module__.startswith("sklearn.")


@pytest.mark.parametrize(("model", "regularizers"), REGRESSIONS.values(), ids=list(REGRESSIONS))
def test_a_regression_file_predicts_as_the_estimator(
    model: dict[str, Any], regularizers: list[dict[str, Any]]
) -> None:
    fitted = fit_builtin(
        {"dataset": {"name": "diabetes"}, "model": model, "regularizers": regularizers}
    )
    export = fitted.exported.export
    assert export.input.kind == "array" and export.input.features == 10
    assert export.onnx == ["regularized", "baseline"] and export.problems == {}
    assert fitted.exported.warnings == []
    X = rows_of(fitted)
    for choice, estimator in fitted.models.items():
        assert_regression(fitted.run({"X": X}, choice), estimator.predict(X), RTOL)
        assert_regression(fitted.run({"X": X[:1]}, choice), estimator.predict(X[:1]), RTOL)


@pytest.mark.parametrize(
    ("dataset", "model", "regularizers"), CLASSIFIERS.values(), ids=list(CLASSIFIERS)
)
def test_a_classifier_file_gives_the_estimators_classes_and_probabilities(
    dataset: str, model: dict[str, Any], regularizers: list[dict[str, Any]]
) -> None:
    fitted = fit_builtin(
        {"dataset": {"name": dataset}, "model": model, "regularizers": regularizers}
    )
    assert fitted.exported.export.onnx == ["regularized", "baseline"]
    X = rows_of(fitted)
    for choice, estimator in fitted.models.items():
        got = fitted.run({"X": X}, choice)
        assert got["probabilities"].shape == (len(X), fitted.n_classes)
        assert_classification(got, estimator.predict(X), estimator.predict_proba(X), RTOL)


@pytest.mark.parametrize(
    ("dataset", "model", "regularizers"),
    [
        ("diabetes", *REGRESSIONS["linear l1"]),
        ("diabetes", *REGRESSIONS["poisson l2"]),
        CLASSIFIERS["multiclass l2"],
        CLASSIFIERS["binary l1"],
    ],
    ids=["lasso", "poisson", "logistic multiclass", "logistic binary"],
)
def test_a_skops_file_loads_with_an_explicit_trusted_list_and_predicts_the_same(
    dataset: str, model: dict[str, Any], regularizers: list[dict[str, Any]]
) -> None:
    fitted = fit_builtin(
        {"dataset": {"name": dataset}, "model": model, "regularizers": regularizers}
    )
    assert fitted.exported.export.skops == ["regularized", "baseline"]
    X = rows_of(fitted)
    for choice, estimator in fitted.models.items():
        data = fitted.file(f"{FILE_STEMS[choice]}.skops")
        # Nothing in the file beyond the types skops trusts by default: naming the
        # estimator's own type is all a reader lists.
        assert skops.io.get_untrusted_types(data=data) == []
        trusted = [f"{type(estimator).__module__}.{type(estimator).__name__}"]
        loaded = skops.io.loads(data, trusted=trusted)
        assert type(loaded) is type(estimator)
        np.testing.assert_array_equal(loaded.predict(X), estimator.predict(X))
        if hasattr(estimator, "predict_proba"):
            np.testing.assert_array_equal(loaded.predict_proba(X), estimator.predict_proba(X))


def test_the_torch_engine_has_onnx_files_and_no_skops_files() -> None:
    fitted = fit_builtin(
        {
            "dataset": {"name": "diabetes"},
            "model": {"kind": "linear_regression", "engine": "torch"},
            "regularizers": [{"kind": "l2", "alpha": 1.0}],
        }
    )
    assert not any(is_sklearn(m) for m in fitted.models.values())
    export = fitted.exported.export
    assert (export.onnx, export.skops, export.problems) == (["regularized", "baseline"], [], {})
    assert {f.name for f in fitted.exported.files} == {"model.onnx", "baseline.onnx"}


def test_a_file_is_one_graph_on_the_standard_operator_sets() -> None:
    fitted = fit_builtin(
        {
            "dataset": {"name": "iris"},
            "model": {"kind": "logistic_regression"},
            "regularizers": [{"kind": "l2", "alpha": 1.0}],
            "baseline": False,
        }
    )
    model = onnx.load_from_string(fitted.file("model.onnx"))
    onnx.checker.check_model(model, full_check=True)
    assert {o.domain: o.version for o in model.opset_import}[""] == 21
    assert {o.domain for o in model.opset_import} <= {"", "ai.onnx.ml"}
    assert [i.name for i in model.graph.input] == ["X"]
    assert [o.name for o in model.graph.output] == ["predictions", "probabilities"]
    assert {f.name for f in fitted.exported.files} == {"model.onnx", "model.skops"}


def test_a_model_fitted_on_float32_pixels_predicts_doubles_as_it_does(tmp_path: Path) -> None:
    # FashionMNIST's pixels are float32; a caller sends doubles, which the estimator
    # takes as they are (its float32 coefficients are exact in double).
    write_fashion_mnist(tmp_path, n_train=300, n_test=50)
    spec = job(
        {
            "dataset": {"name": "fashion_mnist"},
            "model": {"kind": "logistic_regression", "solver": "saga", "max_iter": 20},
            "regularizers": [{"kind": "l2", "alpha": 1.0}],
        }
    )
    dataset = load_dataset(spec.dataset, tmp_path)
    data = split_dataset(dataset, spec)
    assert data.X_test is not None and data.X_test.dtype == np.float32
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # saga stops at max_iter
        estimator = build_estimator(spec, penalty_of(spec), 10).fit(data.X_train, data.y_train)
    source = RawInput.of_arrays(784, None)
    exported = export_models({"regularized": estimator}, source, data.X_train, 10)
    assert exported.export.onnx == ["regularized"]
    session = ort.InferenceSession(exported.files[0].data, providers=["CPUExecutionProvider"])
    X = data.X_test.astype(np.float64)
    predictions, probabilities = session.run(None, {"X": X})
    got = {"predictions": predictions, "probabilities": probabilities}
    assert_classification(got, estimator.predict(X), estimator.predict_proba(X), RTOL)
