"""Run one job by id: claim it, train with checkpoints, store the outcome.

This is the domain code the Celery task calls; tests and benchmarks call it too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

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
from workers.files import TrainingOutput
from workers.jobs.scoring import ScoringModel, ScoringOutput, score
from workers.jobs.train import train
from workers.progress import StepCallbacks, StopTrainingError
from workers.runtime.checkpoints import StoreCheckpoint, TimeLimit
from workers.runtime.failures import INTERNAL_ERROR, failure_code, failure_message
from workers.runtime.heartbeat import Heartbeat
from workers.runtime.limits import Deadline, MemoryCeiling
from workers.runtime.metrics import JOB_SECONDS, JOBS
from workers.runtime.outcomes import (
    Outcome,
    fail,
    model_kind,
    stopped,
    store_scoring,
    store_success,
    store_trial,
)
from workers.runtime.uploads import dataset_cache_from_settings, read_uploaded_table
from workers.sweeps.aggregation import finish_sweep
from workers.sweeps.folds import DataSources
from workers.sweeps.results import TrialResult
from workers.sweeps.trials import run_trial

log = logging.getLogger(__name__)

T = TypeVar("T")


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
        return _attempt(ctx, job, train_job, partial(store_success, ctx, job), checkpoint)


def run_sweep_trial(
    ctx: WorkerContext, job: ClaimedJob, callbacks: StepCallbacks, checkpoint: StoreCheckpoint
) -> Outcome:
    """One trial of a sweep or comparison. The worker that ends the last trial
    aggregates the sweep."""
    assert job.sweep_id is not None and job.trial is not None
    sweep, trial = ctx.sweeps.get(job.sweep_id), job.trial
    if sweep is None:
        return fail(ctx, job, "invalid_spec", f"sweep {job.sweep_id} is gone")

    def run() -> TrialResult:
        return run_trial(
            SWEEP_SPEC.validate_python(sweep.spec), trial, data_sources(ctx), callbacks
        )

    with Heartbeat(ctx.attempts, job.id, job.attempt, ctx.settings.heartbeat_seconds):
        outcome = _attempt(ctx, job, run, partial(store_trial, ctx, job), checkpoint)
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
        return _attempt(ctx, job, work, partial(store_scoring, ctx, job), checkpoint)


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
        fail(ctx, job, "time_limit", message)

    try:
        with (
            MemoryCeiling(ctx.settings.max_job_memory_bytes),
            Deadline(job.max_seconds, overrun, kill=ctx.pool_process),
        ):
            value = work()
    except StopTrainingError as stop:
        checkpoint.write_rest()
        return stopped(ctx, job, stop)
    except Exception as exc:
        checkpoint.write_rest()
        code = failure_code(exc)
        if code == INTERNAL_ERROR:
            trial = f"trial {job.trial} of sweep {job.sweep_id}"
            log.exception("%s failed", trial if job.sweep_id else f"job {job.id}")
        return fail(ctx, job, code, failure_message(exc))
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
