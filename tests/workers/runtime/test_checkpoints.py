"""Steps are written at once when the last write is older than the interval, and
otherwise with the next write or with the attempt's end; stop requests are seen at
each write. On both real stores."""

from __future__ import annotations

import pytest

from service.config import Settings
from service.db import make_engine
from service.jobs.attempts import AttemptStore
from service.jobs.store import JobStore
from tests.factories import create_job
from workers.progress import Step, StopTrainingError
from workers.runtime.checkpoints import StoreCheckpoint


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def running_job(settings: Settings) -> tuple[AttemptStore, JobStore, str]:
    engine = make_engine(settings)
    attempts, jobs = AttemptStore(engine), JobStore(engine)
    job = create_job(jobs)
    assert attempts.claim(job.id, "w/1") is not None
    return attempts, jobs, job.id


def stages(jobs: JobStore, job_id: str) -> list[str]:
    return [h.data["stage"] for h in jobs.history(job_id)]


def step(index: int, name: str) -> Step:
    return Step(index, 3, name)


def test_steps_within_the_interval_wait_for_the_next_write(settings: Settings) -> None:
    attempts, jobs, job_id = running_job(settings)
    clock = Clock()
    checkpoint = StoreCheckpoint(attempts, job_id, 1, interval=0.1, clock=clock)
    checkpoint.on_step_end(step(1, "load_data"))  # the first step: at once
    assert stages(jobs, job_id) == ["load_data"]
    clock.now += 0.05
    checkpoint.on_step_end(step(2, "fit"))  # 50 ms after the last write: held
    assert stages(jobs, job_id) == ["load_data"]
    job = jobs.get(job_id)
    assert job is not None and job.progress == {"stage": "load_data", "step": 1, "total": 3}
    clock.now += 0.06
    checkpoint.on_step_end(step(3, "export"))  # 110 ms: both written, in order
    assert stages(jobs, job_id) == ["load_data", "fit", "export"]
    job = jobs.get(job_id)
    assert job is not None and job.progress == {"stage": "export", "step": 3, "total": 3}


def test_held_steps_go_with_the_result_or_before_a_failure(settings: Settings) -> None:
    attempts, jobs, job_id = running_job(settings)
    checkpoint = StoreCheckpoint(attempts, job_id, 1, interval=60, clock=Clock())
    checkpoint.on_step_end(step(1, "load_data"))
    checkpoint.on_step_end(step(2, "fit"))
    assert attempts.succeed(job_id, 1, {"estimator": "x"}, [], checkpoint.take())
    assert stages(jobs, job_id) == ["load_data", "fit"]

    attempts, jobs, job_id = running_job(settings)
    checkpoint = StoreCheckpoint(attempts, job_id, 1, interval=60, clock=Clock())
    checkpoint.on_step_end(step(1, "load_data"))
    checkpoint.on_step_end(step(2, "fit"))
    checkpoint.write_rest()
    assert stages(jobs, job_id) == ["load_data", "fit"]


def test_a_cancel_is_seen_at_the_next_write(settings: Settings) -> None:
    attempts, jobs, job_id = running_job(settings)
    clock = Clock()
    checkpoint = StoreCheckpoint(attempts, job_id, 1, interval=0.1, clock=clock)
    checkpoint.on_step_end(step(1, "load_data"))
    jobs.request_cancel(job_id, "anonymous")
    checkpoint.on_step_end(step(2, "fit"))  # held: not asked yet
    clock.now += 1
    with pytest.raises(StopTrainingError) as stop:
        checkpoint.on_step_end(step(3, "export"))
    assert stop.value.reason == "cancel"
    assert stages(jobs, job_id) == ["load_data", "fit", "export"]
