"""A succeeded job's figures. What each plots is stored with the job's result (one
``figure-inputs.npz`` beside its files); a figure is drawn when it is first asked for,
on the figures queue, or by the job's own worker right after the result is stored when
its spec says ``"figures": "eager"``. A figure that fails to draw says why and leaves
the job succeeded."""

from __future__ import annotations

import logging

from api_schemas.jobs import FigureMode
from service.artifacts import ArtifactStore
from service.jobs.attempts import StoredArtifact
from service.jobs.figures import AVAILABLE, PENDING, FigureStore, FigureToDraw
from workers.figures.drawing import draw
from workers.figures.plans import INPUTS_NAME, FigureInputError, FigurePlan, pack, unpack
from workers.files import PNG

log = logging.getLogger(__name__)


def planned_figures(
    prefix: str, plans: list[FigurePlan], mode: FigureMode
) -> tuple[list[tuple[str, bytes]], list[StoredArtifact]]:
    """The figures' inputs file to store under ``prefix`` (with the job's other files,
    in one round), and the figures' rows, not drawn yet."""
    if mode == "none" or not plans:
        return [], []
    state = PENDING if mode == "eager" else AVAILABLE
    rows = [StoredArtifact(p.name, PNG, f"{prefix}/{p.name}", 0, state) for p in plans]
    return [(f"{prefix}/{INPUTS_NAME}", pack(plans))], rows


def draw_figure(figures: FigureStore, artifacts: ArtifactStore, job_id: str, name: str) -> str:
    """Draw one pending figure and store it: ``ready``, ``failed``, or ``skipped`` when
    it is not pending (drawn by another delivery, or its job is gone)."""
    figure = figures.to_draw(job_id, name)
    if figure is None:
        return "skipped"
    try:
        inputs = artifacts.read(inputs_key(figure))
        data = draw(unpack(inputs, name)).data
        artifacts.put(figure.key, data)
    except Exception as exc:
        if not isinstance(exc, FigureInputError):
            log.exception("drawing %s of job %s failed", name, job_id)
        won = figures.failed(figure, f"{type(exc).__name__}: {exc}")
        return "failed" if won else "skipped"
    if not figures.drawn(figure, len(data)):
        artifacts.delete(figure.key)  # the job was deleted (or run again) meanwhile
        return "skipped"
    return "ready"


def inputs_key(figure: FigureToDraw) -> str:
    """The inputs file beside the figure (in its attempt's folder)."""
    return f"{figure.key.rsplit('/', 1)[0]}/{INPUTS_NAME}"
