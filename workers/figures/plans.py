"""A job's figures as what to draw, not yet drawn: the arrays and labels each figure
plots, kept beside the job's result in one file, and drawn when the figure is first
asked for (``workers.figures.drawing``).

Taking the inputs costs a few predictions; drawing costs about 95% of a small job
(bench/README.md), so a job is succeeded before any figure is drawn.

The file is NumPy's ``.npz`` (no pickle: loaded with ``allow_pickle=False``): each
figure's arrays under ``<index>/<field>``, and a JSON manifest of each figure's name,
kind and labels.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: The file beside a job's artifacts that holds its figures' inputs (never listed).
INPUTS_NAME = "figure-inputs.npz"
MANIFEST = "manifest"


@dataclass(frozen=True)
class FigurePlan:
    """One figure to draw: ``kind`` names its renderer; ``labels`` is JSON."""

    name: str
    kind: str
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    labels: dict[str, Any] = field(default_factory=dict)


class FigureInputError(ValueError):
    """The inputs file is unreadable or has no such figure."""


def pack(plans: list[FigurePlan]) -> bytes:
    manifest = [
        {"name": p.name, "kind": p.kind, "labels": p.labels, "arrays": sorted(p.arrays)}
        for p in plans
    ]
    arrays: dict[str, Any] = {
        f"{i}/{k}": np.asarray(v) for i, p in enumerate(plans) for k, v in p.arrays.items()
    }
    arrays[MANIFEST] = np.array(json.dumps(manifest))
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def unpack(data: bytes, name: str) -> FigurePlan:
    """The plan of figure ``name`` in a packed file."""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            manifest = json.loads(str(npz[MANIFEST]))
            for index, entry in enumerate(manifest):
                if entry["name"] == name:
                    arrays = {k: npz[f"{index}/{k}"] for k in entry["arrays"]}
                    return FigurePlan(name, entry["kind"], arrays, entry["labels"])
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise FigureInputError(f"the figure inputs are unreadable: {exc}") from exc
    raise FigureInputError(f"the figure inputs hold no {name}")
