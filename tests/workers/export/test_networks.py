"""A network's ONNX file holds the trainer's input scaling, the network and what
predict does after it (softmax and class, or the target mapped back): on raw rows it
gives the trainer's own predictions to 1e-5."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tests.workers.export.fitting import assert_classification, assert_regression, fit_builtin

RTOL = 1e-5
TRAINING = {"epochs": 3, "batch_size": 32}


@pytest.mark.parametrize(
    "model",
    [{"kind": "mlp", "hidden": [32, 16]}, {"kind": "mlp", "hidden": [16], "activation": "gelu"}],
    ids=["relu", "gelu"],
)
def test_an_mlp_regression_file_predicts_as_the_trainer(model: dict[str, Any]) -> None:
    fitted = fit_builtin(
        {
            "dataset": {"name": "diabetes"},
            "model": model,
            "regularizers": [{"kind": "batch_norm"}, {"kind": "dropout", "rate": 0.2}],
            "training": TRAINING,
        }
    )
    export = fitted.exported.export
    assert (export.input.kind, export.input.features) == ("array", 10)
    assert export.onnx == ["regularized", "baseline"] and export.skops == []
    assert fitted.data.X_test is not None
    X = fitted.data.X_test
    for choice, trainer in fitted.models.items():
        assert_regression(fitted.run({"X": X}, choice), trainer.predict(X), RTOL)
        assert_regression(fitted.run({"X": X[:1]}, choice), trainer.predict(X[:1]), RTOL)


def test_an_mlp_classifier_file_gives_the_trainers_classes_and_probabilities() -> None:
    fitted = fit_builtin(
        {
            "dataset": {"name": "wine"},
            "model": {"kind": "mlp", "hidden": [16]},
            "regularizers": [{"kind": "l2", "alpha": 0.001}],
            "training": TRAINING,
        }
    )
    X = fitted.data.X_test
    assert X is not None
    for choice, trainer in fitted.models.items():
        got = fitted.run({"X": X}, choice)
        assert_classification(got, trainer.predict(X), trainer.predict_proba(X), RTOL)


def test_a_cnn_file_takes_images_and_gives_the_trainers_classes() -> None:
    fitted = fit_builtin(
        {
            "dataset": {"name": "digits"},
            "model": {"kind": "cnn", "channels": [4, 8], "fc": 16},
            "regularizers": [{"kind": "batch_norm"}, {"kind": "dropout", "rate": 0.3}],
            "training": {"epochs": 2, "batch_size": 64},
            "baseline": False,
        }
    )
    export = fitted.exported.export
    assert (export.input.kind, export.input.image_shape) == ("image", [1, 8, 8])
    assert export.onnx == ["regularized"]
    X = fitted.data.X_test
    assert X is not None
    trainer = fitted.models["regularized"]
    images = X.reshape(-1, 1, 8, 8)
    got = fitted.run({"X": images})
    assert got["probabilities"].shape == (len(X), 10)
    assert_classification(got, trainer.predict(X), trainer.predict_proba(X), RTOL)
    one = fitted.run({"X": images[:1]})
    np.testing.assert_allclose(one["probabilities"], trainer.predict_proba(X[:1]), rtol=RTOL)
