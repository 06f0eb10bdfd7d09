"""The comparison chart: each configuration's mean score, and each fold's scores joined
across configurations (the pairs the paired t-test compares)."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from api_schemas.comparisons import LeaderboardRow
from workers.figures.style import BASELINE, REGULARIZED, png
from workers.files import ArtifactFile


def render_comparison(rows: list[LeaderboardRow], metric: str, baseline: str) -> ArtifactFile:
    figure = Figure(figsize=(max(6.0, 1.2 * len(rows) + 2), 4.5), layout="constrained")
    ax = figure.subplots()
    names = [row.name for row in rows]
    colours = [BASELINE if name == baseline else REGULARIZED for name in names]
    means = [row.mean for row in rows]
    ax.bar(names, means, yerr=[row.std for row in rows], color=colours, capsize=4, alpha=0.8)
    # Each fold's scores, joined across configurations: the pairs the t-test compares.
    per_fold = np.array([row.per_fold for row in rows])  # configurations x folds
    positions = np.arange(len(rows))
    for fold in per_fold.T:
        ax.plot(positions, fold, color="black", alpha=0.35, linewidth=0.8, marker="o", ms=3)
    for position, row in enumerate(rows):
        if row.p_value is not None:
            label = f"p={row.p_value:.2g}"
            top = max(row.mean + row.std, *row.per_fold)
            ax.annotate(
                label, (position, top), xytext=(0, 4), textcoords="offset points",
                ha="center", va="bottom", fontsize=8,
            )  # fmt: skip
    ax.set_ylabel(f"{metric} (mean ± std; a line per fold)")
    ax.set_title(f"Regularizers compared on the same folds (best first; {baseline} in red)")
    return ArtifactFile.png("comparison.png", png(figure))
