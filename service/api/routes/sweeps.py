"""The routes of /v1/sweeps and /v1/comparisons: one factory, ``router_for``, builds
each from its kind's entry (``service.sweeps.kinds``), so that every verb behaves alike
under both and an id answers only under its own kind's URL.

This module does without ``from __future__ import annotations``: FastAPI reads the
routes' annotations at run time, and the path parameter's are built per kind (it is
named ``sweep_id`` or ``comparison_id`` in the OpenAPI document).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Generic

from fastapi import APIRouter, Path, Query, Response, status
from fastapi.responses import StreamingResponse

from api_schemas import ComparisonAccepted, ErrorBody, ValidationErrorBody
from api_schemas.comparisons import ComparisonCreate
from api_schemas.sweep_status import SweepStatus
from api_schemas.sweeps import SweepAccepted, SweepCreate
from service.api.deps import CallerDep, ContextDep
from service.api.downloads import REDIRECT, file_response
from service.api.routes.jobs import CURSOR, SPEC_RULES
from service.sweeps.kinds import (
    COMPARISON,
    SWEEP,
    AcceptedT,
    CreateT,
    PageT,
    ReadT,
    ResultT,
    SweepKind,
)

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorBody}}
CONFLICT: dict[int | str, dict[str, Any]] = {409: {"model": ErrorBody}}
#: A sweep's and a comparison's rules beyond the schema, besides its base job's.
SWEEP_RULES = (
    f"{SPEC_RULES} The base job's rules apply under base; besides (type invalid_spec): a "
    "grid's logspace has start < stop; a grid is alpha, alpha with l1_ratio, or rate alone, "
    "for a model and a regularizer that take it; comparison configurations have distinct "
    "names, and tune applies to a linear or logistic model with one penalty."
)


@dataclass(frozen=True)
class KindRoutes(Generic[CreateT, ReadT, PageT, AcceptedT, ResultT]):
    """What one kind's routes take besides its entry: its POST route, whose body is the
    kind's own create schema (a type FastAPI must find in the route's signature), and
    the description of its result."""

    kind: SweepKind[CreateT, ReadT, PageT, AcceptedT, ResultT]
    create: Callable[[CreateT, ContextDep, CallerDep], AcceptedT]
    result_description: str | None = None


def create_sweep(spec: SweepCreate, ctx: ContextDep, owner: CallerDep) -> SweepAccepted:
    """Cross-validate the base job's penalty over the alpha grid, a trial per fold."""
    return ctx.sweeps.submit(SWEEP, spec, owner)


def create_comparison(
    spec: ComparisonCreate, ctx: ContextDep, owner: CallerDep
) -> ComparisonAccepted:
    """Score each configuration on the same folds; a trial per fold."""
    return ctx.sweeps.submit(COMPARISON, spec, owner)


SWEEP_ROUTES = KindRoutes(SWEEP, create_sweep)
COMPARISON_ROUTES = KindRoutes(
    COMPARISON,
    create_comparison,
    result_description="The leaderboard (best first), paired differences and tests, a "
    "recommendation.",
)


def router_for(routes: KindRoutes[CreateT, ReadT, PageT, AcceptedT, ResultT]) -> APIRouter:
    """The kind's routes under its URL; each route is named as the kind's own
    (``get_comparison``), which names its OpenAPI operation."""
    kind, noun = routes.kind, routes.kind.name
    router = APIRouter(prefix=kind.url, tags=[f"{noun}s"])
    one = f"/{{{noun}_id}}"  # /{sweep_id}
    SweepId = Annotated[str, Path(alias=f"{noun}_id")]

    router.post(
        "",
        status_code=status.HTTP_202_ACCEPTED,
        responses={422: {"model": ValidationErrorBody, "description": SWEEP_RULES}},
    )(routes.create)

    @router.get(
        "",
        name=f"list_{noun}s",
        response_model=kind.page,
        responses={422: {"model": ValidationErrorBody}},
        description=f"The caller's {noun}s, newest first; ``next_cursor`` pages to older ones.",
    )
    def page(
        ctx: ContextDep,
        owner: CallerDep,
        status: SweepStatus | None = None,
        cursor: Annotated[str | None, CURSOR] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> PageT:
        return ctx.sweeps.page(kind, owner, status, cursor, limit)

    @router.get(one, name=f"get_{noun}", response_model=kind.read, responses=NOT_FOUND)
    def get(sweep_id: SweepId, ctx: ContextDep, owner: CallerDep) -> ReadT:
        return ctx.sweeps.get(kind, sweep_id, owner)

    @router.get(
        f"{one}/result",
        name=f"get_{noun}_result",
        response_model=kind.result,
        responses={**NOT_FOUND, **CONFLICT},
        description=routes.result_description,
    )
    def result(sweep_id: SweepId, ctx: ContextDep, owner: CallerDep) -> ResultT:
        return ctx.sweeps.result(kind, sweep_id, owner)

    @router.delete(
        one,
        name=f"delete_{noun}",
        status_code=204,
        responses={**NOT_FOUND, **CONFLICT},
        description=f"Remove a finished {noun}, its trials and its figures; a running one is "
        "a 409.",
    )
    def delete(sweep_id: SweepId, ctx: ContextDep, owner: CallerDep) -> None:
        ctx.sweeps.delete(kind, sweep_id, owner)

    @router.post(
        f"{one}/cancel",
        name=f"cancel_{noun}",
        response_model=kind.read,
        responses={**NOT_FOUND, **CONFLICT},
        description="Cancel every unfinished trial; it ends cancelled.",
    )
    def cancel(sweep_id: SweepId, ctx: ContextDep, owner: CallerDep) -> ReadT:
        return ctx.sweeps.cancel(kind, sweep_id, owner)

    @router.get(
        f"{one}/artifacts/{{name}}",
        name=f"get_{noun}_artifact",
        responses={**NOT_FOUND, 200: {"content": {"image/png": {}}}, **REDIRECT},
        response_class=StreamingResponse,
    )
    def artifact(sweep_id: SweepId, name: str, ctx: ContextDep, owner: CallerDep) -> Response:
        return file_response(ctx, ctx.sweeps.open_artifact(kind, sweep_id, name, owner))

    return router
