"""Run one job by id: claim it, train with checkpoints, store the outcome.

This is the domain code the Celery task calls; tests and benchmarks call it too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from typing import TypeVar, assert_never

import pyarrow as pa

from api_schemas import JobCreate, TaskType, TrainingSummary
from api_schemas.scorings import ScoringSpec
from api_schemas.sweeps import SWEEP_SPEC
from service import logs
from service.artifacts import ArtifactStore, artifact_store_from_settings
from service.config import Settings
from service.datasets.store import DatasetStore
from service.db import make_engine
from service.jobs.attempts import AttemptStore, ClaimedJob, Steps
from service.jobs.figures import FigureStore
from service.jobs.store import JobStore
from service.jobs.validation import check_job_spec
from service.predictions.service import FILES
from service.sweeps.store import SweepStore
from service.tables import UploadedDataset
from workers.data import downloads
from workers.data.dataset_cache import DatasetCache
from workers.data.splits import DataError
from workers.data.uploads import UploadedTable
from workers.files import TrainingOutput, store_files
from workers.jobs.scoring import ScoringModel, ScoringOutput, score
from workers.jobs.train import train
from workers.progress import StepCallbacks, StopTrainingError
from workers.runtime.checkpoints import StoreCheckpoint, TimeLimit
from workers.runtime.failures import INTERNAL_ERROR, failure_code, failure_message
from workers.runtime.figures import draw_figure, planned_figures
from workers.runtime.heartbeat import Heartbeat
from workers.runtime.limits import Deadline, MemoryCeiling
from workers.runtime.metrics import FIT_SECONDS, JOB_SECONDS, JOBS
from workers.runtime.uploads import dataset_cache_from_settings, read_uploaded_table
from workers.sweeps.aggregation import finish_sweep
from workers.sweeps.folds import DataSources
from workers.sweeps.results import TrialResult
from workers.sweeps.trials import run_trial

log = logging.getLogger(__name__)

T = TypeVar("T")


class Outcome(StrEnum):
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"
    handed_back = "handed_back"  # the worker is shutting down; the job is queued again
    skipped = "skipped"  # not queued: another delivery holds or finished it, or cancelled
    superseded = "superseded"  # this attempt lost the job (re-queued by the reaper, deleted)


@dataclass(frozen=True)
class WorkerContext:
    settings: Settings
    attempts: AttemptStore
    datasets: DatasetStore
    sweeps: SweepStore
    artifacts: ArtifactStore
    figures: FigureStore
    #: Uploaded datasets on this host, where storage is remote (``s3://``).
    dataset_cache: DatasetCache | None = None
    #: In a Celery pool process (which Celery replaces when it dies): a job stuck past
    #: its time limit in native code ends the process (``workers.runtime.limits``).
    pool_process: bool = False

    @classmethod
    def from_settings(cls, settings: Settings, *, pool_process: bool = False) -> WorkerContext:
        downloads.configure(downloads.Downloads.from_settings(settings))
        engine = make_engine(settings)
        return cls(
            settings=settings,
            attempts=AttemptStore(engine),
            datasets=DatasetStore(engine),
            sweeps=SweepStore(engine),
            artifacts=artifact_store_from_settings(settings),
            figures=FigureStore(engine),
            dataset_cache=dataset_cache_from_settings(settings),
            pool_process=pool_process,
        )


def run_job(ctx: WorkerContext, job_id: str, worker: str) -> Outcome:
    job = ctx.attempts.claim(job_id, worker)
    if job is None:
        log.info("job %s is not queued (gone, cancelled or claimed elsewhere); skipping", job_id)
        return Outcome.skipped
    started = time.monotonic()
    with logs.about(job=job_id, try_=job.attempt):
        log.info("job %s attempt %d started on %s", job_id, job.attempt, worker)
        outcome = _run_claimed(ctx, job)
    kind = "trial" if job.sweep_id else "scoring" if job.scores_job_id else "job"
    JOBS.labels(kind, outcome.value).inc()
    JOB_SECONDS.labels(model_kind(job), outcome.value).observe(time.monotonic() - started)
    return outcome


def model_kind(job: ClaimedJob) -> str:
    """The model a job's spec names (a scoring's or trial's spec may name none)."""
    model = job.spec.get("model")
    return str(model.get("kind")) if isinstance(model, dict) else "none"


def _run_claimed(ctx: WorkerContext, job: ClaimedJob) -> Outcome:
    job_id = job.id
    checkpoint = StoreCheckpoint(ctx.attempts, job_id, job.attempt, ctx.settings.checkpoint_seconds)
    callbacks = StepCallbacks([checkpoint, TimeLimit(job.max_seconds)])
    if job.sweep_id is not None:
        return run_sweep_trial(ctx, job, callbacks, checkpoint)
    if job.scores_job_id is not None:
        return run_scoring(ctx, job, callbacks, checkpoint)

    def train_job() -> TrainingOutput:
        spec = JobCreate.model_validate(job.spec)
        return train(spec, ctx.settings.data_dir, callbacks, load_upload(ctx, spec))

    with Heartbeat(ctx.attempts, job_id, job.attempt, ctx.settings.heartbeat_seconds):
        return _attempt(ctx, job, train_job, partial(_store_success, ctx, job), checkpoint)


def run_sweep_trial(
    ctx: WorkerContext, job: ClaimedJob, callbacks: StepCallbacks, checkpoint: StoreCheckpoint
) -> Outcome:
    """One trial of a sweep or comparison. The worker that ends the last trial
    aggregates the sweep."""
    assert job.sweep_id is not None and job.trial is not None
    sweep, trial = ctx.sweeps.get(job.sweep_id), job.trial
    if sweep is None:
        return _fail(ctx, job, "invalid_spec", f"sweep {job.sweep_id} is gone")

    def run() -> TrialResult:
        return run_trial(
            SWEEP_SPEC.validate_python(sweep.spec), trial, data_sources(ctx), callbacks
        )

    with Heartbeat(ctx.attempts, job.id, job.attempt, ctx.settings.heartbeat_seconds):
        outcome = _attempt(ctx, job, run, partial(_store_trial, ctx, job), checkpoint)
    finish_sweep(ctx.sweeps, ctx.artifacts, job.sweep_id)
    return outcome


def run_scoring(
    ctx: WorkerContext, job: ClaimedJob, callbacks: StepCallbacks, checkpoint: StoreCheckpoint
) -> Outcome:
    """Predict an uploaded table with another job's model (``workers.jobs.scoring``)."""

    def work() -> ScoringOutput:
        spec = ScoringSpec.model_validate(job.spec)
        model = scoring_model(ctx, spec)
        row = ctx.datasets.get(spec.dataset.id)
        if row is None:
            raise DataError(f"dataset {spec.dataset.id} was deleted")
        table = uploaded_table(ctx, row)
        return score(model, table, row.target, callbacks, ctx.settings.scoring_chunk_rows)

    with Heartbeat(ctx.attempts, job.id, job.attempt, ctx.settings.heartbeat_seconds):
        return _attempt(ctx, job, work, partial(_store_scoring, ctx, job), checkpoint)


def scoring_model(ctx: WorkerContext, spec: ScoringSpec) -> ScoringModel:
    """The ONNX pipeline of the scored job's model, with what its result says of it."""
    source = JobStore(ctx.attempts.engine).get(spec.job_id, with_artifacts=True)
    if source is None or source.result is None:
        raise DataError(f"job {spec.job_id} is gone or has no result")
    summary = TrainingSummary.model_validate(source.result)
    name = FILES[("onnx", spec.model)]
    artifact = next((a for a in source.artifacts if a.name == name), None)
    if artifact is None or summary.export is None:
        raise DataError(f"job {spec.job_id} has no ONNX file for its {spec.model} model")
    onnx = ctx.artifacts.read(artifact.key)
    return ScoringModel(onnx, summary.export.input, summary.task, summary.classes)


def _attempt(
    ctx: WorkerContext,
    job: ClaimedJob,
    work: Callable[[], T],
    store: Callable[[T, Steps], Outcome],
    checkpoint: StoreCheckpoint,
) -> Outcome:
    """Run an attempt's ``work`` and ``store`` what it returns with the steps
    ``checkpoint`` has not written yet. What the work raises ends the attempt instead
    (after writing those steps): a stop request as it asks, any other exception as a
    failure with the code ``failure_code`` gives it (and, for an internal error, a
    logged traceback).
    The work runs within the job's memory ceiling and deadline (``workers.runtime.limits``).
    """

    def overrun() -> None:
        message = f"the job ran past its max_seconds={job.max_seconds:g} inside native code"
        _fail(ctx, job, "time_limit", message)

    try:
        with (
            MemoryCeiling(ctx.settings.max_job_memory_bytes),
            Deadline(job.max_seconds, overrun, kill=ctx.pool_process),
        ):
            value = work()
    except StopTrainingError as stop:
        checkpoint.write_rest()
        return _stopped(ctx, job, stop)
    except Exception as exc:
        checkpoint.write_rest()
        code = failure_code(exc)
        if code == INTERNAL_ERROR:
            trial = f"trial {job.trial} of sweep {job.sweep_id}"
            log.exception("%s failed", trial if job.sweep_id else f"job {job.id}")
        return _fail(ctx, job, code, failure_message(exc))
    return store(value, checkpoint.take())


def data_sources(ctx: WorkerContext) -> DataSources:
    return DataSources(ctx.settings.data_dir, partial(load_upload, ctx))


def load_upload(ctx: WorkerContext, spec: JobCreate) -> UploadedTable | None:
    """Check the spec again (the catalog may have changed since it was accepted) and read
    the uploaded table it names, if any."""
    row = ctx.datasets.get(spec.dataset.id) if spec.dataset.id else None
    if spec.dataset.id and row is None:
        raise DataError(f"dataset {spec.dataset.id} was deleted")
    check_job_spec(spec, row)
    if row is None:
        return None
    task: TaskType = "classification" if row.task == "classification" else "regression"
    table = uploaded_table(ctx, row)
    return UploadedTable(row.name, table, row.target, task, row.classes, row.content_hash)


def uploaded_table(ctx: WorkerContext, row: UploadedDataset) -> pa.Table:
    return read_uploaded_table(ctx.artifacts, ctx.dataset_cache, row)


def _store_success(
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
    _remove_earlier_attempts(ctx, f"jobs/{job.id}", job.attempt)
    FIT_SECONDS.labels(model_kind(job)).observe(output.summary.fit_seconds)
    if mode == "eager":
        for figure in figures:
            draw_figure(ctx.figures, ctx.artifacts, job.id, figure.name)
    return Outcome.succeeded


def _store_scoring(
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
    _remove_earlier_attempts(ctx, f"jobs/{job.scores_job_id}/scorings/{job.id}", job.attempt)
    return Outcome.succeeded


def _remove_earlier_attempts(ctx: WorkerContext, folder: str, attempt: int) -> None:
    """What attempts that died part-way wrote (a killed worker cannot clean up): never
    listed, since only the succeeding attempt's files become current, but kept no
    longer than this."""
    for earlier in range(1, attempt):
        ctx.artifacts.delete_prefix(f"{folder}/attempt-{earlier}")


def _store_trial(ctx: WorkerContext, job: ClaimedJob, result: TrialResult, steps: Steps) -> Outcome:
    """The trial's result, as JSON, is what the sweep's aggregation reads back."""
    won = ctx.attempts.succeed(job.id, job.attempt, result.model_dump(mode="json"), [], steps)
    return Outcome.succeeded if won else Outcome.superseded


def _stopped(ctx: WorkerContext, job: ClaimedJob, stop: StopTrainingError) -> Outcome:
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
            return _fail(ctx, job, "time_limit", str(stop))
        case "lost":
            return Outcome.superseded
        case _:
            assert_never(stop.reason)


def _fail(ctx: WorkerContext, job: ClaimedJob, code: str, message: str) -> Outcome:
    log.info("job %s attempt %d failed: %s: %s", job.id, job.attempt, code, message)
    won = ctx.attempts.fail(job.id, job.attempt, code, message)
    return Outcome.failed if won else Outcome.superseded
