"""Regularizer specs: one ``kind`` each, combined in a job's ``regularizers`` list.

One strength name, ``alpha``, is used across every model. For the linear models
it means exactly what scikit-learn's ``alpha`` means for ``Lasso``, ``Ridge`` and
``ElasticNet``; for logistic regression the service sets ``C = 1 / alpha``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Strength = Annotated[
    float,
    Field(
        gt=0,
        allow_inf_nan=False,
        description="Penalty strength (scikit-learn's alpha; C = 1/alpha for logistic "
        "regression). Must be > 0: send an empty regularizers list for no penalty.",
    ),
]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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


Regularizer = Annotated[L1 | L2 | ElasticNet, Field(discriminator="kind")]

#: Kinds that are a penalty on the weights; a linear model takes at most one.
PENALTY_KINDS: frozenset[str] = frozenset({"l1", "l2", "elastic_net"})
