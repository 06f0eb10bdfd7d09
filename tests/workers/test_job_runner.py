"""The code the Celery task calls, run in this process on both real stores."""

from __future__ import annotations

from sqlalchemy import update

from api_schemas import JobCreate, JobStatus
from service.config import Settings
from service.db import transaction
from service.tables import Job
from tests.factories import job_body
from workers.job_runner import Outcome, WorkerContext, run_job


def test_runs_claims_and_stores_results_and_artifacts(settings: Settings) -> None:
    ctx = WorkerContext.from_settings(settings)
    job = ctx.jobs.create(JobCreate.model_validate(job_body()))
    assert run_job(ctx, job.id) is Outcome.succeeded
    done = ctx.jobs.get(job.id, with_artifacts=True)
    assert done is not None and done.status == JobStatus.succeeded and done.result is not None
    assert done.result["estimator"] == "Lasso(alpha=0.2)"
    assert done.started_at is not None and done.finished_at is not None
    for artifact in done.artifacts:
        assert artifact.key == f"jobs/{job.id}/attempt-1/{artifact.name}"
        with ctx.artifacts.open(artifact.key) as stream:
            assert len(stream.read()) == artifact.size


def test_a_second_delivery_does_nothing(settings: Settings) -> None:
    ctx = WorkerContext.from_settings(settings)
    job = ctx.jobs.create(JobCreate.model_validate(job_body()))
    assert run_job(ctx, job.id) is Outcome.succeeded
    first = ctx.jobs.get(job.id)
    assert run_job(ctx, job.id) is Outcome.skipped
    again = ctx.jobs.get(job.id)
    assert first is not None and again is not None
    assert (again.attempt, again.finished_at) == (1, first.finished_at)


def test_a_message_for_a_missing_job_is_skipped(settings: Settings) -> None:
    assert run_job(WorkerContext.from_settings(settings), "no-such-job") is Outcome.skipped


def test_a_spec_that_no_longer_validates_fails_with_a_readable_error(settings: Settings) -> None:
    ctx = WorkerContext.from_settings(settings)
    job = ctx.jobs.create(JobCreate.model_validate(job_body()))
    broken = {**job.spec, "dataset": {"name": "retired_dataset", "params": {}}}
    with transaction(ctx.jobs.sessions) as session:
        session.execute(update(Job).where(Job.id == job.id).values(spec=broken))
    assert run_job(ctx, job.id) is Outcome.failed
    failed = ctx.jobs.get(job.id)
    assert failed is not None and failed.status == JobStatus.failed
    assert failed.error_code == "invalid_spec"
    assert failed.error_message is not None and "retired_dataset" in failed.error_message
