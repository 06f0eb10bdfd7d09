"""Typed dependencies, so route signatures stay one line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from celery import Celery
from fastapi import Depends, Request

from service.artifacts import ArtifactStore
from service.config import Settings
from service.jobs.store import JobStore


@dataclass(frozen=True)
class AppContext:
    """What the API process builds once at start-up."""

    settings: Settings
    jobs: JobStore
    artifacts: ArtifactStore
    celery: Celery

    def publish(self, job_id: str) -> None:
        from service.task_queue import publish_job

        publish_job(self.celery, job_id, self.settings.queue)


async def get_context(request: Request) -> AppContext:
    # async: a plain attribute read should not cost a trip through the threadpool.
    context: AppContext = request.app.state.context
    return context


ContextDep = Annotated[AppContext, Depends(get_context)]
