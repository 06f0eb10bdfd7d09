"""Map domain exceptions to HTTP answers in one place."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import compile_path

from service.artifacts import ArtifactNotFoundError, StorageUnavailableError
from service.datasets.service import DatasetConflictError, DatasetNotFoundError
from service.datasets.table_reader import UploadError, UploadTooLargeError
from service.events.service import EventsGoneError, SubjectNotFoundError
from service.jobs.artifacts import FigureFailedError
from service.jobs.service import IdempotencyConflictError, JobNotFoundError, JobStateError
from service.jobs.validation import SpecError
from service.pagination import InvalidCursorError
from service.predictions.inputs import PredictionInputError
from service.registry.store import ModelConflictError, ModelNotFoundError
from service.scorings.service import ScoringNotFoundError
from service.sweeps.service import SweepNotFoundError, SweepStateError
from service.webhooks.service import WebhookNotFoundError, WebhookURLError


def _field_error(loc: list[str | int], message: str, kind: str) -> JSONResponse:
    return JSONResponse(
        status_code=422, content={"detail": [{"loc": loc, "msg": message, "type": kind}]}
    )


def json_safe(value: Any) -> Any:
    """``value`` with every NaN or infinite float written as a string ("NaN", "Infinity",
    "-Infinity"): a 422 echoes the caller's input, which JSON cannot hold as a number."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    return value


def allowed_methods(app: FastAPI, path: str) -> str:
    """Every method the API documents at ``path``, for a 405's ``Allow``: each method of a
    path is a route of its own, and Starlette's 405 names only the first one's."""
    methods = {
        method.upper()
        for template, operations in app.openapi()["paths"].items()
        if compile_path(template)[0].fullmatch(path)
        for method in operations
    }
    return ", ".join(sorted(methods))


def unreadable_body(exc: HTTPException) -> JSONResponse:
    """A 422 naming the body, for the 400 FastAPI and Starlette raise on a body they cannot
    read (JSON that is not UTF-8, a broken multipart form): regulab raises no 400 itself,
    and a body that cannot be read is one more invalid input, answered in the one shape."""
    cause = exc.__cause__
    if isinstance(cause, UnicodeDecodeError):
        return _field_error(
            ["body"],
            f"the body is not UTF-8 JSON: {cause.reason} at byte {cause.start}",
            "json_invalid",
        )
    return _field_error(["body"], f"the body cannot be read: {exc.detail}", "body_invalid")


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 400:
            return unreadable_body(exc)
        if exc.status_code == 405:
            allow = allowed_methods(app, request.url.path)
            exc.headers = {**(exc.headers or {}), "Allow": allow}
        return await http_exception_handler(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            status_code=422, content={"detail": json_safe(jsonable_encoder(exc.errors()))}
        )

    @app.exception_handler(SpecError)
    async def _spec(_: Request, exc: SpecError) -> JSONResponse:
        return _field_error(list(exc.loc), exc.message, "invalid_spec")

    @app.exception_handler(PredictionInputError)
    async def _input(_: Request, exc: PredictionInputError) -> JSONResponse:
        return _field_error(["body", *exc.loc], exc.message, "invalid_input")

    @app.exception_handler(InvalidCursorError)
    async def _cursor(_: Request, exc: InvalidCursorError) -> JSONResponse:
        return _field_error(["query", "cursor"], str(exc), "invalid_cursor")

    @app.exception_handler(WebhookURLError)
    async def _webhook_url(_: Request, exc: WebhookURLError) -> JSONResponse:
        return _field_error(["body", "url"], str(exc), "invalid_webhook")

    @app.exception_handler(UploadError)
    async def _upload(_: Request, exc: UploadError) -> JSONResponse:
        return _field_error(["body", exc.field], exc.message, "invalid_upload")

    for exc_type, (status, template) in PLAIN_ERRORS.items():
        app.add_exception_handler(exc_type, _plain(status, template))


#: Domain errors answered with a status and ``{"detail": template.format(exc)}``.
PLAIN_ERRORS: dict[type[Exception], tuple[int, str]] = {
    JobNotFoundError: (404, "no such job or artifact: {}"),
    ArtifactNotFoundError: (404, "artifact file missing: {}"),
    StorageUnavailableError: (503, "file storage unavailable: {}"),
    DatasetNotFoundError: (404, "no such dataset: {}"),
    SweepNotFoundError: (404, "no such {}"),  # "comparison: <id>", "file: <id>/<name>"
    JobStateError: (409, "{}"),
    FigureFailedError: (409, "{}"),
    IdempotencyConflictError: (409, "{}"),
    DatasetConflictError: (409, "{}"),
    UploadTooLargeError: (413, "{}"),
    SweepStateError: (409, "{}"),
    ModelNotFoundError: (404, "no such {}"),  # "model: <name>", "version 3 of model <name>"
    ModelConflictError: (409, "{}"),
    ScoringNotFoundError: (404, "no such {}"),  # "scoring: <id>", "file: <id>/<name>"
    SubjectNotFoundError: (404, "no such {}"),  # "job: <id>", "sweep: <id>", …
    EventsGoneError: (410, "{}"),
    WebhookNotFoundError: (404, "no such {}"),  # "webhook: <id>", "delivery: <id>"
}


def _plain(status: int, template: str) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def handler(_: Request, exc: Exception) -> Response:
        return JSONResponse(status_code=status, content={"detail": template.format(exc)})

    return handler
