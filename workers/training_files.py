"""What a job's training hands back: the summary and the files, and the figures that
linear and network jobs share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sklearn.metrics import confusion_matrix

from api_schemas import TrainingSummary
from workers import plots
from workers.datasets import Dataset
from workers.trainers.linear import SplitData

PNG = "image/png"


@dataclass(frozen=True)
class ArtifactFile:
    name: str
    media_type: str
    data: bytes


@dataclass(frozen=True)
class TrainingOutput:
    summary: TrainingSummary
    files: list[ArtifactFile]


def confusion_figure(
    dataset: Dataset, data: SplitData, model: Any, baseline: Any | None, label: str
) -> ArtifactFile:
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
    names = [dataset.target_names[int(c)] for c in labels]
    split = "test" if on_test else "train"
    return ArtifactFile(
        "confusion_matrix.png", PNG, plots.render_confusion_matrices(matrices, names, split)
    )
