"""The code the Celery task calls, run in this process on both real stores."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from api_schemas import JobStatus
from api_schemas.sweeps import SWEEP_SPEC
from service.api.auth import ANONYMOUS
from service.artifacts import ArtifactNotFoundError
from service.config import Settings
from service.db import transaction
from service.jobs.store import JobStore, NewJob
from service.tables import Job, Sweep
from tests.factories import create_job, job_body
from workers.runtime.job_runner import Outcome, WorkerContext, run_job


def context(settings: Settings) -> tuple[WorkerContext, JobStore]:
    ctx = WorkerContext.from_settings(settings)
    return ctx, JobStore(ctx.attempts.engine)


def test_runs_claims_and_stores_results_artifacts_and_history(settings: Settings) -> None:
    ctx, jobs = context(settings)
    job = create_job(jobs)
    assert run_job(ctx, job.id, "w/1") is Outcome.succeeded
    done = jobs.get(job.id, with_artifacts=True)
    assert done is not None and done.status == JobStatus.succeeded and done.result is not None
    assert done.result["estimator"] == "Lasso(alpha=0.2)"
    assert done.started_at is not None and done.finished_at is not None
    for artifact in done.artifacts:
        assert artifact.key == f"jobs/{job.id}/attempt-1/{artifact.name}"
        if artifact.state == "ready":
            with ctx.artifacts.open(artifact.key) as stream:
                assert len(stream.read()) == artifact.size
    # Figures are drawn when asked for (tests/workers/runtime/test_figures.py).
    states = {a.name: a.state for a in done.artifacts if a.name.endswith(".png")}
    assert states == {"fit_comparison.png": "available", "coefficients.png": "available"}
    stages = [h.data["stage"] for h in jobs.history(job.id)]
    assert stages == ["load_data", "fit_regularized", "fit_baseline", "export"]
    assert done.progress == {"stage": "export", "step": 4, "total": 4}


def test_files_an_earlier_attempt_left_half_way_go_when_a_later_one_succeeds(
    settings: Settings,
) -> None:
    ctx, jobs = context(settings)
    job = create_job(jobs)
    assert ctx.attempts.claim(job.id, "w/dies") is not None
    ctx.artifacts.put(f"jobs/{job.id}/attempt-1/model.onnx", b"half")  # then SIGKILL
    assert ctx.attempts.requeue(job.id, 1)
    assert run_job(ctx, job.id, "w/2") is Outcome.succeeded
    with pytest.raises(ArtifactNotFoundError):
        ctx.artifacts.open(f"jobs/{job.id}/attempt-1/model.onnx")
    done = jobs.get(job.id, with_artifacts=True)
    assert done is not None and done.attempt == 2
    assert all(a.key.startswith(f"jobs/{job.id}/attempt-2/") for a in done.artifacts)


def test_a_second_delivery_does_nothing(settings: Settings) -> None:
    ctx, jobs = context(settings)
    job = create_job(jobs)
    assert run_job(ctx, job.id, "w/1") is Outcome.succeeded
    first = jobs.get(job.id)
    assert run_job(ctx, job.id, "w/2") is Outcome.skipped
    again = jobs.get(job.id)
    assert first is not None and again is not None
    assert (again.attempt, again.finished_at) == (1, first.finished_at)


def test_a_message_for_a_missing_or_cancelled_job_is_skipped(settings: Settings) -> None:
    ctx, jobs = context(settings)
    assert run_job(ctx, "no-such-job", "w/1") is Outcome.skipped
    job = create_job(jobs)
    jobs.request_cancel(job.id, job.owner)
    assert run_job(ctx, job.id, "w/1") is Outcome.skipped
    cancelled = jobs.get(job.id)
    assert cancelled is not None and (cancelled.status, cancelled.attempt) == ("cancelled", 0)


def test_a_spec_that_no_longer_validates_fails_with_a_readable_error(settings: Settings) -> None:
    ctx, jobs = context(settings)
    job = create_job(jobs)
    broken = {**job.spec, "dataset": {"name": "retired_dataset", "params": {}}}
    with transaction(jobs.sessions) as session:
        session.execute(update(Job).where(Job.id == job.id).values(spec=broken))
    assert run_job(ctx, job.id, "w/1") is Outcome.failed
    failed = jobs.get(job.id)
    assert failed is not None and failed.status == JobStatus.failed
    assert failed.error_code == "invalid_spec"
    assert failed.error_message is not None and "retired_dataset" in failed.error_message


def test_a_trial_whose_sweep_no_longer_validates_fails_the_sweep_with_its_code(
    settings: Settings,
) -> None:
    ctx, _ = context(settings)
    body = {"base": job_body(), "grid": {"alpha": {"values": [0.1, 1.0]}}, "cv": {"folds": 2}}
    spec = SWEEP_SPEC.validate_python({"kind": "sweep", **body})
    sweep, trials = ctx.sweeps.create(spec, NewJob(spec.base, ANONYMOUS, max_seconds=60))
    broken = {**sweep.spec, "base": {**sweep.spec["base"], "dataset": {"name": "retired_dataset"}}}
    with transaction(ctx.sweeps.sessions) as session:
        session.execute(update(Sweep).where(Sweep.id == sweep.id).values(spec=broken))
    assert [run_job(ctx, trial.id, "w/1") for trial in trials] == [Outcome.failed] * 3
    failed = ctx.sweeps.get(sweep.id)
    assert failed is not None and (failed.status, failed.error_code) == ("failed", "invalid_spec")
    assert failed.error_message is not None and failed.error_message.startswith("trial 0: ")
    assert "retired_dataset" in failed.error_message


def test_a_handback_requeues_for_the_reaper_keeping_partial_history(settings: Settings) -> None:
    ctx, jobs = context(settings.model_copy(update={"checkpoint_seconds": 0}))
    job = create_job(jobs)

    # The worker's main process asks for the handback while the job runs.
    original = ctx.attempts.checkpoint

    def checkpoint_then_shutdown(*args: object, **kwargs: object) -> str | None:
        signal = original(*args, **kwargs)  # type: ignore[arg-type]
        ctx.attempts.request_handback("w/")
        return signal

    object.__setattr__(ctx.attempts, "checkpoint", checkpoint_then_shutdown)
    assert run_job(ctx, job.id, "w/1") is Outcome.handed_back
    queued = jobs.get(job.id)
    assert queued is not None and (queued.status, queued.attempt) == ("queued", 1)
    assert queued.published_at is None  # so the next reaper round publishes it
    # Asked during the first stage, it stops after the next one, whose row is kept.
    assert [h.data["stage"] for h in jobs.history(job.id)] == ["load_data", "fit_regularized"]
