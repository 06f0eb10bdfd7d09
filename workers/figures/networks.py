"""Figures of network training: learning curves and weight histograms, with and without
regularization side by side."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from workers.figures.plans import FigurePlan
from workers.figures.style import png
from workers.files import ArtifactFile


@dataclass(frozen=True)
class Run:
    """One trained network: its epochs and its penalized weights, flattened."""

    label: str
    history: list[dict[str, Any]]
    best_epoch: int | None
    stopped_early: bool
    colour: str
    weights: np.ndarray


def render_learning_curves(runs: Sequence[Run], score: str) -> ArtifactFile:
    """Loss and ``score`` (accuracy or r2) per epoch: train solid, validation dashed.
    The gap between them is what regularization is for."""
    figure = Figure(figsize=(12, 4.5), layout="constrained")
    loss_ax, score_ax = figure.subplots(1, 2)
    for run in runs:
        epochs = [row["epoch"] for row in run.history]
        for ax, key in ((loss_ax, "loss"), (score_ax, score)):
            train = [row.get(f"train_{key}") for row in run.history]
            val = [row.get(f"val_{key}") for row in run.history]
            if any(v is not None for v in train):
                ax.plot(epochs, train, color=run.colour, label=f"{run.label}: train")
            if any(v is not None for v in val):
                ax.plot(
                    epochs, val, color=run.colour, linestyle="--", label=f"{run.label}: validation"
                )
            if run.stopped_early and run.best_epoch is not None:
                ax.axvline(run.best_epoch, color=run.colour, linestyle=":", linewidth=1)
                ax.annotate(
                    "early stop: best epoch",
                    (run.best_epoch, 0.98),
                    xycoords=("data", "axes fraction"),
                    fontsize=8,
                    color=run.colour,
                    ha="right",
                    va="top",
                    rotation=90,
                )
    loss_ax.set_title("Loss")
    score_ax.set_title(score.replace("_", " ").title())
    for ax in (loss_ax, score_ax):
        ax.set_xlabel("epoch")
        ax.legend(fontsize=8)
    return ArtifactFile.png("learning_curves.png", png(figure))


def render_weight_histograms(runs: Sequence[tuple[str, np.ndarray, str]]) -> ArtifactFile:
    """Distribution of the layer weights (biases and norms excluded), log counts."""
    figure = Figure(figsize=(7, 4.5), layout="constrained")
    ax = figure.subplots()
    limit = max(float(np.abs(w).max()) for _, w, _ in runs) or 1.0
    bins = np.linspace(-limit, limit, 81).tolist()
    for label, weights, colour in runs:
        ax.hist(weights, bins=bins, alpha=0.55, color=colour, label=label, log=True)
    ax.set_xlabel("weight")
    ax.set_ylabel("count (log)")
    ax.set_title("Layer weights with and without regularization")
    ax.legend(fontsize=8)
    return ArtifactFile.png("weight_histogram.png", png(figure))


def network_plans(label: str, task: str, runs: Sequence[Run]) -> list[FigurePlan]:
    """Learning curves and weight histograms, regularized beside the baseline."""
    labels = {
        "score": "accuracy" if task == "classification" else "r2",
        "runs": [
            {
                "label": r.label,
                "history": r.history,
                "best_epoch": r.best_epoch,
                "stopped_early": r.stopped_early,
                "colour": r.colour,
            }
            for r in runs
        ],
    }
    weights = {f"weights{i}": r.weights for i, r in enumerate(runs)}
    return [
        FigurePlan("learning_curves.png", "learning_curves", {}, labels),
        FigurePlan("weight_histogram.png", "weight_histogram", weights, labels),
    ]
