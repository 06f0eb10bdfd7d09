"""Model specs, a discriminated union on ``kind``."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import Annotated, Literal, Protocol, runtime_checkable

from pydantic import Field

from api_schemas.input import InputModel

Engine = Literal["sklearn", "torch"]
ENGINE_DESCRIPTION = (
    "sklearn: scikit-learn's estimator. torch: the same objective solved with PyTorch in "
    "float64 (closed form without a penalty or with l2, else FISTA), on a "
    "GPU where the worker has one; coefficients agree with scikit-learn's to about 1e-4 "
    "relative. With engine torch, max_iter defaults to 100000 (20000 for logistic regression) "
    "and tol to 1e-10 (the largest change of a coefficient, relative)."
)


class LinearRegressionSpec(InputModel):
    """Least squares; with l1/l2/elastic_net it is scikit-learn's Lasso/Ridge/ElasticNet.

    ``max_iter`` and ``tol`` default to the matching scikit-learn estimator's own
    defaults (None), so the same numbers give the same fit.
    """

    kind: Literal["linear_regression"] = "linear_regression"
    engine: Engine = Field("sklearn", description=ENGINE_DESCRIPTION)
    fit_intercept: bool = True
    max_iter: int | None = Field(None, ge=1, le=1_000_000)
    tol: float | None = Field(None, gt=0, allow_inf_nan=False)


LogisticSolver = Literal["lbfgs", "liblinear", "newton-cg", "newton-cholesky", "sag", "saga"]


class LogisticRegressionSpec(InputModel):
    """scikit-learn's LogisticRegression, binary or multiclass (multinomial).

    ``solver`` defaults to ``lbfgs`` without a penalty or with l2, ``liblinear``
    for l1 on a binary target, and ``saga`` otherwise (the solvers that support
    the penalty).
    """

    kind: Literal["logistic_regression"] = "logistic_regression"
    engine: Engine = Field("sklearn", description=ENGINE_DESCRIPTION)
    fit_intercept: bool = True
    max_iter: int | None = Field(
        None, ge=1, le=1_000_000, description="Default: scikit-learn's 100 (20000 on torch)."
    )
    tol: float | None = Field(
        None,
        gt=0,
        allow_inf_nan=False,
        description="Default: scikit-learn's 1e-4 (1e-10 on torch).",
    )
    solver: LogisticSolver | None = None


class PoissonRegressionSpec(InputModel):
    """scikit-learn's PoissonRegressor: a generalized linear model with a log link, for
    counts and other targets that are never negative. Its penalty is l2 with
    scikit-learn's ``alpha`` (``alpha/2 * ||w||^2`` beside the mean Poisson deviance
    over 2); without a regularizer, alpha is 0. ``max_iter`` and ``tol`` default to
    scikit-learn's (100, 1e-4)."""

    kind: Literal["poisson_regression"] = "poisson_regression"
    fit_intercept: bool = True
    max_iter: int | None = Field(None, ge=1, le=1_000_000)
    tol: float | None = Field(None, gt=0, allow_inf_nan=False)


@dataclass(frozen=True)
class NetworkSize:
    """What a network holds, for the API's memory estimate (``service/jobs/cost.py``)."""

    parameters: int
    per_sample: int  # activations one training sample keeps for the backward pass
    widest: int  # the largest layer output of one sample
    widths: str  # the spec field that sets the widths, which a refusal names


@runtime_checkable
class SizedNetwork(Protocol):
    def size(
        self, inputs: int, outputs: int, image_shape: tuple[int, int, int] | None
    ) -> NetworkSize: ...


#: Outputs a hidden layer keeps for backward: linear, batch norm, activation, dropout
#: and its mask.
MLP_OUTPUTS_PER_LAYER = 5
#: Per convolution: convolution, batch norm and ReLU at full size (the pool's output is
#: a quarter, counted in the slack of the rest).
CNN_OUTPUTS_PER_LAYER = 3

Activation = Literal["relu", "tanh", "gelu"]
#: A layer's width or channel count.
Width = Annotated[int, Field(ge=1, le=65_536)]


class MLPSpec(InputModel):
    """A fully connected network for tables: Linear → [BatchNorm] → activation →
    [Dropout] for each hidden layer, then a Linear output (regression or classes)."""

    kind: Literal["mlp"] = "mlp"
    hidden: list[Width] = Field(
        default_factory=lambda: [64, 64],
        min_length=1,
        max_length=16,
        description="Each hidden layer's width.",
    )
    activation: Activation = "relu"

    def size(
        self, inputs: int, outputs: int, image_shape: tuple[int, int, int] | None = None
    ) -> NetworkSize:
        """Its layers as ``workers.trainers.networks.build_mlp`` builds them."""
        widths = [inputs, *self.hidden, outputs]
        parameters = sum(a * b + b for a, b in pairwise(widths))
        per_sample = inputs + sum(self.hidden) * MLP_OUTPUTS_PER_LAYER + outputs
        return NetworkSize(parameters, per_sample, max(widths), "hidden")


class CNNSpec(InputModel):
    """The article's CNN by default: conv 32 → pool → conv 64 → pool → fc 128 → classes
    (3x3 convolutions with padding 1, 2x2 max pools), adapting to the image size and
    channels. Dropout goes after the hidden fully connected layer, as in the article;
    batch_norm after each convolution and the hidden fully connected layer."""

    kind: Literal["cnn"] = "cnn"
    channels: list[Width] = Field(
        default_factory=lambda: [32, 64],
        min_length=1,
        max_length=6,
        description="Each convolution's output channels.",
    )
    fc: int = Field(128, ge=1, le=65_536, description="Width of the hidden dense layer.")

    def size(
        self, inputs: int, outputs: int, image_shape: tuple[int, int, int] | None = None
    ) -> NetworkSize:
        """Its layers as ``workers.trainers.networks.build_cnn`` builds them."""
        assert image_shape is not None, "a CNN runs on image datasets only"
        channels, height, width = image_shape
        parameters, per_sample = 0, channels * height * width
        widest = per_sample
        for out in self.channels:
            parameters += channels * out * 9 + out
            layer = out * height * width
            per_sample += layer * CNN_OUTPUTS_PER_LAYER
            widest = max(widest, layer)
            if min(height, width) >= 2:
                height, width = height // 2, width // 2
            channels = out
        parameters += channels * height * width * self.fc + self.fc + self.fc * outputs + outputs
        per_sample += self.fc * MLP_OUTPUTS_PER_LAYER + outputs
        return NetworkSize(parameters, per_sample, max(widest, self.fc), "channels")


ModelSpec = Annotated[
    LinearRegressionSpec | LogisticRegressionSpec | PoissonRegressionSpec | MLPSpec | CNNSpec,
    Field(discriminator="kind"),
]
