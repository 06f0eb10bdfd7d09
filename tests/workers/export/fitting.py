"""Fit a job's models as ``workers.jobs.train`` does, keep them, and run their exported
files in onnxruntime: the tests compare the files with the fitted models themselves."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import pyarrow as pa

from api_schemas import NETWORK_KINDS, JobCreate, TaskType
from api_schemas.kinds import MODELS
from api_schemas.predictions import ModelChoice
from workers.data.datasets import Dataset, load_dataset
from workers.data.preprocessing import prepare_upload
from workers.data.splits import SplitData, split_dataset
from workers.export.export import ExportedModels, export_models
from workers.export.preprocessing_graph import RawInput
from workers.jobs.linear import train_linear
from workers.jobs.network import train_network
from workers.jobs.train import n_classes
from workers.progress import Progress, StepCallback

FILES: dict[ModelChoice, str] = {"regularized": "model.onnx", "baseline": "baseline.onnx"}


@dataclass(frozen=True)
class Fitted:
    """A job's fitted models, its rows and what the export made of them."""

    models: dict[ModelChoice, Any]
    data: SplitData
    source: RawInput
    exported: ExportedModels
    n_classes: int

    def file(self, name: str) -> bytes:
        return next(f.data for f in self.exported.files if f.name == name)

    def run(
        self, feeds: dict[str, np.ndarray], model: ModelChoice = "regularized"
    ) -> dict[str, np.ndarray]:
        """The ONNX file's outputs by name."""
        session = ort.InferenceSession(self.file(FILES[model]), providers=["CPUExecutionProvider"])
        names = [o.name for o in session.get_outputs()]
        return dict(zip(names, session.run(names, feeds), strict=True))


def job(body: dict[str, Any]) -> JobCreate:
    return JobCreate.model_validate(body)


def fit_models(spec: JobCreate, dataset: Dataset, data: SplitData) -> dict[ModelChoice, Any]:
    progress = Progress(StepCallback(), None)
    if spec.model.kind in NETWORK_KINDS:
        return dict(train_network(spec, dataset, data, progress)[1])
    return train_linear(spec, dataset, data, progress)[1]


def fit_builtin(body: dict[str, Any], data_dir: Path = Path()) -> Fitted:
    spec = job(body)
    dataset = load_dataset(spec.dataset, data_dir)
    data = split_dataset(dataset, spec)
    models = fit_models(spec, dataset, data)
    images = dataset.image_shape if MODELS[spec.model.kind].images else None
    source = RawInput.of_arrays(data.X_train.shape[1], images)
    count = n_classes(dataset)
    return Fitted(models, data, source, export_models(models, source, data.X_train, count), count)


def fit_upload(
    table: pa.Table,
    target: str,
    classes: list[str] | None,
    body: dict[str, Any],
    rows: tuple[np.ndarray, np.ndarray],
) -> Fitted:
    """Fit on the ``rows`` (train, test) of an uploaded ``table``."""
    spec = job({"dataset": {"id": "upload"}, **body})
    data, report = prepare_upload(table, target, classes, spec, rows)
    task: TaskType = "classification" if classes else "regression"
    dataset = Dataset("upload", task, data.X_train, data.y_train, data.feature_names, classes)
    models = fit_models(spec, dataset, data)
    assert report.fitted is not None
    source = RawInput.of_upload(table, report.fitted)
    count = n_classes(dataset)
    return Fitted(models, data, source, export_models(models, source, data.X_train, count), count)


def table_feeds(table: pa.Table, target: str, rows: np.ndarray) -> dict[str, np.ndarray]:
    """Rows of an uploaded table as the API sends them: a number column as doubles (NaN
    where missing), any other as strings ("" where missing), each [N, 1]."""
    feeds = {}
    for name in table.column_names:
        if name == target:
            continue
        column = table.column(name)
        values = [column[int(i)].as_py() for i in rows]
        if pa.types.is_integer(column.type) or pa.types.is_floating(column.type):
            array = np.asarray([np.nan if v is None else float(v) for v in values], np.float64)
        else:
            array = np.asarray(["" if v is None else str(v) for v in values], dtype=object)
        feeds[name] = array.reshape(-1, 1)
    return feeds


def assert_regression(got: dict[str, np.ndarray], expected: np.ndarray, rtol: float) -> None:
    """The file's predictions, relative to the model's (and to their scale near 0)."""
    assert set(got) == {"predictions"}
    assert got["predictions"].dtype == np.float64 and got["predictions"].shape == expected.shape
    scale = float(np.abs(expected).max())
    np.testing.assert_allclose(got["predictions"], expected, rtol=rtol, atol=rtol * scale * 1e-3)


def assert_classification(
    got: dict[str, np.ndarray], labels: np.ndarray, probabilities: np.ndarray, rtol: float
) -> None:
    """The file's class indices and probabilities equal the model's (a class whose
    probability ties the largest within the tolerance may go either way)."""
    assert set(got) == {"predictions", "probabilities"}
    assert got["predictions"].dtype == np.int64 and got["probabilities"].dtype == np.float64
    np.testing.assert_allclose(got["probabilities"], probabilities, rtol=rtol, atol=rtol * 1e-3)
    ordered = np.sort(probabilities, axis=1)
    clear = ordered[:, -1] - ordered[:, -2] > 2 * rtol
    assert clear.mean() > 0.9
    np.testing.assert_array_equal(got["predictions"][clear], labels[clear])
