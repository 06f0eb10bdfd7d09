"""The sweep's pictures: coefficient path, validation curve, non-zero count."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullFormatter

from workers.figures.style import BASELINE, REGULARIZED, png
from workers.files import ArtifactFile
from workers.sweeps.paths import CVCurve

MAX_LINES = 30


def _log_scale(ax: Axes, which: str) -> None:
    """Log scale with plain labels (0.01, 1, 100): matplotlib's default 10^x labels are
    mathtext, whose layout was a third of a sweep's drawing time."""
    if which == "x":
        ax.set_xscale("log")
    else:
        ax.set_yscale("log")
    axis = ax.xaxis if which == "x" else ax.yaxis
    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    axis.set_minor_formatter(NullFormatter())


def _figure(width: float, height: float) -> tuple[Figure, Axes]:
    """One axes with fixed margins: constrained layout measured every tick label again
    and took 60% of a sweep's drawing time, for single-axes figures that do not need it."""
    figure = Figure(figsize=(width, height))
    figure.subplots_adjust(left=0.11, right=0.97, bottom=0.11, top=0.92)
    return figure, figure.subplots()


def _mark(ax: Axes, best: float, best_1se: float, parameter: str = "alpha") -> None:
    ax.axvline(
        best, color="black", linestyle="--", linewidth=1, label=f"best {parameter}={best:.3g}"
    )
    ax.axvline(
        best_1se,
        color="grey",
        linestyle=":",
        linewidth=1.5,
        label=f"1-SE {parameter}={best_1se:.3g}",
    )


def render_coefficient_path(
    alphas: np.ndarray, coefs: np.ndarray, names: list[str], best: float, best_1se: float
) -> ArtifactFile:
    """Each coefficient against alpha (log scale): how they shrink and vanish. With many
    features, the ``MAX_LINES`` largest (by their largest magnitude on the path)."""
    figure, ax = _figure(8, 5)
    shown = np.argsort(-np.abs(coefs).max(axis=1))[:MAX_LINES]
    for index in sorted(shown):
        ax.plot(alphas, coefs[index], linewidth=1, label=names[index] if len(shown) <= 12 else None)
    _log_scale(ax, "x")
    _mark(ax, best, best_1se)
    ax.set_xlabel("alpha (log scale)")
    ax.set_ylabel("coefficient")
    extra = f" ({len(shown)} largest of {len(names)})" if len(shown) < len(names) else ""
    ax.set_title(f"Regularization path{extra}")
    ax.legend(fontsize=7, ncol=2)
    return ArtifactFile.png("coefficient_path.png", png(figure))


def render_validation_curve(
    curve: CVCurve,
    metric: str = "mse",
    parameter: str = "alpha",
    others: dict[str, np.ndarray] | None = None,
    label: str = "",
) -> ArtifactFile:
    """The curve's train and cross-validated score against the parameter, with a ±1 std
    band and its best and 1-SE marks; ``others`` are further mean CV curves (other
    l1_ratios), drawn thin behind; ``label`` names the main curves' (", l1_ratio=0.9")."""
    figure, ax = _figure(8, 5)
    alphas, mean, std = curve.alphas, curve.mean, curve.std
    for name, other in (others or {}).items():
        ax.plot(alphas, other, linewidth=0.8, alpha=0.6, linestyle="--", label=f"CV, {name}")
    ax.plot(alphas, curve.mean_train, color=BASELINE, label=f"train {metric}{label}")
    ax.plot(alphas, mean, color=REGULARIZED, label=f"CV {metric} (mean){label}")
    ax.fill_between(alphas, mean - std, mean + std, color=REGULARIZED, alpha=0.2, label="±1 std")
    if parameter == "alpha":
        _log_scale(ax, "x")
    _mark(ax, curve.best, curve.best_1se, parameter)
    ax.set_xlabel("alpha (log scale)" if parameter == "alpha" else f"dropout {parameter}")
    ax.set_ylabel("mean squared error" if metric == "mse" else metric)
    if metric == "mse" and np.max(mean) > 100 * max(float(np.min(mean)), 1e-12):
        _log_scale(ax, "y")  # else the minimum that matters is a flat line along zero
        ax.set_ylabel("mean squared error (log scale)")
    ax.set_title("Validation curve")
    ax.legend(fontsize=8)
    return ArtifactFile.png("validation_curve.png", png(figure))


def render_nonzero(
    alphas: np.ndarray, n_nonzero: np.ndarray, best: float, best_1se: float
) -> ArtifactFile:
    figure, ax = _figure(8, 4)
    ax.step(alphas, n_nonzero, where="mid", color=REGULARIZED)
    _log_scale(ax, "x")
    _mark(ax, best, best_1se)
    ax.set_xlabel("alpha (log scale)")
    ax.set_ylabel("non-zero coefficients")
    ax.set_title("Features kept as alpha grows")
    ax.legend(fontsize=8)
    return ArtifactFile.png("nonzero.png", png(figure))
