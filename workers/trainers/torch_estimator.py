"""What the torch engine's linear estimators share: stored parameters and their repr."""

from __future__ import annotations

from typing import Generic, TypeVar

from api_schemas import LinearRegressionSpec, LogisticRegressionSpec
from api_schemas.training import Device
from workers.trainers.penalties import Penalty

SpecT = TypeVar("SpecT", LinearRegressionSpec, LogisticRegressionSpec)


class TorchEstimator(Generic[SpecT]):
    """scikit-learn's contract: __init__ only stores; fit learns attributes ending in _."""

    def __init__(self, spec: SpecT, penalty: Penalty | None, device: Device = "auto") -> None:
        self.spec: SpecT = spec
        self.penalty = penalty
        self.device: Device = device

    def __repr__(self) -> str:
        penalty = "none" if self.penalty is None else self.penalty.as_spec().model_dump_json()
        name = type(self).__name__
        return f"{name}(penalty={penalty}, fit_intercept={self.spec.fit_intercept})"
