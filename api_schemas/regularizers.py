"""Regularizer specs: one ``kind`` each, combined in a job's ``regularizers`` list.

One strength name, ``alpha``, is used across every model. For the linear models
it means exactly what scikit-learn's ``alpha`` means for ``Lasso``, ``Ridge`` and
``ElasticNet`` (and ``PoissonRegressor``); for logistic regression the service sets
``C = 1 / alpha``. What each kind allows is its entry in ``api_schemas.kinds``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import Field

from api_schemas.datasets import TaskType
from api_schemas.input import InputModel

Strength = Annotated[
    float,
    Field(
        gt=0,
        allow_inf_nan=False,
        description="Penalty strength (scikit-learn's alpha; C = 1/alpha for logistic "
        "regression). Must be > 0: send an empty regularizers list for no penalty.",
    ),
]


@dataclass(frozen=True)
class Placement:
    """Where a job puts a regularizer: what the regularizer's own check may look at."""

    model: str  # the model kind
    images: bool  # the model sees images (a cnn on an image dataset)
    task: TaskType
    dataset: str  # the dataset's name, for messages


@dataclass(frozen=True)
class Problem:
    """Why a regularizer cannot go where a job puts it; ``loc`` is below its own."""

    loc: tuple[str, ...]
    message: str


class _Spec(InputModel):
    def problem(self, placement: Placement) -> Problem | None:
        """What its schema cannot say: None where it fits ``placement``."""
        return None


class L1(_Spec):
    """Lasso penalty ``alpha * ||w||_1``: drives weak coefficients to exactly zero."""

    kind: Literal["l1"] = "l1"
    alpha: Strength


class L2(_Spec):
    """Ridge penalty ``alpha * ||w||_2^2``: shrinks every coefficient, none to zero."""

    kind: Literal["l2"] = "l2"
    alpha: Strength


class ElasticNet(_Spec):
    """Both penalties, mixed by ``l1_ratio`` (1 is pure L1, 0 pure L2)."""

    kind: Literal["elastic_net"] = "elastic_net"
    alpha: Strength
    l1_ratio: float = Field(0.5, ge=0.0, le=1.0, allow_inf_nan=False)


class Dropout(_Spec):
    """Zero each unit of a hidden layer with probability ``rate`` while training (and scale
    the rest by 1/(1-rate)); nothing is dropped at evaluation."""

    kind: Literal["dropout"] = "dropout"
    rate: float = Field(0.5, ge=0.0, lt=1.0, allow_inf_nan=False)


class WeightDecay(_Spec):
    """Shrink weights every step. ``decoupled`` (AdamW-style): w ← w - lr·alpha·w after the
    optimizer's step, independent of the gradient's scaling. Coupled: alpha·w is added to
    the gradient, the same as an L2 penalty (alpha/2)·‖w‖², which Adam then rescales per
    weight. Biases and normalization parameters are never decayed."""

    kind: Literal["weight_decay"] = "weight_decay"
    alpha: Strength
    decoupled: bool = True


class EarlyStopping(_Spec):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs,
    and (``restore_best``) go back to the best epoch's weights."""

    kind: Literal["early_stopping"] = "early_stopping"
    patience: int = Field(5, ge=1, le=10_000)
    min_delta: float = Field(0.0, ge=0.0, allow_inf_nan=False)
    monitor: Literal["val_loss", "val_accuracy", "val_r2"] = "val_loss"
    restore_best: bool = True

    def problem(self, placement: Placement) -> Problem | None:
        unmeasured = "val_r2" if placement.task == "classification" else "val_accuracy"
        if self.monitor == unmeasured:
            message = f"{self.monitor} is not measured for a {placement.task} dataset"
            return Problem(("monitor",), message)
        return None


class BatchNorm(_Spec):
    """Batch normalization after each hidden layer (MLP) or convolution (CNN)."""

    kind: Literal["batch_norm"] = "batch_norm"


class DataAugmentation(_Spec):
    """Random changes to each training batch, made on the training device.

    Images: a random crop after zero ``crop_padding`` pixels on each side, a horizontal
    flip with probability ``flip_probability``, a rotation uniform in
    ±``rotation_degrees``. Tables: Gaussian noise of ``noise_std`` (in the units of the
    inputs) added to the features."""

    kind: Literal["data_augmentation"] = "data_augmentation"
    crop_padding: int = Field(0, ge=0, le=16)
    flip_probability: float = Field(0.0, ge=0.0, le=1.0)
    rotation_degrees: float = Field(0.0, ge=0.0, le=180.0)
    noise_std: float = Field(0.0, ge=0.0, allow_inf_nan=False)

    def problem(self, placement: Placement) -> Problem | None:
        image_changes = [p for p in IMAGE_AUGMENTATIONS if getattr(self, p)]
        if image_changes and not placement.images:
            first = image_changes[0]
            message = (
                f"{first} augments images; a {placement.model} on {placement.dataset} "
                "takes noise_std"
            )
            return Problem((first,), message)
        if not image_changes and self.noise_std == 0:
            return Problem(
                (), f"{self.kind} changes nothing: set noise_std or an image augmentation"
            )
        return None


IMAGE_AUGMENTATIONS = ("crop_padding", "flip_probability", "rotation_degrees")

Regularizer = Annotated[
    L1 | L2 | ElasticNet | Dropout | WeightDecay | EarlyStopping | BatchNorm | DataAugmentation,
    Field(discriminator="kind"),
]

#: The penalties on the weights, each the worker's ``Penalty`` of the same kind.
PenaltySpec = L1 | L2 | ElasticNet
