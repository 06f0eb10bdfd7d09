"""Scorings: a job's model over a whole uploaded table, run on the workers.

One is queued by ``POST /v1/jobs/{id}/predictions`` with ``{"dataset": {"id": ...}}``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import StreamingResponse

from api_schemas import ErrorBody
from api_schemas.scorings import ScoringRead
from service.api.deps import CallerDep, ContextDep
from service.api.downloads import REDIRECT, file_response

router = APIRouter(tags=["predictions"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorBody}}
CONFLICT: dict[int | str, dict[str, Any]] = {409: {"model": ErrorBody}}


@router.get("/v1/scorings/{scoring_id}", responses=NOT_FOUND)
def get_scoring(scoring_id: str, ctx: ContextDep, owner: CallerDep) -> ScoringRead:
    """Its status and progress; once succeeded, its result and predictions files."""
    return ctx.scorings.get(scoring_id, owner)


@router.get("/v1/jobs/{job_id}/scorings", responses=NOT_FOUND)
def list_scorings(job_id: str, ctx: ContextDep, owner: CallerDep) -> list[ScoringRead]:
    """The scorings of a job's model, newest first."""
    return ctx.scorings.of_job(job_id, owner)


@router.post("/v1/scorings/{scoring_id}/cancel", responses={**NOT_FOUND, **CONFLICT})
def cancel_scoring(scoring_id: str, ctx: ContextDep, owner: CallerDep) -> ScoringRead:
    """A queued scoring is cancelled at once; a running one stops after its chunk."""
    return ctx.scorings.cancel(scoring_id, owner)


@router.delete("/v1/scorings/{scoring_id}", status_code=204, responses={**NOT_FOUND, **CONFLICT})
def delete_scoring(scoring_id: str, ctx: ContextDep, owner: CallerDep) -> None:
    """Remove a finished scoring and its files; a queued or running one is a 409."""
    ctx.scorings.delete(scoring_id, owner)


@router.get(
    "/v1/scorings/{scoring_id}/artifacts/{name}",
    responses={
        **NOT_FOUND,
        200: {"content": {"application/vnd.apache.parquet": {}, "text/csv": {}}},
        **REDIRECT,
    },
    response_class=StreamingResponse,
)
def get_scoring_artifact(scoring_id: str, name: str, ctx: ContextDep, owner: CallerDep) -> Response:
    """predictions.parquet or predictions.csv."""
    return file_response(ctx, ctx.scorings.open_artifact(scoring_id, name, owner))
