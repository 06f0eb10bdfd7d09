"""A job's network, regularizers and loop settings, resolved from its spec."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from api_schemas import (
    L1,
    L2,
    CNNSpec,
    DataAugmentation,
    Dropout,
    EarlyStopping,
    ElasticNet,
    JobCreate,
    MLPSpec,
    TrainingSpec,
    WeightDecay,
)


@dataclass(frozen=True)
class NetworkConfig:
    """A job's network, regularizers and loop settings, resolved."""

    model: MLPSpec | CNNSpec
    training: TrainingSpec
    penalty: L1 | L2 | ElasticNet | None = None
    dropout: float = 0.0
    batch_norm: bool = False
    weight_decay: WeightDecay | None = None
    early_stopping: EarlyStopping | None = None
    augmentation: DataAugmentation | None = None

    @classmethod
    def from_spec(cls, spec: JobCreate, *, regularized: bool = True) -> NetworkConfig:
        assert isinstance(spec.model, MLPSpec | CNNSpec)
        training = spec.training or TrainingSpec()
        if not regularized:
            return cls(spec.model, training)
        found: dict[str, Any] = {r.kind: r for r in spec.regularizers}
        penalty = next((r for r in spec.regularizers if isinstance(r, L1 | L2 | ElasticNet)), None)
        dropout = found.get("dropout")
        return cls(
            model=spec.model,
            training=training,
            penalty=penalty,
            dropout=dropout.rate if isinstance(dropout, Dropout) else 0.0,
            batch_norm="batch_norm" in found,
            weight_decay=found.get("weight_decay"),
            early_stopping=found.get("early_stopping"),
            augmentation=found.get("data_augmentation"),
        )
