"""The article's figures of one fit: the fit with and without the penalty, coefficient
bars, confusion matrices."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from sklearn.metrics import confusion_matrix

from workers.data.datasets import Dataset
from workers.data.splits import SplitData
from workers.figures.plans import FigurePlan
from workers.figures.style import BASELINE, DATA, REGULARIZED, png
from workers.files import ArtifactFile


@dataclass(frozen=True)
class FitLines:
    """Predictions over ``grid`` (one feature), with and without regularization."""

    grid: np.ndarray
    regularized: np.ndarray
    regularized_label: str
    baseline: np.ndarray | None


def render_fit_comparison(x: np.ndarray, y: np.ndarray, lines: FitLines) -> ArtifactFile:
    """Data and fitted lines, without (left) and with (right) regularization."""
    grid, regularized, baseline = lines.grid, lines.regularized, lines.baseline
    panels = 2 if baseline is not None else 1
    figure = Figure(figsize=(6 * panels, 5), layout="constrained")
    axes = figure.subplots(1, panels, sharey=True, squeeze=False)[0]
    drawn = [(baseline, BASELINE, "Without regularization")] if baseline is not None else []
    drawn.append((regularized, REGULARIZED, lines.regularized_label))
    for ax, (prediction, colour, title) in zip(axes, drawn, strict=True):
        ax.scatter(x, y, color=DATA, s=14, label="Data")
        ax.plot(grid, prediction, color=colour, linewidth=2, label=title)
        if baseline is not None and prediction is regularized:
            ax.plot(grid, baseline, color=BASELINE, linewidth=1, linestyle="--", label="Baseline")
        ax.set_xlabel("x")
        ax.set_title(title)
        ax.legend(loc="upper left")
    axes[0].set_ylabel("y")
    return ArtifactFile.png("fit_comparison.png", png(figure))


def _bars(ax: Axes, names: Sequence[str], series: list[tuple[np.ndarray, str, str]]) -> None:
    positions = np.arange(len(names))
    width = 0.8 / len(series)
    for i, (values, colour, label) in enumerate(series):
        offset = (i - (len(series) - 1) / 2) * width
        ax.bar(positions + offset, values, width=width, color=colour, label=label)
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_xticks(positions, names, rotation=90 if len(names) > 8 else 0, fontsize=8)
    ax.set_ylabel("coefficient")
    ax.legend()


def render_coefficients(
    feature_names: Sequence[str],
    regularized: np.ndarray,
    regularized_label: str,
    baseline: np.ndarray | None,
    class_names: Sequence[str] | None = None,
) -> ArtifactFile:
    """Coefficients with and without regularization: bars, or one heatmap per fit
    when there is a row of coefficients per class."""
    if regularized.ndim == 1:
        width = max(6.0, 0.35 * len(feature_names) + 2)
        figure = Figure(figsize=(width, 4.5), layout="constrained")
        ax = figure.subplots()
        series = [(regularized, REGULARIZED, regularized_label)]
        if baseline is not None:
            series.insert(0, (baseline, BASELINE, "Without regularization"))
        _bars(ax, feature_names, series)
        ax.set_title("Coefficients with and without regularization")
        return ArtifactFile.png("coefficients.png", png(figure))

    matrices = [(regularized, regularized_label)]
    if baseline is not None:
        matrices.insert(0, (baseline, "Without regularization"))
    figure = Figure(
        figsize=(max(6.0, 0.3 * len(feature_names) + 2), 2 + 2.5 * len(matrices)),
        layout="constrained",
    )
    axes = figure.subplots(len(matrices), 1, squeeze=False)[:, 0]
    for ax, (matrix, title) in zip(axes, matrices, strict=True):
        # A scale per fit: unregularized coefficients can dwarf the penalized ones,
        # and the point is which cells the penalty zeroes.
        limit = float(np.abs(matrix).max()) or 1.0
        image = ax.imshow(matrix, cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto")
        ax.set_title(title)
        ax.set_yticks(range(matrix.shape[0]), class_names or range(matrix.shape[0]))
        ax.set_xticks(range(len(feature_names)), feature_names, rotation=90, fontsize=7)
        figure.colorbar(image, ax=ax, label="coefficient")
    return ArtifactFile.png("coefficients.png", png(figure))


def render_confusion_matrices(
    matrices: list[tuple[np.ndarray, str]], class_names: Sequence[str], split: str
) -> ArtifactFile:
    figure = Figure(figsize=(5 * len(matrices), 4.5), layout="constrained")
    axes = figure.subplots(1, len(matrices), squeeze=False)[0]
    for ax, (matrix, title) in zip(axes, matrices, strict=True):
        ax.imshow(matrix, cmap="Blues")
        for (row, col), count in np.ndenumerate(matrix):
            colour = "white" if count > matrix.max() / 2 else "black"
            ax.text(col, row, str(count), ha="center", va="center", color=colour, fontsize=8)
        ticks = range(len(class_names))
        ax.set_xticks(ticks, class_names, rotation=45, ha="right", fontsize=8)
        ax.set_yticks(ticks, class_names, fontsize=8)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_title(f"{title} ({split})")
    return ArtifactFile.png("confusion_matrix.png", png(figure))


def linear_plans(
    dataset: Dataset,
    data: SplitData,
    estimator: Any,
    baseline: Any | None,
    label: str,
) -> list[FigurePlan]:
    """What the fitted model has to show: the fit beside the baseline's (one feature),
    coefficient bars (a model with ``coef_``), confusion matrices (classes)."""
    plans: list[FigurePlan] = []
    if dataset.task == "regression" and dataset.X.shape[1] == 1:
        grid = np.linspace(dataset.X[:, 0].min(), dataset.X[:, 0].max(), 200).reshape(-1, 1)
        lines = {"x": data.X_train[:, 0], "y": data.y_train, "grid": grid[:, 0]}
        lines["regularized"] = estimator.predict(grid)
        if baseline is not None:
            lines["baseline"] = baseline.predict(grid)
        plans.append(FigurePlan("fit_comparison.png", "fit_comparison", lines, {"label": label}))
    if hasattr(estimator, "coef_"):
        coef = np.asarray(estimator.coef_, dtype=float)
        base_coef = np.asarray(baseline.coef_, dtype=float) if baseline is not None else None
        if coef.ndim == 2 and coef.shape[0] == 1:
            coef = coef[0]
            base_coef = base_coef[0] if base_coef is not None else None
        coefficients = {"regularized": coef}
        if base_coef is not None:
            coefficients["baseline"] = base_coef
        names = {
            "feature_names": list(data.feature_names),
            "label": label,
            "class_names": dataset.target_names,
        }
        plans.append(FigurePlan("coefficients.png", "coefficients", coefficients, names))
    if dataset.task == "classification" and dataset.target_names is not None:
        plans.append(confusion_plan(dataset, data, estimator, baseline, label))
    return plans


def confusion_plan(
    dataset: Dataset, data: SplitData, model: Any, baseline: Any | None, label: str
) -> FigurePlan:
    """Confusion matrices on the test rows (the training rows without any), with and
    without regularization. ``model`` is any fitted classifier with ``classes_``."""
    assert dataset.target_names is not None
    on_test = data.X_test is not None and data.y_test is not None
    X = data.X_test if on_test else data.X_train
    y = data.y_test if on_test else data.y_train
    labels = model.classes_
    matrices = []
    if baseline is not None:
        matrices.append(
            (confusion_matrix(y, baseline.predict(X), labels=labels), "Without regularization")
        )
    matrices.append((confusion_matrix(y, model.predict(X), labels=labels), label))
    return FigurePlan(
        "confusion_matrix.png",
        "confusion_matrices",
        {f"m{i}": matrix for i, (matrix, _) in enumerate(matrices)},
        {
            "titles": [title for _, title in matrices],
            "class_names": [dataset.target_names[int(c)] for c in labels],
            "split": "test" if on_test else "train",
        },
    )
