"""Run one job by id: claim it, train, store the result, or record why it failed.

This is the domain code the Celery task calls; tests and benchmarks call it too.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from enum import StrEnum

from pydantic import ValidationError

from api_schemas import JobCreate
from service.artifacts import ArtifactStore, artifact_store_from_settings
from service.config import Settings
from service.db import make_engine
from service.jobs.store import JobStore, StoredArtifact
from service.jobs.validation import SpecError, check_job_spec
from workers.trainers.linear import DataError
from workers.training import train

log = logging.getLogger(__name__)


class Outcome(StrEnum):
    succeeded = "succeeded"
    failed = "failed"
    skipped = "skipped"  # not queued any more: another delivery holds or finished it
    superseded = "superseded"  # finished, but another attempt holds the job now


@dataclass(frozen=True)
class WorkerContext:
    settings: Settings
    jobs: JobStore
    artifacts: ArtifactStore
    name: str

    @classmethod
    def from_settings(cls, settings: Settings) -> WorkerContext:
        return cls(
            settings=settings,
            jobs=JobStore(make_engine(settings)),
            artifacts=artifact_store_from_settings(settings),
            name=f"{socket.gethostname()}:{os.getpid()}",
        )


def run_job(ctx: WorkerContext, job_id: str) -> Outcome:
    attempt = ctx.jobs.claim(job_id, ctx.name)
    if attempt is None:
        log.info("job %s is not queued (gone or claimed by another delivery); skipping", job_id)
        return Outcome.skipped
    job = ctx.jobs.get(job_id)
    assert job is not None
    log.info("job %s attempt %d started", job_id, attempt)
    try:
        spec = JobCreate.model_validate(job.spec)
        check_job_spec(spec)
        output = train(spec)
    except (ValidationError, SpecError) as exc:
        return _fail(ctx, job_id, attempt, "invalid_spec", str(exc))
    except DataError as exc:
        return _fail(ctx, job_id, attempt, "invalid_data", str(exc))
    except Exception as exc:
        log.exception("job %s failed", job_id)
        return _fail(ctx, job_id, attempt, "internal_error", f"{type(exc).__name__}: {exc}")

    prefix = f"jobs/{job_id}/attempt-{attempt}"
    stored = []
    for file in output.files:
        key = f"{prefix}/{file.name}"
        ctx.artifacts.put(key, file.data)
        stored.append(StoredArtifact(file.name, file.media_type, key, len(file.data)))
    if not ctx.jobs.succeed(job_id, attempt, output.summary.model_dump(mode="json"), stored):
        ctx.artifacts.delete_prefix(prefix)
        log.warning("job %s attempt %d finished after losing the job; dropped", job_id, attempt)
        return Outcome.superseded
    log.info("job %s attempt %d succeeded", job_id, attempt)
    return Outcome.succeeded


def _fail(ctx: WorkerContext, job_id: str, attempt: int, code: str, message: str) -> Outcome:
    log.info("job %s attempt %d failed: %s: %s", job_id, attempt, code, message)
    return Outcome.failed if ctx.jobs.fail(job_id, attempt, code, message) else Outcome.superseded
