"""A job's network, regularizers and loop settings, resolved from its spec."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import assert_never

from api_schemas import (
    BatchNorm,
    CNNSpec,
    DataAugmentation,
    Dropout,
    EarlyStopping,
    JobCreate,
    MLPSpec,
    PenaltySpec,
    TrainingSpec,
    WeightDecay,
)
from workers.trainers.penalties import Penalty, as_penalty


@dataclass(frozen=True)
class NetworkConfig:
    """A job's network, regularizers and loop settings, resolved: where each regularizer
    kind goes in the network or the loop."""

    model: MLPSpec | CNNSpec
    training: TrainingSpec
    penalty: Penalty | None = None
    dropout: float = 0.0
    batch_norm: bool = False
    weight_decay: WeightDecay | None = None
    early_stopping: EarlyStopping | None = None
    augmentation: DataAugmentation | None = None

    @classmethod
    def from_spec(cls, spec: JobCreate, *, regularized: bool = True) -> NetworkConfig:
        assert isinstance(spec.model, MLPSpec | CNNSpec)
        config = cls(spec.model, spec.training or TrainingSpec())
        if not regularized:
            return config
        for regularizer in spec.regularizers:
            if isinstance(regularizer, PenaltySpec):
                config = replace(config, penalty=as_penalty(regularizer))
                continue
            match regularizer:
                case Dropout(rate=rate):
                    config = replace(config, dropout=rate)
                case BatchNorm():
                    config = replace(config, batch_norm=True)
                case WeightDecay():
                    config = replace(config, weight_decay=regularizer)
                case EarlyStopping():
                    config = replace(config, early_stopping=regularizer)
                case DataAugmentation():
                    config = replace(config, augmentation=regularizer)
                case _:
                    assert_never(regularizer)
        return config
