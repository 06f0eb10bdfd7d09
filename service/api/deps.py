"""Typed dependencies, so route signatures stay one line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from celery import Celery
from fastapi import Depends, Request
from sqlalchemy import Engine

from service.api.auth import ApiKeys
from service.config import Settings
from service.datasets.service import DatasetService
from service.jobs.service import JobService
from service.predictions.service import PredictionService
from service.sweeps.service import SweepService


@dataclass(frozen=True)
class AppContext:
    """What the API process builds once at start-up: a route calls one verb of one
    service (``ctx.jobs.submit(...)``)."""

    settings: Settings
    engine: Engine
    celery: Celery
    keys: ApiKeys
    jobs: JobService
    sweeps: SweepService
    predictions: PredictionService
    datasets: DatasetService


# async: plain attribute reads should not cost a trip through the threadpool.
async def get_context(request: Request) -> AppContext:
    context: AppContext = request.app.state.context
    return context


ContextDep = Annotated[AppContext, Depends(get_context)]


async def get_caller(request: Request, ctx: ContextDep) -> str:
    """The owner id of the caller (every /v1 route depends on it)."""
    return ctx.keys.owner(request.headers.get("authorization"))


CallerDep = Annotated[str, Depends(get_caller)]
