"""Checks on a job spec that need the catalog, not just the schema.

Each failure names the field as FastAPI does (``loc``), so a client sees one
error shape for both kinds of 422.
"""

from __future__ import annotations

import math

from api_schemas import PENALTY_KINDS, JobCreate, LogisticRegressionSpec
from service.datasets.catalog import BUILTIN_DATASETS, DatasetParamError

#: Which regularizer kinds each model takes.
MODEL_REGULARIZERS: dict[str, frozenset[str]] = {
    "linear_regression": PENALTY_KINDS,
    "logistic_regression": PENALTY_KINDS,
}
MODEL_TASK = {"linear_regression": "regression", "logistic_regression": "classification"}

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


def check_job_spec(spec: JobCreate) -> None:
    dataset = BUILTIN_DATASETS.get(spec.dataset.name)
    if dataset is None:
        names = ", ".join(sorted(BUILTIN_DATASETS))
        raise SpecError(
            ("dataset", "name"), f"unknown dataset {spec.dataset.name!r}; built-in: {names}"
        )
    try:
        params = dataset.resolve_params(spec.dataset.params)
    except DatasetParamError as exc:
        raise SpecError(("dataset", "params", exc.param), str(exc)) from exc

    kind = spec.model.kind
    if MODEL_TASK[kind] != dataset.task:
        raise SpecError(
            ("model", "kind"),
            f"{kind} needs a {MODEL_TASK[kind]} dataset; {dataset.name} is a "
            f"{dataset.task} dataset",
        )

    penalties: list[int] = []
    for index, regularizer in enumerate(spec.regularizers):
        if regularizer.kind not in MODEL_REGULARIZERS[kind]:
            raise SpecError(
                ("regularizers", index, "kind"),
                f"{kind} does not take {regularizer.kind}; it takes "
                f"{', '.join(sorted(MODEL_REGULARIZERS[kind]))}",
            )
        if regularizer.kind in PENALTY_KINDS:
            penalties.append(index)
    if len(penalties) > 1:
        raise SpecError(
            ("regularizers", penalties[1]),
            f"{kind} takes at most one of l1, l2, elastic_net; use elastic_net to combine "
            "L1 and L2",
        )

    if isinstance(spec.model, LogisticRegressionSpec) and spec.model.solver is not None:
        penalty = spec.regularizers[penalties[0]].kind if penalties else "none"
        solver = spec.model.solver
        if penalty not in SOLVER_PENALTIES[solver]:
            raise SpecError(
                ("model", "solver"),
                f"solver {solver} does not support penalty {penalty}; "
                f"it supports {', '.join(sorted(SOLVER_PENALTIES[solver]))}",
            )
        classes = dataset.shape(params).classes or 2
        if solver == "liblinear" and classes > 2:
            raise SpecError(
                ("model", "solver"),
                f"solver liblinear fits binary targets only; {dataset.name} has {classes} classes",
            )

    rows = dataset.shape(params).rows
    fraction = spec.split.test_fraction
    n_test = math.ceil(rows * fraction) if fraction > 0 else 0
    if rows - n_test < 2:
        raise SpecError(
            ("split", "test_fraction"),
            f"test_fraction {fraction} leaves {rows - n_test} training rows of {rows}; "
            "at least 2 are needed",
        )
