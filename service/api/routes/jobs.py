from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from fastapi.responses import StreamingResponse

from api_schemas import ErrorBody, JobAccepted, JobCreate, JobList, JobRead, JobResult, JobStatus
from api_schemas.errors import ValidationErrorBody
from service.api.deps import ContextDep
from service.jobs import service as jobs_service

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorBody}}


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    responses={422: {"model": ValidationErrorBody}, 503: {"model": ErrorBody}},
)
def create_job(spec: JobCreate, ctx: ContextDep) -> JobAccepted:
    job = jobs_service.submit_job(ctx.jobs, ctx.publish, spec)
    return JobAccepted(id=job.id, status=JobStatus(job.status), url=jobs_service.job_url(job.id))


@router.get("")
def list_jobs(
    ctx: ContextDep,
    status: JobStatus | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> JobList:
    return jobs_service.list_jobs(ctx.jobs, status, cursor, limit)


@router.get("/{job_id}", responses=NOT_FOUND)
def get_job(job_id: str, ctx: ContextDep) -> JobRead:
    return jobs_service.get_job(ctx.jobs, job_id)


@router.get("/{job_id}/result", responses={**NOT_FOUND, 409: {"model": ErrorBody}})
def get_result(job_id: str, ctx: ContextDep) -> JobResult:
    return jobs_service.get_result(ctx.jobs, job_id)


@router.get(
    "/{job_id}/artifacts/{name}",
    responses={**NOT_FOUND, 200: {"content": {"image/png": {}}}},
    response_class=StreamingResponse,
)
def get_artifact(job_id: str, name: str, ctx: ContextDep) -> StreamingResponse:
    stream, media_type = jobs_service.open_artifact(ctx.jobs, ctx.artifacts, job_id, name)
    return StreamingResponse(stream, media_type=media_type)
