from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from fastapi.responses import StreamingResponse

from api_schemas import ErrorBody, ValidationErrorBody
from api_schemas.sweeps import (
    SweepAccepted,
    SweepCreate,
    SweepList,
    SweepRead,
    SweepResult,
    SweepStatus,
)
from service.api.deps import CallerDep, ContextDep
from service.sweeps import service as sweeps_service

router = APIRouter(prefix="/v1/sweeps", tags=["sweeps"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorBody}}
CONFLICT: dict[int | str, dict[str, Any]] = {409: {"model": ErrorBody}}


@router.post(
    "", status_code=status.HTTP_202_ACCEPTED, responses={422: {"model": ValidationErrorBody}}
)
def create_sweep(spec: SweepCreate, ctx: ContextDep, owner: CallerDep) -> SweepAccepted:
    """Cross-validate the base job's penalty over the alpha grid, a task per fold."""
    sweep = sweeps_service.submit_sweep(
        ctx.sweeps,
        ctx.jobs,
        ctx.publish,
        spec,
        owner=owner,
        limits=ctx.limits,
        queues=ctx.queues,
        datasets=ctx.datasets,
    )
    return SweepAccepted(id=sweep.id, status="running", url=sweeps_service.sweep_url(sweep.id))


@router.get("")
def list_sweeps(
    ctx: ContextDep,
    owner: CallerDep,
    status: SweepStatus | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> SweepList:
    """The caller's sweeps, newest first; ``next_cursor`` pages to older ones."""
    return sweeps_service.list_sweeps(
        ctx.sweeps, owner, kind="sweep", status=status, cursor=cursor, limit=limit
    )


@router.get("/{sweep_id}", responses=NOT_FOUND)
def get_sweep(sweep_id: str, ctx: ContextDep, owner: CallerDep) -> SweepRead:
    return sweeps_service.get_sweep(ctx.sweeps, sweep_id, owner)


@router.get("/{sweep_id}/result", responses={**NOT_FOUND, **CONFLICT})
def get_sweep_result(sweep_id: str, ctx: ContextDep, owner: CallerDep) -> SweepResult:
    return sweeps_service.get_sweep_result(ctx.sweeps, sweep_id, owner)


@router.delete("/{sweep_id}", status_code=204, responses={**NOT_FOUND, **CONFLICT})
def delete_sweep(sweep_id: str, ctx: ContextDep, owner: CallerDep) -> None:
    """Remove a finished sweep, its tasks and its figures; a running one is a 409."""
    sweeps_service.delete_sweep(ctx.sweeps, ctx.artifacts, sweep_id, owner, kind="sweep")


@router.post("/{sweep_id}/cancel", responses={**NOT_FOUND, **CONFLICT})
def cancel_sweep(sweep_id: str, ctx: ContextDep, owner: CallerDep) -> SweepRead:
    return sweeps_service.cancel_sweep(ctx.sweeps, ctx.jobs, sweep_id, owner)


@router.get(
    "/{sweep_id}/artifacts/{name}",
    responses={**NOT_FOUND, 200: {"content": {"image/png": {}}}},
    response_class=StreamingResponse,
)
def get_sweep_artifact(
    sweep_id: str, name: str, ctx: ContextDep, owner: CallerDep
) -> StreamingResponse:
    stream, media_type = sweeps_service.open_sweep_artifact(
        ctx.sweeps, ctx.artifacts, sweep_id, name, owner
    )
    return StreamingResponse(stream, media_type=media_type)
