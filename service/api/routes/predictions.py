"""A succeeded job's model: predictions with it, and its files."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response, StreamingResponse

from api_schemas import ErrorBody, ValidationErrorBody
from api_schemas.predictions import ModelChoice, PredictionRequest, PredictionResponse
from api_schemas.scorings import ScoringAccepted
from service.api.deps import CallerDep, ContextDep
from service.api.downloads import REDIRECT, file_response
from service.api.json_body import JSONBodyRoute
from service.predictions.service import ModelFormat

router = APIRouter(prefix="/v1/jobs", tags=["predictions"], route_class=JSONBodyRoute)

RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "No such job of the caller's."},
    409: {
        "model": ErrorBody,
        "description": "The job has not succeeded, or has no such model (no baseline; a "
        "model that could not be exported, with the reason).",
    },
}
MODEL = Query(description="regularized: the job's fit; baseline: the same model unregularized.")


@router.post(
    "/{job_id}/predictions",
    response_model=PredictionResponse,
    responses={
        202: {
            "model": ScoringAccepted,
            "description": "dataset: the scoring is queued (Location: GET it until it ends).",
        },
        **RESPONSES,
        422: {
            "model": ValidationErrorBody,
            "description": "Input the model cannot take (type invalid_input): a missing or "
            "unknown column, a value of the wrong type, a missing value where training "
            "refused them, the wrong number of features or image shape, more rows than "
            "REGULAB_MAX_PREDICTION_ROWS; a dataset that lacks a column the model takes, "
            "holds text where it takes numbers, or missing values it would refuse (type "
            "invalid_spec at body.dataset.id).",
        },
    },
)
async def predict(
    job_id: str,
    body: PredictionRequest,
    ctx: ContextDep,
    owner: CallerDep,
    model: Annotated[ModelChoice, MODEL] = "regularized",
) -> Response | PredictionResponse:
    """Predict with the job's model: ``rows`` by column name for an uploaded dataset,
    ``instances`` for a built-in one (200). The training preprocessing is part of the
    model. ``dataset``, an uploaded table, is scored on the workers (202, a scoring)."""
    if body.dataset is not None:
        accepted = await run_in_threadpool(ctx.scorings.submit, job_id, owner, body, model)
        return JSONResponse(
            accepted.model_dump(mode="json"), status_code=202, headers={"Location": accepted.url}
        )
    # A few rows with a model in hand are answered here; the rest (a store query, a load,
    # many rows) on the threadpool, as a plain def route would be.
    answer = ctx.predictions.predict_inline(job_id, owner, body, model)
    if answer is None:
        answer = await run_in_threadpool(ctx.predictions.predict, job_id, owner, body, model)
    return answer


@router.get(
    "/{job_id}/model",
    response_class=StreamingResponse,
    responses={**RESPONSES, 200: {"content": {"application/octet-stream": {}}}, **REDIRECT},
)
def download_model(
    job_id: str,
    ctx: ContextDep,
    owner: CallerDep,
    format: Annotated[
        ModelFormat,
        Query(
            description="onnx: the whole pipeline, for onnxruntime; skops: a scikit-learn "
            "estimator; safetensors: a network's weights."
        ),
    ] = "onnx",
    model: Annotated[ModelChoice, MODEL] = "regularized",
) -> Response:
    return file_response(ctx, ctx.predictions.open_model(job_id, owner, format, model))
