"""Map domain exceptions to HTTP answers in one place."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from service.artifacts import ArtifactNotFoundError
from service.jobs.service import BrokerUnavailableError, JobNotFinishedError, JobNotFoundError
from service.jobs.store import InvalidCursorError
from service.jobs.validation import SpecError


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SpecError)
    async def _spec(_: Request, exc: SpecError) -> JSONResponse:
        return JSONResponse(
            status_code=422,
            content={
                "detail": [{"loc": list(exc.loc), "msg": exc.message, "type": "invalid_spec"}]
            },
        )

    @app.exception_handler(JobNotFoundError)
    async def _not_found(_: Request, exc: JobNotFoundError) -> JSONResponse:
        return JSONResponse(status_code=404, content={"detail": f"no such job or artifact: {exc}"})

    @app.exception_handler(ArtifactNotFoundError)
    async def _artifact_gone(_: Request, exc: ArtifactNotFoundError) -> JSONResponse:
        return JSONResponse(status_code=404, content={"detail": f"artifact file missing: {exc}"})

    @app.exception_handler(JobNotFinishedError)
    async def _not_finished(_: Request, exc: JobNotFinishedError) -> JSONResponse:
        return JSONResponse(status_code=409, content={"detail": str(exc)})

    @app.exception_handler(InvalidCursorError)
    async def _cursor(_: Request, exc: InvalidCursorError) -> JSONResponse:
        return JSONResponse(
            status_code=422,
            content={"detail": [{"loc": ["query", "cursor"], "msg": str(exc), "type": "value"}]},
        )

    @app.exception_handler(BrokerUnavailableError)
    async def _broker(_: Request, exc: BrokerUnavailableError) -> JSONResponse:
        return JSONResponse(status_code=503, content={"detail": str(exc)})
