from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse

from api_schemas import (
    ArtifactRef,
    ErrorBody,
    JobAccepted,
    JobCreate,
    JobHistory,
    JobList,
    JobRead,
    JobResult,
    JobStatus,
    ValidationErrorBody,
)
from service.api.deps import CallerDep, ContextDep
from service.api.downloads import REDIRECT, file_response
from service.jobs.artifacts import Drawing

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorBody}}
CONFLICT: dict[int | str, dict[str, Any]] = {409: {"model": ErrorBody}}
#: The rules a job spec is held to beyond its schema, each a 422 of type invalid_spec.
SPEC_RULES = (
    "The body does not match the schema, or breaks a rule that needs the dataset (type "
    "invalid_spec): the dataset exists (a built-in name with the params GET /v1/datasets "
    "lists, or the caller's upload by id, features being its columns other than the target) "
    "and suits the model (its task; a cnn takes images); each regularizer is one the model "
    "takes, given once, with one penalty at most, and suits the dataset; training applies to "
    "networks and engine torch; a solver takes the penalty and the classes; the split leaves "
    "rows to fit on; max_seconds and the job's memory estimate are within the server's limits."
)
#: A figure's 202 asks the caller to come back after this many seconds.
RETRY_AFTER_SECONDS = 1
#: ``cursor`` of a list: opaque, refused (422, type invalid_cursor) unless this server made it.
CURSOR = Query(
    description="next_cursor of the page before; empty or absent for the first page. A "
    "cursor this server did not make is a 422 of type invalid_cursor.",
)


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        200: {"model": JobAccepted},
        422: {"model": ValidationErrorBody, "description": SPEC_RULES},
        **CONFLICT,
    },
)
def create_job(
    spec: JobCreate,
    ctx: ContextDep,
    owner: CallerDep,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> JobAccepted:
    """Store the job and queue it (202); a repeated Idempotency-Key returns the first (200)."""
    accepted, created = ctx.jobs.submit(spec, owner, idempotency_key)
    if not created:
        response.status_code = status.HTTP_200_OK
    return accepted


@router.get("", responses={422: {"model": ValidationErrorBody}})
def list_jobs(
    ctx: ContextDep,
    owner: CallerDep,
    status: JobStatus | None = None,
    cursor: Annotated[str | None, CURSOR] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> JobList:
    return ctx.jobs.page(owner, status, cursor, limit)


@router.get("/{job_id}", responses=NOT_FOUND)
def get_job(job_id: str, ctx: ContextDep, owner: CallerDep) -> JobRead:
    return ctx.jobs.get(job_id, owner)


@router.delete("/{job_id}", status_code=204, responses={**NOT_FOUND, **CONFLICT})
def delete_job(job_id: str, ctx: ContextDep, owner: CallerDep) -> None:
    """Remove a finished job and its artifacts; a queued or running job is a 409."""
    ctx.jobs.delete(job_id, owner)


@router.post("/{job_id}/cancel", responses={**NOT_FOUND, **CONFLICT})
def cancel_job(job_id: str, ctx: ContextDep, owner: CallerDep) -> JobRead:
    """A queued job is cancelled now; a running one stops at its next checkpoint."""
    return ctx.jobs.cancel(job_id, owner)


@router.post(
    "/{job_id}/retry", status_code=status.HTTP_202_ACCEPTED, responses={**NOT_FOUND, **CONFLICT}
)
def retry_job(job_id: str, ctx: ContextDep, owner: CallerDep) -> JobAccepted:
    """A new job with the same spec as a failed or cancelled one (its retry_of)."""
    return ctx.jobs.retry(job_id, owner)


@router.get("/{job_id}/result", responses={**NOT_FOUND, **CONFLICT})
def get_result(job_id: str, ctx: ContextDep, owner: CallerDep) -> JobResult:
    return ctx.jobs.result(job_id, owner)


@router.get("/{job_id}/history", responses=NOT_FOUND)
def get_history(job_id: str, ctx: ContextDep, owner: CallerDep) -> JobHistory:
    """Finished training steps, every attempt's, oldest first."""
    return ctx.jobs.history(job_id, owner)


@router.get(
    "/{job_id}/artifacts/{name}",
    responses={
        **NOT_FOUND,
        200: {"content": {"image/png": {}, "application/octet-stream": {}}},
        202: {
            "model": ArtifactRef,
            "description": "A figure being drawn (state pending): ask again after the "
            "Retry-After header's seconds.",
        },
        409: {"model": ErrorBody, "description": "The figure could not be drawn."},
        **REDIRECT,
    },
    response_class=StreamingResponse,
)
async def get_artifact(job_id: str, name: str, ctx: ContextDep, owner: CallerDep) -> Response:
    """One of the job's files. A figure not drawn yet is drawn now, on a worker: the
    answer waits up to REGULAB_FIGURE_WAIT_SECONDS for it, then is a 202 with
    Retry-After; a figure that failed to draw is a 409 that says why."""
    answer = await ctx.job_artifacts.fetch(job_id, name, owner, ctx.settings.figure_wait_seconds)
    if isinstance(answer, Drawing):
        return JSONResponse(
            answer.artifact.model_dump(mode="json"),
            status_code=status.HTTP_202_ACCEPTED,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    return await run_in_threadpool(file_response, ctx, answer)
