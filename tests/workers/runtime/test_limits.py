"""A job's memory ceiling and deadline, on their own and around real jobs."""

from __future__ import annotations

import resource
import signal
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

from api_schemas import JobCreate, JobStatus
from service.api.auth import ANONYMOUS
from service.config import Settings
from service.jobs.store import JobStore, NewJob
from tests.factories import create_job, job_body
from workers.progress import StopTrainingError
from workers.runtime.job_runner import Outcome, WorkerContext, run_job
from workers.runtime.limits import Deadline, JobOutOfMemoryError, MemoryCeiling

MiB = 2**20


def test_an_allocation_past_the_ceiling_fails_inside_the_job_and_the_limit_is_restored() -> None:
    before = resource.getrlimit(resource.RLIMIT_AS)
    refused = pytest.raises(JobOutOfMemoryError, match="REGULAB_MAX_JOB_MEMORY_BYTES")
    with refused, MemoryCeiling(64 * MiB):
        np.ones(2048 * MiB, dtype=np.uint8)
    assert resource.getrlimit(resource.RLIMIT_AS) == before
    assert np.ones(2048 * MiB, dtype=np.uint8)[-1] == 1  # the process may grow again


def test_what_fits_under_the_ceiling_runs() -> None:
    with MemoryCeiling(256 * MiB):
        assert int(np.ones(64 * MiB, dtype=np.uint8).sum()) == 64 * MiB


def test_the_alarm_stops_a_step_at_max_seconds() -> None:
    handler, (timer, _) = signal.getsignal(signal.SIGALRM), signal.getitimer(signal.ITIMER_REAL)
    started = time.monotonic()
    with pytest.raises(StopTrainingError) as stopped, Deadline(0.3, lambda: None):
        while True:  # one long step, with no checkpoint to stop at
            sum(range(10_000))
    assert stopped.value.reason == "time_limit"
    assert time.monotonic() - started < 5
    assert signal.getsignal(signal.SIGALRM) is handler  # pytest-timeout's, put back
    assert (signal.getitimer(signal.ITIMER_REAL)[0] > 0) == (timer > 0)


def test_the_alarm_waits_for_the_store_to_finish_its_query() -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine("sqlite://")
    with engine.connect() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x)")
        slow = text(
            "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 3000000)"
            " SELECT count(*) FROM c"
        )
        counted = []
        with pytest.raises(StopTrainingError), Deadline(0.05, lambda: None):
            counted.append(connection.execute(slow).scalar())  # longer than the limit
            while True:
                sum(range(1000))
        assert counted == [3000000]  # the query was not interrupted: the loop was


def test_the_watchdog_ends_a_job_that_no_alarm_reaches() -> None:
    overran = threading.Event()

    def stuck() -> None:  # not the main thread: no alarm, as in native code
        with Deadline(0.2, overran.set):
            overran.wait(10)

    thread = threading.Thread(target=stuck)
    thread.start()
    thread.join(10)
    assert overran.is_set()


def test_the_watchdog_kills_a_pool_process_it_cannot_stop() -> None:
    script = textwrap.dedent(
        """
        import signal, time
        from workers.runtime.limits import Deadline
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})  # as if in native code
        with Deadline(0.2, lambda: print("overrun", flush=True), kill=True):
            time.sleep(30)
        """
    )
    command = [sys.executable, "-c", script]
    done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=60)
    assert done.returncode == -signal.SIGKILL
    assert done.stdout.strip() == "overrun"


def test_a_job_past_its_memory_fails_out_of_memory_and_the_process_goes_on(
    settings: Settings,
) -> None:
    # Stored directly, as if the API's admission check had let it through: 65536 x 65536
    # float32 weights are 16 GiB.
    ctx = WorkerContext.from_settings(settings.model_copy(update={"max_job_memory_bytes": 2**28}))
    jobs = JobStore(ctx.attempts.engine)
    huge = create_job(
        jobs,
        dataset={"name": "digits"},
        model={"kind": "mlp", "hidden": [65536, 65536]},
        regularizers=[],
        training={"epochs": 1},
    )
    assert run_job(ctx, huge.id, "w/1") is Outcome.failed
    failed = jobs.get(huge.id)
    assert failed is not None and failed.status == JobStatus.failed
    assert failed.error_code == "out_of_memory", failed.error_message
    assert "model.hidden" in (failed.error_message or "")
    assert failed.attempt == 1  # failed, not handed to another attempt

    small = create_job(jobs)
    assert run_job(ctx, small.id, "w/1") is Outcome.succeeded


def test_max_seconds_ends_a_job_inside_its_step(settings: Settings) -> None:
    ctx = WorkerContext.from_settings(settings)
    jobs = JobStore(ctx.attempts.engine)
    # One epoch of batch_size 1 over 200,000 rows runs far longer than the limit, and
    # the between-steps check would only see it at the epoch's end.
    body = job_body(
        dataset={"name": "sparse_regression", "params": {"n_samples": 200_000}},
        model={"kind": "mlp", "hidden": [8]},
        regularizers=[],
        training={"epochs": 1, "batch_size": 1, "validation_fraction": 0},
    )
    job = jobs.create(NewJob(JobCreate.model_validate(body), ANONYMOUS, max_seconds=6))
    assert run_job(ctx, job.id, "w/1") is Outcome.failed
    failed = jobs.get(job.id)
    assert failed is not None and failed.error_code == "time_limit"
    assert failed.started_at is not None and failed.finished_at is not None
    ran = (failed.finished_at - failed.started_at).total_seconds()
    assert ran <= 6 * 1.1, f"a 6 s limit ended after {ran:.2f} s"
