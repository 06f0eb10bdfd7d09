"""One job's training, from spec to result, model files and the figures to draw: the code
a worker runs and a benchmark can call in-process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from api_schemas import NETWORK_KINDS, JobCreate
from api_schemas.kinds import MODELS
from workers.data.datasets import Dataset, load_dataset
from workers.data.preprocessing import original_scale, prepare_upload, target_values
from workers.data.splits import DataError, SplitData, fold_rows, split_dataset
from workers.data.uploads import UploadedTable
from workers.export.export import ExportedModels, export_models
from workers.export.preprocessing_graph import RawInput
from workers.files import TrainingOutput
from workers.jobs.linear import linear_steps, train_linear
from workers.jobs.network import network_steps, train_network
from workers.progress import Progress, StepCallback


def train(
    spec: JobCreate,
    data_dir: Path,
    callbacks: StepCallback | None = None,
    upload: UploadedTable | None = None,
) -> TrainingOutput:
    """Load and split the data, then fit (and fit the baseline), plan the figures, and
    export the fitted models as pipelines from the raw rows (``source``). ``callbacks`` hear of each
    finished step and may stop the job between steps."""
    report = None
    if upload is not None:
        data, report = prepare_upload(upload.table, upload.target, upload.classes, spec)
        dataset = Dataset(
            upload.name, upload.task, data.X_train, data.y_train, data.feature_names, upload.classes
        )
        assert report.fitted is not None
        source = RawInput.of_upload(upload.table, report.fitted)
    else:
        dataset = load_dataset(spec.dataset, data_dir)
        data = split_dataset(dataset, spec)
        images = dataset.image_shape if MODELS[spec.model.kind].images else None
        source = RawInput.of_arrays(data.X_train.shape[1], images)
    if dataset.task == "classification" and len(np.unique(data.y_train)) < 2:
        raise DataError("the training split holds a single class; lower test_fraction")
    network = spec.model.kind in NETWORK_KINDS
    folds = kfold_splits(spec, data, upload) if spec.split.kind == "kfold" else []
    total = network_steps(spec) if network else linear_steps(spec, len(folds))
    progress = Progress(callbacks or StepCallback(), total)
    n_test = 0 if data.y_test is None else len(data.y_test)
    progress.done(
        "load_data", n_train=len(data.y_train), n_test=n_test, features=data.X_train.shape[1]
    )
    output, models = (
        train_network(spec, dataset, data, progress)
        if network
        else train_linear(spec, dataset, data, progress, folds)
    )
    output = with_models(output, export_models(models, source, data.X_train, n_classes(dataset)))
    progress.done("export", files=[f.name for f in output.files])
    if report is None or upload is None:
        return output
    updates: dict[str, Any] = {
        "preprocessing": report.as_dict(),
        "dataset_hash": upload.content_hash,
    }
    coefficients = output.summary.coefficients
    if report.standardized and coefficients is not None and np.ndim(coefficients.coef) == 1:
        coef, intercept = original_scale(
            np.asarray(coefficients.coef),
            float(np.ravel(coefficients.intercept)[0]),
            data.feature_names,
            report,
        )
        updates["original_coefficients"] = coefficients.model_copy(
            update={"coef": coef, "intercept": intercept}
        )
    return TrainingOutput(output.summary.model_copy(update=updates), output.files, output.figures)


def n_classes(dataset: Dataset) -> int:
    """The job's classes (what an exported model's probabilities span); 0: a regression."""
    return len(dataset.target_names or []) if dataset.task == "classification" else 0


def with_models(output: TrainingOutput, exported: ExportedModels) -> TrainingOutput:
    """The job's output with its model files, and what they are in its summary."""
    summary = output.summary.model_copy(
        update={
            "export": exported.export,
            "warnings": output.summary.warnings + exported.warnings,
        }
    )
    return TrainingOutput(summary, output.files + exported.files, output.figures)


def kfold_splits(spec: JobCreate, data: SplitData, upload: UploadedTable | None) -> list[SplitData]:
    """Each fold's rows; an upload's preprocessing is fitted again on each fold's training
    rows."""
    if upload is not None:
        y_all = target_values(upload.table, upload.target, upload.classes)
        return [
            prepare_upload(upload.table, upload.target, upload.classes, spec, rows)[0]
            for rows in fold_rows(y_all, spec)
        ]
    return [
        SplitData(
            data.X_train[tr],
            data.y_train[tr],
            data.X_train[te],
            data.y_train[te],
            data.feature_names,
        )
        for tr, te in fold_rows(data.y_train, spec)
    ]
