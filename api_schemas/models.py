"""Model specs, a discriminated union on ``kind``."""

from __future__ import annotations

from typing import Annotated, Literal

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


ModelSpec = Annotated[
    LinearRegressionSpec | LogisticRegressionSpec | PoissonRegressionSpec | MLPSpec | CNNSpec,
    Field(discriminator="kind"),
]
