"""Draw one planned figure (``workers.figures.plans``): each kind's renderer."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from workers.figures.fits import (
    FitLines,
    render_coefficients,
    render_confusion_matrices,
    render_fit_comparison,
)
from workers.figures.networks import Run, render_learning_curves, render_weight_histograms
from workers.figures.plans import FigureInputError, FigurePlan
from workers.files import ArtifactFile


def draw(plan: FigurePlan) -> ArtifactFile:
    renderer = RENDERERS.get(plan.kind)
    if renderer is None:
        raise FigureInputError(f"no renderer for a {plan.kind!r} figure")
    return renderer(plan.arrays, plan.labels)


def _fit_comparison(arrays: Mapping[str, np.ndarray], labels: Mapping[str, Any]) -> ArtifactFile:
    lines = FitLines(
        grid=arrays["grid"],
        regularized=arrays["regularized"],
        regularized_label=labels["label"],
        baseline=arrays.get("baseline"),
    )
    return render_fit_comparison(arrays["x"], arrays["y"], lines)


def _coefficients(arrays: Mapping[str, np.ndarray], labels: Mapping[str, Any]) -> ArtifactFile:
    return render_coefficients(
        labels["feature_names"],
        arrays["regularized"],
        labels["label"],
        arrays.get("baseline"),
        labels.get("class_names"),
    )


def _confusion(arrays: Mapping[str, np.ndarray], labels: Mapping[str, Any]) -> ArtifactFile:
    matrices = [(arrays[f"m{i}"], title) for i, title in enumerate(labels["titles"])]
    return render_confusion_matrices(matrices, labels["class_names"], labels["split"])


def _runs(arrays: Mapping[str, np.ndarray], labels: Mapping[str, Any]) -> list[Run]:
    return [
        Run(
            run["label"],
            run["history"],
            run["best_epoch"],
            run["stopped_early"],
            run["colour"],
            arrays.get(f"weights{i}", np.zeros(0)),
        )
        for i, run in enumerate(labels["runs"])
    ]


def _learning_curves(arrays: Mapping[str, np.ndarray], labels: Mapping[str, Any]) -> ArtifactFile:
    return render_learning_curves(_runs(arrays, labels), labels["score"])


def _weight_histogram(arrays: Mapping[str, np.ndarray], labels: Mapping[str, Any]) -> ArtifactFile:
    runs = _runs(arrays, labels)
    return render_weight_histograms([(run.label, run.weights, run.colour) for run in runs])


RENDERERS: dict[str, Callable[[Mapping[str, np.ndarray], Mapping[str, Any]], ArtifactFile]] = {
    "fit_comparison": _fit_comparison,
    "coefficients": _coefficients,
    "confusion_matrices": _confusion,
    "learning_curves": _learning_curves,
    "weight_histogram": _weight_histogram,
}
