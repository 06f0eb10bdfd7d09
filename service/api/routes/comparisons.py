from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from fastapi.responses import StreamingResponse

from api_schemas import ErrorBody, ValidationErrorBody
from api_schemas.comparisons import ComparisonCreate, ComparisonResult
from api_schemas.sweeps import SweepAccepted, SweepList, SweepRead, SweepStatus
from service.api.deps import CallerDep, ContextDep
from service.sweeps import service as sweeps_service

router = APIRouter(prefix="/v1/comparisons", tags=["comparisons"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorBody}}
CONFLICT: dict[int | str, dict[str, Any]] = {409: {"model": ErrorBody}}


@router.post(
    "", status_code=status.HTTP_202_ACCEPTED, responses={422: {"model": ValidationErrorBody}}
)
def create_comparison(spec: ComparisonCreate, ctx: ContextDep, owner: CallerDep) -> SweepAccepted:
    """Score each configuration on the same folds; a task per fold."""
    comparison = sweeps_service.submit_sweep(
        ctx.sweeps,
        ctx.jobs,
        ctx.publish,
        spec,
        owner=owner,
        limits=ctx.limits,
        queues=ctx.queues,
        datasets=ctx.datasets,
    )
    url = sweeps_service.comparison_url(comparison.id)
    return SweepAccepted(id=comparison.id, status="running", url=url)


@router.get("")
def list_comparisons(
    ctx: ContextDep,
    owner: CallerDep,
    status: SweepStatus | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> SweepList:
    """The caller's comparisons, newest first; ``next_cursor`` pages to older ones."""
    return sweeps_service.list_sweeps(
        ctx.sweeps, owner, kind="comparison", status=status, cursor=cursor, limit=limit
    )


@router.get("/{comparison_id}", responses=NOT_FOUND)
def get_comparison(comparison_id: str, ctx: ContextDep, owner: CallerDep) -> SweepRead:
    return sweeps_service.get_sweep(ctx.sweeps, comparison_id, owner)


@router.get("/{comparison_id}/result", responses={**NOT_FOUND, **CONFLICT})
def get_comparison_result(
    comparison_id: str, ctx: ContextDep, owner: CallerDep
) -> ComparisonResult:
    """The leaderboard (best first), paired differences and tests, a recommendation."""
    return sweeps_service.get_comparison_result(ctx.sweeps, comparison_id, owner)


@router.delete("/{comparison_id}", status_code=204, responses={**NOT_FOUND, **CONFLICT})
def delete_comparison(comparison_id: str, ctx: ContextDep, owner: CallerDep) -> None:
    """Remove a finished comparison, its tasks and its figures; a running one is a 409."""
    sweeps_service.delete_sweep(ctx.sweeps, ctx.artifacts, comparison_id, owner, kind="comparison")


@router.post("/{comparison_id}/cancel", responses={**NOT_FOUND, **CONFLICT})
def cancel_comparison(comparison_id: str, ctx: ContextDep, owner: CallerDep) -> SweepRead:
    return sweeps_service.cancel_sweep(ctx.sweeps, ctx.jobs, comparison_id, owner)


@router.get(
    "/{comparison_id}/artifacts/{name}",
    responses={**NOT_FOUND, 200: {"content": {"image/png": {}}}},
    response_class=StreamingResponse,
)
def get_comparison_artifact(
    comparison_id: str, name: str, ctx: ContextDep, owner: CallerDep
) -> StreamingResponse:
    stream, media_type = sweeps_service.open_sweep_artifact(
        ctx.sweeps, ctx.artifacts, comparison_id, name, owner
    )
    return StreamingResponse(stream, media_type=media_type)
