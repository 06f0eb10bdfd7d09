"""Checks on a job spec that need the catalog, not just the schema.

Each failure names the field as FastAPI does (``loc``), so a client sees one
error shape for both kinds of 422.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from api_schemas import JobCreate
from api_schemas.kinds import (
    BINARY_SOLVERS,
    MODELS,
    REGULARIZERS,
    engine_of,
    in_order,
    solver_penalties,
)
from api_schemas.regularizers import Placement
from service.datasets.catalog import BUILTIN_DATASETS, DatasetParamError
from service.jobs.cost import DataShape, one_hot_width
from service.tables import UploadedDataset


class SpecError(ValueError):
    """An impossible spec; ``loc`` is the path of the offending field."""

    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.loc: tuple[str | int, ...] = ("body", *loc)
        self.message: str = message


def uses_torch(spec: JobCreate) -> bool:
    return engine_of(spec.model) == "torch"


@dataclass(frozen=True)
class DatasetFacts:
    """What the checks need to know of a dataset, built-in or uploaded."""

    name: str
    task: str
    rows: int
    classes: int | None
    image_shape: tuple[int, int, int] | None = None
    #: Columns of the matrix the model sees (an upload's after one-hot encoding, at most).
    features: int = 1

    @property
    def shape(self) -> DataShape:
        return DataShape(self.rows, self.features, self.classes, self.image_shape)


def check_job_spec(spec: JobCreate, uploaded: UploadedDataset | None = None) -> DatasetFacts:
    """Raise SpecError for a spec that cannot run. ``uploaded`` is the caller's dataset
    that ``spec.dataset.id`` names (None when it names none of the caller's). Returns
    what the checks learnt of the dataset."""
    dataset = dataset_facts(spec, uploaded)
    _check_model(spec, dataset)
    _check_regularizers(spec, dataset)
    _check_training(spec)
    _check_solver(spec, dataset)
    _check_split(spec, dataset)
    return dataset


def dataset_facts(spec: JobCreate, uploaded: UploadedDataset | None = None) -> DatasetFacts:
    """The dataset ``spec`` names, or SpecError naming the field that names it wrongly."""
    return _check_upload(spec, uploaded) if spec.dataset.id else _check_builtin(spec)


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
    return DatasetFacts(
        dataset.name, dataset.task, shape.rows, shape.classes, dataset.image_shape, shape.features
    )


def _check_upload(spec: JobCreate, uploaded: UploadedDataset | None) -> DatasetFacts:
    if uploaded is None:
        raise SpecError(("dataset", "id"), f"no uploaded dataset {spec.dataset.id!r}")
    if not uploaded.target:
        raise SpecError(
            ("dataset", "id"),
            f"dataset {uploaded.id} was uploaded without a target: it can be scored with a "
            "job's model (POST /v1/jobs/{id}/predictions), not trained on",
        )
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
    chosen = spec.dataset.features or [c for c in columns if c != uploaded.target]
    max_categories = spec.preprocessing.max_categories
    width = one_hot_width(uploaded.columns, chosen, max_categories)
    return DatasetFacts(uploaded.name, uploaded.task, uploaded.rows, classes, features=width)


def _check_model(spec: JobCreate, dataset: DatasetFacts) -> None:
    kind = spec.model.kind
    model = MODELS[kind]
    if model.task is not None and model.task != dataset.task:
        raise SpecError(
            ("model", "kind"),
            f"{kind} needs a {model.task} dataset; {dataset.name} is a {dataset.task} dataset",
        )
    if model.images and dataset.image_shape is None:
        images = ", ".join(n for n, d in BUILTIN_DATASETS.items() if d.image_shape)
        raise SpecError(
            ("model", "kind"),
            f"{kind} needs an image dataset ({images}); {dataset.name} is a table",
        )


def _check_regularizers(spec: JobCreate, dataset: DatasetFacts) -> None:
    kind = spec.model.kind
    model = MODELS[kind]
    placement = Placement(
        model=kind,
        images=model.images and dataset.image_shape is not None,
        task="classification" if dataset.task == "classification" else "regression",
        dataset=dataset.name,
    )
    seen: dict[str, int] = {}
    penalties: list[int] = []
    for index, regularizer in enumerate(spec.regularizers):
        loc: tuple[str | int, ...] = ("regularizers", index)
        if regularizer.kind not in model.regularizers:
            accepted = ", ".join(sorted(model.regularizers))
            raise SpecError(
                (*loc, "kind"), f"{kind} does not take {regularizer.kind}; it takes {accepted}"
            )
        if regularizer.kind in seen:
            raise SpecError(
                loc, f"{regularizer.kind} is given twice (first at {seen[regularizer.kind]})"
            )
        seen[regularizer.kind] = index
        if REGULARIZERS[regularizer.kind].penalty:
            penalties.append(index)
        problem = regularizer.problem(placement)
        if problem is not None:
            raise SpecError((*loc, *problem.loc), problem.message)
    if len(penalties) > 1:
        taken = in_order(frozenset(k for k in model.regularizers if REGULARIZERS[k].penalty))
        raise SpecError(
            ("regularizers", penalties[1]),
            f"{kind} takes at most one of {', '.join(taken)}; use elastic_net to combine L1 and L2",
        )


def _check_training(spec: JobCreate) -> None:
    if spec.training is not None and not uses_torch(spec):
        networks = ", ".join(k for k, m in MODELS.items() if m.network)
        raise SpecError(
            ("training",),
            f"training settings apply to networks ({networks}) and to engine torch; "
            f"{spec.model.kind} runs on scikit-learn",
        )
    watching = [r.kind for r in spec.regularizers if REGULARIZERS[r.kind].watches_validation]
    if watching and spec.training is not None and spec.training.validation_fraction == 0:
        raise SpecError(
            ("training", "validation_fraction"),
            f"{watching[0]} watches validation metrics: validation_fraction must be above 0",
        )


def _check_solver(spec: JobCreate, dataset: DatasetFacts) -> None:
    solver: str | None = getattr(spec.model, "solver", None)
    if solver is None:
        return
    if engine_of(spec.model) == "torch":
        raise SpecError(
            ("model", "solver"), "solver picks a scikit-learn solver; engine torch has its own"
        )
    penalty = next((r.kind for r in spec.regularizers if REGULARIZERS[r.kind].penalty), "none")
    supported = solver_penalties(solver)
    if penalty not in supported:
        raise SpecError(
            ("model", "solver"),
            f"solver {solver} does not support penalty {penalty}; "
            f"it supports {', '.join(sorted(supported))}",
        )
    classes = dataset.classes or 2
    if solver in BINARY_SOLVERS and classes > 2:
        raise SpecError(
            ("model", "solver"),
            f"solver {solver} fits binary targets only; {dataset.name} has {classes} classes",
        )


def _check_split(spec: JobCreate, dataset: DatasetFacts) -> None:
    rows = dataset.rows
    if spec.split.stratify and dataset.task != "classification":
        raise SpecError(
            ("split", "stratify"), f"stratify needs classes; {dataset.name} is a regression"
        )
    if spec.split.kind == "kfold":
        if MODELS[spec.model.kind].network:
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
