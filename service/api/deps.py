"""Typed dependencies, so route signatures stay one line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from celery import Celery
from fastapi import Depends, Request

from service.api.auth import ApiKeys
from service.artifacts import ArtifactStore
from service.config import Settings
from service.datasets.store import DatasetStore
from service.jobs.policy import Queues, TimeLimits
from service.jobs.store import JobStore
from service.sweeps.store import SweepStore
from service.task_queue import publish_job


@dataclass(frozen=True)
class AppContext:
    """What the API process builds once at start-up."""

    settings: Settings
    jobs: JobStore
    datasets: DatasetStore
    sweeps: SweepStore
    artifacts: ArtifactStore
    celery: Celery
    keys: ApiKeys
    limits: TimeLimits
    queues: Queues

    def publish(self, job_id: str, queue: str) -> None:
        publish_job(self.celery, job_id, queue)


# async: plain attribute reads should not cost a trip through the threadpool.
async def get_context(request: Request) -> AppContext:
    context: AppContext = request.app.state.context
    return context


ContextDep = Annotated[AppContext, Depends(get_context)]


async def get_caller(request: Request, ctx: ContextDep) -> str:
    """The owner id of the caller (every /v1 route depends on it)."""
    return ctx.keys.owner(request.headers.get("authorization"))


CallerDep = Annotated[str, Depends(get_caller)]
