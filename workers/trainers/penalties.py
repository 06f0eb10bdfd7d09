"""The weight penalties (l1, l2, elastic_net) as the worker applies them: one class per
kind, built from the job's regularizer, passed between functions instead of its name.

Each knows its scikit-learn linear regression (Lasso, Ridge, ElasticNet), its regression
path (``enet_path``, or one SVD for every Ridge alpha), its network term, and its mix
``l1_ratio``: the L1 share ``r`` of ``alpha * (r ||w||_1 + (1 - r)/2 ||w||^2)``, which is
what LogisticRegression (C = 1/alpha), the torch engine's logistic objective and
``enet_path`` take. Its own ``alpha`` is ignored along a path, which has a grid instead.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar, Self, assert_never

import numpy as np
from pydantic import BaseModel
from sklearn.base import BaseEstimator
from sklearn.linear_model import ElasticNet, Lasso, Ridge, enet_path

from api_schemas import L1, L2, JobCreate, PenaltySpec
from api_schemas import ElasticNet as ElasticNetSpec
from api_schemas.kinds import REGULARIZERS

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class SolverSettings:
    """How far a scikit-learn solver goes: the model's settings or scikit-learn's defaults,
    and the seed of stochastic solvers (the job's split seed)."""

    fit_intercept: bool = True
    tol: float = 1e-4
    max_iter: int = 1000
    seed: int = 0


@dataclass(frozen=True)
class WeightPenalty(ABC):
    alpha: float
    kind: ClassVar[str]

    @property
    @abstractmethod
    def l1_ratio(self) -> float:
        """The L1 share of the mix: 1 for l1, 0 for l2."""

    @abstractmethod
    def linear_regression(self, **params: Any) -> BaseEstimator:
        """scikit-learn's estimator of least squares with this penalty."""

    @abstractmethod
    def regression_path(
        self, X: np.ndarray, y: np.ndarray, alphas: np.ndarray, settings: SolverSettings
    ) -> np.ndarray:
        """Least squares' coefficients (features x alphas) on centred X, y along the
        (descending) ``alphas``, as this penalty's estimator fits them."""

    @abstractmethod
    def network_term(self, weights: Sequence[torch.Tensor]) -> torch.Tensor:
        """What the network loop adds to the loss for ``weights``."""

    @property
    def label(self) -> str:
        """A short figure title, e.g. "With L1 (alpha=0.2)"."""
        return f"With {self.kind.upper()} (alpha={self.alpha:g})"

    def solver(self, n_classes: int, *, path: bool = False) -> str:
        """The LogisticRegression solver a job (or a sweep's path) uses for it."""
        return REGULARIZERS[self.kind].solver(n_classes, path=path)

    def with_value(self, parameter: str, value: float) -> Self:
        """This penalty with a field a sweep varies (``alpha``, an elastic net's
        ``l1_ratio``) set to ``value``."""
        if parameter not in REGULARIZERS[self.kind].sweeps:
            raise ValueError(f"a sweep does not vary the {parameter} of {self.kind}")
        return replace(self, **{parameter: value})

    def as_spec(self) -> BaseModel:
        """The job's regularizer this penalty applies."""
        return REGULARIZERS[self.kind].schema.model_validate({"kind": self.kind, **asdict(self)})

    def logistic_params(self) -> dict[str, float]:
        return {"C": 1.0 / self.alpha, "l1_ratio": self.l1_ratio}


def _l1_norm(weights: Sequence[torch.Tensor]) -> torch.Tensor:
    total: torch.Tensor = sum(w.abs().sum() for w in weights)  # type: ignore[assignment]
    return total


def _squared_norm(weights: Sequence[torch.Tensor]) -> torch.Tensor:
    total: torch.Tensor = sum(w.pow(2).sum() for w in weights)  # type: ignore[assignment]
    return total


def _enet_path(
    X: np.ndarray, y: np.ndarray, alphas: np.ndarray, l1_ratio: float, settings: SolverSettings
) -> np.ndarray:
    _, coefs, _ = enet_path(
        X,
        y,
        l1_ratio=l1_ratio,
        alphas=alphas,
        tol=settings.tol,
        max_iter=settings.max_iter,
        precompute="auto",
    )
    result: np.ndarray = coefs
    return result


@dataclass(frozen=True)
class L1Penalty(WeightPenalty):
    """Lasso: ``alpha ||w||_1`` (beside the mean squared error over 2)."""

    kind: ClassVar[str] = "l1"

    @property
    def l1_ratio(self) -> float:
        return 1.0

    def linear_regression(self, **params: Any) -> BaseEstimator:
        return Lasso(alpha=self.alpha, **params)

    def regression_path(
        self, X: np.ndarray, y: np.ndarray, alphas: np.ndarray, settings: SolverSettings
    ) -> np.ndarray:
        return _enet_path(X, y, alphas, 1.0, settings)

    def network_term(self, weights: Sequence[torch.Tensor]) -> torch.Tensor:
        return self.alpha * _l1_norm(weights)


@dataclass(frozen=True)
class L2Penalty(WeightPenalty):
    """Ridge: ``alpha ||w||^2`` beside the *sum* of squared errors (and in a network's
    loss); LogisticRegression's is the mix with r = 0."""

    kind: ClassVar[str] = "l2"

    @property
    def l1_ratio(self) -> float:
        return 0.0

    def linear_regression(self, **params: Any) -> BaseEstimator:
        return Ridge(alpha=self.alpha, **params)

    def regression_path(
        self, X: np.ndarray, y: np.ndarray, alphas: np.ndarray, settings: SolverSettings
    ) -> np.ndarray:
        """Every alpha from one SVD: V diag(s / (s^2 + alpha)) U^T y."""
        u, s, vt = np.linalg.svd(X, full_matrices=False)
        uty = u.T @ y
        factors = s[:, None] / (s[:, None] ** 2 + alphas[None, :])
        coefs: np.ndarray = vt.T @ (factors * uty[:, None])
        return coefs

    def network_term(self, weights: Sequence[torch.Tensor]) -> torch.Tensor:
        return self.alpha * _squared_norm(weights)


@dataclass(frozen=True)
class ElasticNetPenalty(WeightPenalty):
    """Both, mixed: ``alpha (r ||w||_1 + (1 - r)/2 ||w||^2)``."""

    l1_ratio: float = 0.5
    kind: ClassVar[str] = "elastic_net"

    def linear_regression(self, **params: Any) -> BaseEstimator:
        return ElasticNet(alpha=self.alpha, l1_ratio=self.l1_ratio, **params)

    def regression_path(
        self, X: np.ndarray, y: np.ndarray, alphas: np.ndarray, settings: SolverSettings
    ) -> np.ndarray:
        return _enet_path(X, y, alphas, self.l1_ratio, settings)

    def network_term(self, weights: Sequence[torch.Tensor]) -> torch.Tensor:
        ratio = self.l1_ratio
        return self.alpha * (ratio * _l1_norm(weights) + (1 - ratio) / 2 * _squared_norm(weights))

    @property
    def label(self) -> str:
        return f"With elastic net (alpha={self.alpha:g}, l1_ratio={self.l1_ratio:g})"


#: A penalty of any kind: a ``match`` over it names every class, then ``assert_never``.
Penalty = L1Penalty | L2Penalty | ElasticNetPenalty


def as_penalty(spec: PenaltySpec) -> Penalty:
    """The worker's penalty for a job's l1, l2 or elastic_net."""
    match spec:
        case L1(alpha=alpha):
            return L1Penalty(alpha)
        case L2(alpha=alpha):
            return L2Penalty(alpha)
        case ElasticNetSpec(alpha=alpha, l1_ratio=ratio):
            return ElasticNetPenalty(alpha, ratio)
        case _:
            assert_never(spec)


def penalty_of(spec: JobCreate) -> Penalty | None:
    """The job's weight penalty; validation allows at most one."""
    for regularizer in spec.regularizers:
        if isinstance(regularizer, PenaltySpec):
            return as_penalty(regularizer)
    return None
