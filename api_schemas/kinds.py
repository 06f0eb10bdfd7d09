"""What each regularizer and model kind is: one registry entry per kind.

Validation, server policy, trainers and sweeps read these tables instead of keeping
their own lists of kinds. Pure data (no FastAPI, torch or scikit-learn), so the API
process reads them too. How a worker applies a kind lives with the trainers
(``workers/trainers``: a ``Penalty`` per penalty kind, an estimator per model kind).

Adding a kind: its schema class (``api_schemas/regularizers.py`` or ``models.py``, a
member of the ``Regularizer`` or ``ModelSpec`` union), its entry here, and the trainer
code that applies it (mypy names each ``match`` that has no case for it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel

from api_schemas.datasets import TaskType
from api_schemas.models import (
    CNNSpec,
    Engine,
    LinearRegressionSpec,
    LogisticRegressionSpec,
    MLPSpec,
    ModelSpec,
    PoissonRegressionSpec,
)
from api_schemas.regularizers import (
    L1,
    L2,
    BatchNorm,
    DataAugmentation,
    Dropout,
    EarlyStopping,
    ElasticNet,
    WeightDecay,
)

#: LogisticRegression's solvers for a fit without a penalty, in the order a job picks them.
UNPENALIZED_SOLVERS = ("lbfgs", "newton-cg", "newton-cholesky", "sag", "saga")
#: Solvers that fit two classes only.
BINARY_SOLVERS = frozenset({"liblinear"})


@dataclass(frozen=True)
class RegularizerKind:
    """One regularizer kind: its schema and what the service lets it do."""

    schema: type[BaseModel]
    #: A penalty on the weights: every linear model takes it (at most one per job), and
    #: the worker applies it through its ``Penalty``.
    penalty: bool = False
    #: The field that sets how strong it is: ``alpha`` (or a dropout's ``rate``).
    strength: str | None = None
    #: The fields a sweep may vary.
    sweeps: frozenset[str] = frozenset()
    #: It reads validation metrics: a network's validation_fraction must be above 0.
    watches_validation: bool = False
    #: scikit-learn LogisticRegression solvers that support it, in the order a job picks
    #: them (the first that fits the number of classes).
    solvers: tuple[str, ...] = ()
    #: The order a sweep's logistic path picks them in, where it differs from a job's.
    path_solvers: tuple[str, ...] | None = None

    def solver(self, n_classes: int, *, path: bool = False) -> str:
        """The LogisticRegression solver a job (or a sweep's path) uses for it."""
        preference = self.path_solvers if path and self.path_solvers else self.solvers
        return first_solver(preference, n_classes)


REGULARIZERS: dict[str, RegularizerKind] = {
    "l1": RegularizerKind(
        L1,
        penalty=True,
        strength="alpha",
        sweeps=frozenset({"alpha"}),
        solvers=("liblinear", "saga"),
    ),
    "l2": RegularizerKind(
        L2,
        penalty=True,
        strength="alpha",
        sweeps=frozenset({"alpha"}),
        solvers=("lbfgs", "newton-cg", "newton-cholesky", "sag", "saga", "liblinear"),
        # liblinear is exact and fast on two classes, where LogisticRegressionCV's folds
        # are small problems; lbfgs for more classes.
        path_solvers=("liblinear", "lbfgs"),
    ),
    "elastic_net": RegularizerKind(
        ElasticNet,
        penalty=True,
        strength="alpha",
        sweeps=frozenset({"alpha", "l1_ratio"}),
        solvers=("saga",),
    ),
    "dropout": RegularizerKind(Dropout, strength="rate", sweeps=frozenset({"rate"})),
    "weight_decay": RegularizerKind(WeightDecay, strength="alpha", sweeps=frozenset({"alpha"})),
    "early_stopping": RegularizerKind(EarlyStopping, watches_validation=True),
    "batch_norm": RegularizerKind(BatchNorm),
    "data_augmentation": RegularizerKind(DataAugmentation),
}


def kinds_where(test: Callable[[RegularizerKind], bool]) -> frozenset[str]:
    return frozenset(name for name, kind in REGULARIZERS.items() if test(kind))


#: Kinds that are a penalty on the weights; a model takes at most one.
PENALTY_KINDS = kinds_where(lambda kind: kind.penalty)
#: Kinds with an ``alpha``: what an alpha sweep of a network varies (one per network).
STRENGTH_KINDS = kinds_where(lambda kind: kind.strength == "alpha")


@dataclass(frozen=True)
class ModelKind:
    """One model kind: its schema, what it fits and takes, and how it is trained."""

    schema: type[BaseModel]
    #: The task it serves; None for either.
    task: TaskType | None
    #: The regularizer kinds it takes.
    regularizers: frozenset[str]
    #: The engines that train it; the first is the default.
    engines: tuple[Engine, ...] = ("sklearn",)
    #: Trained by the PyTorch loop (epochs, ``training`` settings; no kfold split).
    network: bool = False
    #: Needs an image dataset.
    images: bool = False
    #: A sweep computes each fold's whole path at once and the path on every row (engine
    #: sklearn); otherwise each fold fits one model per value of the grid.
    path: bool = False
    #: The target may not be negative (a count or a rate).
    nonnegative_target: bool = False


MODELS: dict[str, ModelKind] = {
    "linear_regression": ModelKind(
        LinearRegressionSpec,
        "regression",
        PENALTY_KINDS,
        engines=("sklearn", "torch"),
        path=True,
    ),
    "logistic_regression": ModelKind(
        LogisticRegressionSpec,
        "classification",
        PENALTY_KINDS,
        engines=("sklearn", "torch"),
        path=True,
    ),
    "poisson_regression": ModelKind(
        PoissonRegressionSpec, "regression", frozenset({"l2"}), nonnegative_target=True
    ),
    "mlp": ModelKind(MLPSpec, None, frozenset(REGULARIZERS), engines=("torch",), network=True),
    "cnn": ModelKind(
        CNNSpec,
        "classification",
        frozenset(REGULARIZERS),
        engines=("torch",),
        network=True,
        images=True,
    ),
}

#: Models trained by a PyTorch loop (with ``training`` settings and epochs).
NETWORK_KINDS = frozenset(name for name, kind in MODELS.items() if kind.network)


def engine_of(model: ModelSpec) -> Engine:
    """The engine that trains ``model``: its ``engine`` field, or its kind's one engine."""
    engines = MODELS[model.kind].engines
    engine: Engine = getattr(model, "engine", engines[0])
    return engine


def first_solver(preference: tuple[str, ...], n_classes: int) -> str:
    """The first solver of ``preference`` that fits ``n_classes`` classes."""
    return next(s for s in preference if n_classes <= 2 or s not in BINARY_SOLVERS)


def solver_penalties(solver: str) -> frozenset[str]:
    """The penalty kinds ``solver`` supports ("none" for no penalty)."""
    none = {"none"} if solver in UNPENALIZED_SOLVERS else set()
    return kinds_where(lambda kind: solver in kind.solvers) | none


def in_order(kinds: frozenset[str]) -> list[str]:
    """``kinds`` in the registry's order (l1, l2, elastic_net, ...), for messages."""
    order = [*REGULARIZERS, *MODELS]
    return sorted(kinds, key=order.index)
