"""Typed dependencies, so route signatures stay one line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from celery import Celery
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine

from service.api.auth import ApiKeys
from service.api.metrics import ApiMetrics
from service.artifacts import ArtifactStore
from service.config import Settings
from service.datasets.service import DatasetService
from service.events.service import EventService
from service.jobs.artifacts import JobArtifacts
from service.jobs.service import JobService
from service.predictions.service import PredictionService
from service.registry.service import RegistryService
from service.scorings.service import ScoringService
from service.sweeps.service import SweepService
from service.webhooks.service import WebhookService


@dataclass(frozen=True)
class AppContext:
    """What the API process builds once at start-up: a route calls one verb of one
    service (``ctx.jobs.submit(...)``)."""

    settings: Settings
    engine: Engine
    celery: Celery
    keys: ApiKeys
    metrics: ApiMetrics
    artifacts: ArtifactStore
    jobs: JobService
    job_artifacts: JobArtifacts
    sweeps: SweepService
    predictions: PredictionService
    scorings: ScoringService
    datasets: DatasetService
    registry: RegistryService
    events: EventService
    webhooks: WebhookService


# async: plain attribute reads should not cost a trip through the threadpool.
async def get_context(request: Request) -> AppContext:
    context: AppContext = request.app.state.context
    return context


ContextDep = Annotated[AppContext, Depends(get_context)]


#: ``Authorization: Bearer <key>``, declared in the OpenAPI document (every /v1 operation).
BEARER = HTTPBearer(
    auto_error=False,
    description="An API key. Required when the server has keys (REGULAB_API_KEYS): without "
    "one, or with a wrong one, a /v1 operation answers 401. A server without keys ignores "
    "the header, and every caller is the same anonymous owner.",
)
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)]


async def get_caller(ctx: ContextDep, bearer: BearerDep) -> str:
    """The owner id of the caller (every /v1 route depends on it)."""
    return ctx.keys.owner(None if bearer is None else bearer.credentials)


CallerDep = Annotated[str, Depends(get_caller)]
