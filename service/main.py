"""The FastAPI application. ``create_app(settings)`` builds one; nothing runs at import."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from service.api.auth import ApiKeys
from service.api.body_limit import BodySizeLimit
from service.api.deps import AppContext
from service.api.errors import install_error_handlers
from service.api.routes import comparisons, datasets, health, jobs, sweeps
from service.artifacts import artifact_store_from_settings
from service.config import Settings
from service.datasets.store import DatasetStore
from service.db import make_engine
from service.jobs.policy import Queues, TimeLimits
from service.jobs.store import JobStore
from service.sweeps.store import SweepStore
from service.task_queue import make_celery


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    engine = make_engine(settings)
    context = AppContext(
        settings=settings,
        jobs=JobStore(engine),
        datasets=DatasetStore(engine),
        sweeps=SweepStore(engine),
        artifacts=artifact_store_from_settings(settings),
        celery=make_celery(settings),
        keys=ApiKeys(settings.api_key_list),
        limits=TimeLimits(settings.job_default_max_seconds, settings.job_max_seconds),
        queues=Queues(settings.queue, settings.gpu_queue),
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = FastAPI(
        title="regulab",
        version="0.1.0",
        summary="Train regularized models on request.",
        lifespan=lifespan,
    )
    app.state.context = context
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        uploads={"/v1/datasets": settings.max_upload_bytes},
    )
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(datasets.router)
    app.include_router(jobs.router)
    app.include_router(sweeps.router)
    app.include_router(comparisons.router)
    return app
