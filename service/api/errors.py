"""Map domain exceptions to HTTP answers in one place."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from service.artifacts import ArtifactNotFoundError
from service.datasets.service import DatasetConflictError, DatasetNotFoundError
from service.datasets.uploads import UploadError
from service.jobs.pagination import InvalidCursorError
from service.jobs.service import IdempotencyConflictError, JobNotFoundError, JobStateError
from service.jobs.validation import SpecError
from service.sweeps.service import SweepNotFoundError, SweepStateError


def _field_error(loc: list[str | int], message: str, kind: str) -> JSONResponse:
    return JSONResponse(
        status_code=422, content={"detail": [{"loc": loc, "msg": message, "type": kind}]}
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SpecError)
    async def _spec(_: Request, exc: SpecError) -> JSONResponse:
        return _field_error(list(exc.loc), exc.message, "invalid_spec")

    @app.exception_handler(InvalidCursorError)
    async def _cursor(_: Request, exc: InvalidCursorError) -> JSONResponse:
        return _field_error(["query", "cursor"], str(exc), "value_error")

    @app.exception_handler(UploadError)
    async def _upload(_: Request, exc: UploadError) -> JSONResponse:
        return _field_error(["body", exc.field], exc.message, "invalid_upload")

    @app.exception_handler(DatasetNotFoundError)
    async def _no_dataset(_: Request, exc: DatasetNotFoundError) -> JSONResponse:
        return JSONResponse(status_code=404, content={"detail": f"no such dataset: {exc}"})

    @app.exception_handler(DatasetConflictError)
    async def _dataset_in_use(_: Request, exc: DatasetConflictError) -> JSONResponse:
        return JSONResponse(status_code=409, content={"detail": str(exc)})

    @app.exception_handler(SweepNotFoundError)
    async def _no_sweep(_: Request, exc: SweepNotFoundError) -> JSONResponse:
        return JSONResponse(status_code=404, content={"detail": f"no such sweep or file: {exc}"})

    @app.exception_handler(SweepStateError)
    async def _sweep_state(_: Request, exc: SweepStateError) -> JSONResponse:
        return JSONResponse(status_code=409, content={"detail": str(exc)})

    @app.exception_handler(JobNotFoundError)
    async def _not_found(_: Request, exc: JobNotFoundError) -> JSONResponse:
        return JSONResponse(status_code=404, content={"detail": f"no such job or artifact: {exc}"})

    @app.exception_handler(ArtifactNotFoundError)
    async def _artifact_gone(_: Request, exc: ArtifactNotFoundError) -> JSONResponse:
        return JSONResponse(status_code=404, content={"detail": f"artifact file missing: {exc}"})

    @app.exception_handler(JobStateError)
    async def _state(_: Request, exc: JobStateError) -> JSONResponse:
        return JSONResponse(status_code=409, content={"detail": str(exc)})

    @app.exception_handler(IdempotencyConflictError)
    async def _idempotency(_: Request, exc: IdempotencyConflictError) -> JSONResponse:
        return JSONResponse(status_code=409, content={"detail": str(exc)})
