"""Checks on a job spec that need the catalog, not just the schema.

Each failure names the field as FastAPI does (``loc``), so a client sees one
error shape for both kinds of 422.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from api_schemas import (
    NETWORK_KINDS,
    PENALTY_KINDS,
    DataAugmentation,
    EarlyStopping,
    JobCreate,
    LogisticRegressionSpec,
)
from service.datasets.catalog import BUILTIN_DATASETS, DatasetParamError
from service.tables import UploadedDataset

NETWORK_REGULARIZERS = PENALTY_KINDS | {
    "dropout",
    "weight_decay",
    "early_stopping",
    "batch_norm",
    "data_augmentation",
}
#: The task each model fits; None for either.
MODEL_TASK = {
    "linear_regression": "regression",
    "logistic_regression": "classification",
    "mlp": None,
    "cnn": "classification",
}
IMAGE_AUGMENTATIONS = ("crop_padding", "flip_probability", "rotation_degrees")

#: Which penalties each logistic-regression solver supports ("none" = no penalty).
SOLVER_PENALTIES: dict[str, frozenset[str]] = {
    "lbfgs": frozenset({"none", "l2"}),
    "newton-cg": frozenset({"none", "l2"}),
    "newton-cholesky": frozenset({"none", "l2"}),
    "sag": frozenset({"none", "l2"}),
    "saga": frozenset({"none", "l1", "l2", "elastic_net"}),
    "liblinear": frozenset({"l1", "l2"}),
}


class SpecError(ValueError):
    """An impossible spec; ``loc`` is the path of the offending field."""

    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.loc = ("body", *loc)
        self.message = message


def uses_torch(spec: JobCreate) -> bool:
    return spec.model.kind in NETWORK_KINDS or getattr(spec.model, "engine", None) == "torch"


def accepted_regularizers(spec: JobCreate) -> frozenset[str]:
    return NETWORK_REGULARIZERS if spec.model.kind in NETWORK_KINDS else PENALTY_KINDS


@dataclass(frozen=True)
class DatasetFacts:
    """What the checks need to know of a dataset, built-in or uploaded."""

    name: str
    task: str
    rows: int
    classes: int | None
    image_shape: tuple[int, int, int] | None = None


def check_job_spec(spec: JobCreate, uploaded: UploadedDataset | None = None) -> None:
    """Raise SpecError for a spec that cannot run. ``uploaded`` is the caller's dataset
    that ``spec.dataset.id`` names (None when it names none of the caller's)."""
    dataset = _check_upload(spec, uploaded) if spec.dataset.id else _check_builtin(spec)
    _check_model(spec, dataset)
    _check_regularizers(spec, dataset)
    _check_training(spec)
    _check_solver(spec, dataset)
    _check_split(spec, dataset)


def _check_builtin(spec: JobCreate) -> DatasetFacts:
    name = spec.dataset.name or ""
    dataset = BUILTIN_DATASETS.get(name)
    if dataset is None:
        names = ", ".join(sorted(BUILTIN_DATASETS))
        raise SpecError(("dataset", "name"), f"unknown dataset {name!r}; built-in: {names}")
    try:
        params = dataset.resolve_params(spec.dataset.params)
    except DatasetParamError as exc:
        raise SpecError(("dataset", "params", exc.param), str(exc)) from exc
    shape = dataset.shape(params)
    return DatasetFacts(dataset.name, dataset.task, shape.rows, shape.classes, dataset.image_shape)


def _check_upload(spec: JobCreate, uploaded: UploadedDataset | None) -> DatasetFacts:
    if uploaded is None:
        raise SpecError(("dataset", "id"), f"no uploaded dataset {spec.dataset.id!r}")
    columns = [c["name"] for c in uploaded.columns]
    for index, feature in enumerate(spec.dataset.features or []):
        if feature == uploaded.target:
            raise SpecError(
                ("dataset", "features", index), f"{feature!r} is the target, not a feature"
            )
        if feature not in columns:
            raise SpecError(
                ("dataset", "features", index),
                f"{uploaded.name} has no column {feature!r}; columns: {', '.join(columns)}",
            )
    classes = len(uploaded.classes) if uploaded.classes else None
    return DatasetFacts(uploaded.name, uploaded.task, uploaded.rows, classes)


def _check_model(spec: JobCreate, dataset: DatasetFacts) -> None:
    kind = spec.model.kind
    task = MODEL_TASK[kind]
    if task is not None and task != dataset.task:
        raise SpecError(
            ("model", "kind"),
            f"{kind} needs a {task} dataset; {dataset.name} is a {dataset.task} dataset",
        )
    if kind == "cnn" and dataset.image_shape is None:
        images = ", ".join(n for n, d in BUILTIN_DATASETS.items() if d.image_shape)
        raise SpecError(
            ("model", "kind"), f"cnn needs an image dataset ({images}); {dataset.name} is a table"
        )


def _check_regularizers(spec: JobCreate, dataset: DatasetFacts) -> None:
    kind = spec.model.kind
    accepted = accepted_regularizers(spec)
    seen: dict[str, int] = {}
    penalties: list[int] = []
    for index, regularizer in enumerate(spec.regularizers):
        loc: tuple[str | int, ...] = ("regularizers", index)
        if regularizer.kind not in accepted:
            raise SpecError(
                (*loc, "kind"),
                f"{kind} does not take {regularizer.kind}; it takes {', '.join(sorted(accepted))}",
            )
        if regularizer.kind in seen:
            raise SpecError(
                loc, f"{regularizer.kind} is given twice (first at {seen[regularizer.kind]})"
            )
        seen[regularizer.kind] = index
        if regularizer.kind in PENALTY_KINDS:
            penalties.append(index)
        if isinstance(regularizer, DataAugmentation):
            _check_augmentation(regularizer, loc, dataset, kind)
        if isinstance(regularizer, EarlyStopping):
            wanted = "val_r2" if dataset.task == "classification" else "val_accuracy"
            if regularizer.monitor == wanted:
                raise SpecError(
                    (*loc, "monitor"),
                    f"{regularizer.monitor} is not measured for a {dataset.task} dataset",
                )
    if len(penalties) > 1:
        raise SpecError(
            ("regularizers", penalties[1]),
            f"{kind} takes at most one of l1, l2, elastic_net; use elastic_net to combine "
            "L1 and L2",
        )


def _check_augmentation(
    augmentation: DataAugmentation, loc: tuple[str | int, ...], dataset: DatasetFacts, kind: str
) -> None:
    image_changes = [p for p in IMAGE_AUGMENTATIONS if getattr(augmentation, p)]
    if image_changes and (kind != "cnn" or dataset.image_shape is None):
        raise SpecError(
            (*loc, image_changes[0]),
            f"{image_changes[0]} augments images; a {kind} on {dataset.name} takes noise_std",
        )
    if not image_changes and augmentation.noise_std == 0:
        raise SpecError(
            loc, "data_augmentation changes nothing: set noise_std or an image augmentation"
        )


def _check_training(spec: JobCreate) -> None:
    if spec.training is not None and not uses_torch(spec):
        raise SpecError(
            ("training",),
            "training settings apply to networks (mlp, cnn) and to engine torch; "
            f"{spec.model.kind} runs on scikit-learn",
        )
    stopping = [r for r in spec.regularizers if isinstance(r, EarlyStopping)]
    if stopping and spec.training is not None and spec.training.validation_fraction == 0:
        raise SpecError(
            ("training", "validation_fraction"),
            "early_stopping watches validation metrics: validation_fraction must be above 0",
        )


def _check_solver(spec: JobCreate, dataset: DatasetFacts) -> None:
    if not isinstance(spec.model, LogisticRegressionSpec) or spec.model.solver is None:
        return
    if spec.model.engine == "torch":
        raise SpecError(
            ("model", "solver"), "solver picks a scikit-learn solver; engine torch has its own"
        )
    penalty = next((r.kind for r in spec.regularizers if r.kind in PENALTY_KINDS), "none")
    solver = spec.model.solver
    if penalty not in SOLVER_PENALTIES[solver]:
        raise SpecError(
            ("model", "solver"),
            f"solver {solver} does not support penalty {penalty}; "
            f"it supports {', '.join(sorted(SOLVER_PENALTIES[solver]))}",
        )
    classes = dataset.classes or 2
    if solver == "liblinear" and classes > 2:
        raise SpecError(
            ("model", "solver"),
            f"solver liblinear fits binary targets only; {dataset.name} has {classes} classes",
        )


def _check_split(spec: JobCreate, dataset: DatasetFacts) -> None:
    rows = dataset.rows
    if spec.split.stratify and dataset.task != "classification":
        raise SpecError(
            ("split", "stratify"), f"stratify needs classes; {dataset.name} is a regression"
        )
    if spec.split.kind == "kfold":
        if spec.model.kind in NETWORK_KINDS:
            raise SpecError(
                ("split", "kind"),
                "kfold applies to linear models (networks validate on validation_fraction)",
            )
        if spec.split.folds > rows:
            raise SpecError(
                ("split", "folds"),
                f"{spec.split.folds} folds need at least as many rows; {dataset.name} has {rows}",
            )
        return
    fraction = spec.split.test_fraction
    n_test = math.ceil(rows * fraction) if fraction > 0 else 0
    if rows - n_test < 2:
        raise SpecError(
            ("split", "test_fraction"),
            f"test_fraction {fraction} leaves {rows - n_test} training rows of {rows}; "
            "at least 2 are needed",
        )
