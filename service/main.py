"""The FastAPI application. ``create_app(settings)`` builds one; nothing runs at import."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI

from service.api.auth import ApiKeys
from service.api.body_limit import BodySizeLimit
from service.api.deps import AppContext
from service.api.errors import install_error_handlers
from service.api.metrics import ApiMetrics, RequestMetrics, StoreCollector
from service.api.openapi import install_openapi
from service.api.request_ids import RequestIds
from service.api.routes import (
    dashboard,
    datasets,
    events,
    health,
    jobs,
    predictions,
    registry,
    scorings,
    sweeps,
    webhooks,
)
from service.artifacts import artifact_store_from_settings
from service.config import Settings
from service.datasets.service import DatasetService
from service.datasets.store import DatasetStore
from service.datasets.table_reader import UploadLimits
from service.db import make_engine
from service.events.service import EventService
from service.events.store import EventStore
from service.events.wakeup import EventWakeup, listen_url
from service.jobs.artifacts import JobArtifacts
from service.jobs.figures import FigureStore
from service.jobs.policy import MemoryLimit, Queues, TimeLimits
from service.jobs.service import JobService
from service.jobs.store import JobStore
from service.predictions.cards import ModelCards
from service.predictions.service import PredictionService
from service.predictions.sessions import SessionCache
from service.registry.service import RegistryService
from service.registry.store import RegistryStore
from service.scorings.service import ScoringService
from service.scorings.store import ScoringStore
from service.sweeps.service import SweepService
from service.sweeps.store import SweepStore
from service.task_queue import JobPublisher, make_celery
from service.webhooks.service import WebhookService
from service.webhooks.store import WebhookStore


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    context = build_context(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await context.events.wakeup.close()
        context.engine.dispose()

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
        endings={"predictions": settings.max_prediction_body_bytes},
    )
    app.add_middleware(RequestMetrics, metrics=context.metrics)
    app.add_middleware(RequestIds)
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(dashboard.router)
    app.mount("/ui", dashboard.assets(), name="ui")
    app.include_router(datasets.router)
    app.include_router(jobs.router)
    app.include_router(predictions.router)
    app.include_router(scorings.router)
    app.include_router(registry.router)
    app.include_router(events.router)
    app.include_router(webhooks.router)
    app.include_router(sweeps.router_for(sweeps.SWEEP_ROUTES))
    app.include_router(sweeps.router_for(sweeps.COMPARISON_ROUTES))
    install_openapi(app)
    return app


def build_context(settings: Settings) -> AppContext:
    """The stores, the broker and the services, each built once for the process."""
    engine = make_engine(settings)
    celery = make_celery(settings)
    artifacts = artifact_store_from_settings(settings)
    datasets = DatasetStore(engine)
    event_store = EventStore(engine)
    cards = ModelCards(capacity=4096, trust_seconds=settings.prediction_trust_seconds)
    publisher = JobPublisher(celery)
    metrics = ApiMetrics()
    queues = [settings.queue, settings.gpu_queue, settings.webhook_queue, settings.figure_queue]
    metrics.registry.register(StoreCollector(engine, celery, queues))
    jobs = JobService(
        store=JobStore(engine),
        datasets=datasets,
        artifacts=artifacts,
        publish=publisher,
        limits=TimeLimits(settings.job_default_max_seconds, settings.job_max_seconds),
        queues=Queues(settings.queue, settings.gpu_queue),
        memory=MemoryLimit(settings.max_job_memory_bytes),
        deleted=cards.forget,
    )
    predictions = PredictionService(
        store=jobs.store,
        artifacts=artifacts,
        sessions=SessionCache(artifacts.read, settings.prediction_sessions),
        cards=cards,
        max_rows=settings.max_prediction_rows,
    )
    return AppContext(
        settings=settings,
        engine=engine,
        celery=celery,
        keys=ApiKeys(settings.api_key_list),
        metrics=metrics,
        artifacts=artifacts,
        jobs=jobs,
        job_artifacts=JobArtifacts(
            store=jobs.store,
            figures=FigureStore(engine),
            publish=publisher.figure(settings.figure_queue),
        ),
        sweeps=SweepService(store=SweepStore(engine), jobs=jobs, artifacts=artifacts),
        predictions=predictions,
        scorings=ScoringService(
            jobs=jobs,
            store=ScoringStore(engine),
            datasets=datasets,
            artifacts=artifacts,
            predictions=predictions,
        ),
        datasets=DatasetService(
            store=datasets,
            artifacts=artifacts,
            limits=UploadLimits(
                settings.max_upload_rows,
                settings.max_upload_columns,
                settings.max_upload_decoded_bytes,
            ),
        ),
        registry=RegistryService(store=RegistryStore(engine), predictions=predictions),
        events=EventService(
            store=event_store,
            wakeup=EventWakeup(
                event_store.latest_id, listen_url=listen_url(settings.sqlalchemy_url)
            ),
            retention_days=settings.event_retention_days,
            stream_seconds=settings.event_stream_seconds,
        ),
        webhooks=WebhookService(
            store=WebhookStore(engine),
            allow_private=settings.webhook_allow_private,
            secret_grace=timedelta(hours=settings.webhook_secret_grace_hours),
        ),
    )
