"""How an attempt ends, and what each ending writes: a job's result and files, a
scoring's, a trial's result; a stop (cancel, hand-back, time limit); a failure.
Every write names the attempt, so one that lost its job (re-queued, deleted) changes
nothing and says ``superseded``."""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import TYPE_CHECKING, assert_never

from api_schemas import JobCreate
from service.jobs.attempts import ClaimedJob, Steps
from workers.files import TrainingOutput, store_files
from workers.jobs.scoring import ScoringOutput
from workers.progress import StopTrainingError
from workers.runtime.figures import draw_figure, planned_figures
from workers.runtime.metrics import FIT_SECONDS
from workers.sweeps.results import TrialResult

if TYPE_CHECKING:
    from workers.runtime.job_runner import WorkerContext

log = logging.getLogger(__name__)


class Outcome(StrEnum):
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"
    handed_back = "handed_back"  # the worker is shutting down; the job is queued again
    skipped = "skipped"  # not queued: another delivery holds or finished it, or cancelled
    superseded = "superseded"  # this attempt lost the job (re-queued by the reaper, deleted)


def model_kind(job: ClaimedJob) -> str:
    """The model a job's spec names (a scoring's or trial's spec may name none)."""
    model = job.spec.get("model")
    return str(model.get("kind")) if isinstance(model, dict) else "none"


def store_success(
    ctx: WorkerContext, job: ClaimedJob, output: TrainingOutput, steps: Steps
) -> Outcome:
    """The result and files, then (``"figures": "eager"``) the figures, drawn after the
    job is succeeded."""
    # The attempt's own folder: a late or duplicate attempt never mixes files with it.
    prefix = f"jobs/{job.id}/attempt-{job.attempt}"
    mode = JobCreate.model_validate(job.spec).figures
    inputs, figures = planned_figures(prefix, output.figures, mode)
    stored = store_files(ctx.artifacts, prefix, output.files, also=inputs)
    if not ctx.attempts.succeed(
        job.id, job.attempt, output.summary.model_dump(mode="json"), stored + figures, steps
    ):
        ctx.artifacts.delete_prefix(prefix)
        log.warning("job %s attempt %d finished after losing the job", job.id, job.attempt)
        return Outcome.superseded
    log.info("job %s attempt %d succeeded", job.id, job.attempt)
    remove_earlier_attempts(ctx, f"jobs/{job.id}", job.attempt)
    FIT_SECONDS.labels(model_kind(job)).observe(output.summary.fit_seconds)
    if mode == "eager":
        for figure in figures:
            draw_figure(ctx.figures, ctx.artifacts, job.id, figure.name)
    return Outcome.succeeded


def store_scoring(
    ctx: WorkerContext, job: ClaimedJob, output: ScoringOutput, steps: Steps
) -> Outcome:
    # Under the scored job's folder, so deleting that job deletes its scorings' files.
    prefix = f"jobs/{job.scores_job_id}/scorings/{job.id}/attempt-{job.attempt}"
    stored = store_files(ctx.artifacts, prefix, output.files)
    result = output.result.model_dump(mode="json")
    if not ctx.attempts.succeed(job.id, job.attempt, result, stored, steps):
        ctx.artifacts.delete_prefix(prefix)
        return Outcome.superseded
    log.info("scoring %s attempt %d succeeded (%d rows)", job.id, job.attempt, output.result.rows)
    remove_earlier_attempts(ctx, f"jobs/{job.scores_job_id}/scorings/{job.id}", job.attempt)
    return Outcome.succeeded


def remove_earlier_attempts(ctx: WorkerContext, folder: str, attempt: int) -> None:
    """What attempts that died part-way wrote (a killed worker cannot clean up): never
    listed, since only the succeeding attempt's files become current, but kept no
    longer than this."""
    for earlier in range(1, attempt):
        ctx.artifacts.delete_prefix(f"{folder}/attempt-{earlier}")


def store_trial(ctx: WorkerContext, job: ClaimedJob, result: TrialResult, steps: Steps) -> Outcome:
    """The trial's result, as JSON, is what the sweep's aggregation reads back."""
    won = ctx.attempts.succeed(job.id, job.attempt, result.model_dump(mode="json"), [], steps)
    return Outcome.succeeded if won else Outcome.superseded


def stopped(ctx: WorkerContext, job: ClaimedJob, stop: StopTrainingError) -> Outcome:
    log.info("job %s attempt %d stopping: %s", job.id, job.attempt, stop)
    match stop.reason:
        case "cancel":
            won = ctx.attempts.cancel_running(job.id, job.attempt)
            return Outcome.cancelled if won else Outcome.superseded
        case "handback":
            # Queued and unpublished: another worker's reaper publishes it within a
            # round. Publishing here could hand it straight back to this worker,
            # which (with the filesystem transport) still consumes while it shuts down.
            won = ctx.attempts.requeue(job.id, job.attempt)
            return Outcome.handed_back if won else Outcome.superseded
        case "time_limit":
            return fail(ctx, job, "time_limit", str(stop))
        case "lost":
            return Outcome.superseded
        case _:
            assert_never(stop.reason)


def fail(ctx: WorkerContext, job: ClaimedJob, code: str, message: str) -> Outcome:
    log.info("job %s attempt %d failed: %s: %s", job.id, job.attempt, code, message)
    won = ctx.attempts.fail(job.id, job.attempt, code, message)
    return Outcome.failed if won else Outcome.superseded
