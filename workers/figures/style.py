"""One style for every figure: colours, the Agg canvas, PNG bytes (matplotlib's object API,
no pyplot state)."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

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
