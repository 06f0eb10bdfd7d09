"""The article's figures, rendered to PNG bytes with matplotlib's object API (no pyplot state)."""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

REGULARIZED = "tab:green"
BASELINE = "tab:red"
DATA = "tab:blue"


def warm_up() -> None:
    """Draw a small figure once: a process's first drawing loads fonts and caches glyphs
    (about 0.2 s), which a worker does at start rather than inside its first job."""
    figure = Figure(figsize=(2, 2))
    figure.subplots().plot([1, 2], [1, 2], label="warm")
    png(figure)


def png(figure: Figure) -> bytes:
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    # Constrained layout already fits the labels; bbox_inches="tight" would draw twice.
    figure.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def render_fit_comparison(
    *,
    x: np.ndarray,
    y: np.ndarray,
    grid: np.ndarray,
    regularized: np.ndarray,
    regularized_label: str,
    baseline: np.ndarray | None,
) -> bytes:
    """Data and fitted lines, without (left) and with (right) regularization.

    ``regularized`` and ``baseline`` are predictions over ``grid``.
    """
    panels = 2 if baseline is not None else 1
    figure = Figure(figsize=(6 * panels, 5), layout="constrained")
    axes = figure.subplots(1, panels, sharey=True, squeeze=False)[0]
    lines = [(baseline, BASELINE, "Without regularization")] if baseline is not None else []
    lines.append((regularized, REGULARIZED, regularized_label))
    for ax, (prediction, colour, title) in zip(axes, lines, strict=True):
        ax.scatter(x, y, color=DATA, s=14, label="Data")
        ax.plot(grid, prediction, color=colour, linewidth=2, label=title)
        if baseline is not None and prediction is regularized:
            ax.plot(grid, baseline, color=BASELINE, linewidth=1, linestyle="--", label="Baseline")
        ax.set_xlabel("x")
        ax.set_title(title)
        ax.legend(loc="upper left")
    axes[0].set_ylabel("y")
    return png(figure)


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
) -> bytes:
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
        return png(figure)

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
    return png(figure)


def render_confusion_matrices(
    matrices: list[tuple[np.ndarray, str]], class_names: Sequence[str], split: str
) -> bytes:
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
    return png(figure)
