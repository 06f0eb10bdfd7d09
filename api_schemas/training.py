"""How a network (or a linear model on the torch engine) is trained."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from api_schemas.input import InputModel

Device = Literal["auto", "cpu", "cuda"]


class TrainingSpec(InputModel):
    """Optimizer and loop settings. Defaults follow the article's CNN example (SGD,
    lr 0.001, momentum 0.9) with a larger batch; the same seed and device give the
    same result on CPU."""

    optimizer: Literal["sgd", "adam", "adamw"] = "sgd"
    lr: float = Field(0.01, gt=0, le=10, allow_inf_nan=False)
    momentum: float = Field(0.9, ge=0, lt=1, description="For sgd only.")
    epochs: int = Field(20, ge=1, le=10_000)
    batch_size: int = Field(64, ge=1, le=65_536)
    seed: int = Field(0, ge=0, le=2**32 - 1)
    validation_fraction: float = Field(
        0.1,
        ge=0,
        lt=1,
        description="Share of the training rows held out for validation metrics and early "
        "stopping.",
    )
    device: Device = Field(
        "auto",
        description="auto: CUDA when the worker has it, else CPU; cuda on a worker without "
        "a GPU fails the job.",
    )
