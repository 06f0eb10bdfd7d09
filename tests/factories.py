"""Valid job specs, and sweeps run in this process; each test states only what differs."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np

from api_schemas import JobCreate
from service.api.auth import ANONYMOUS
from service.config import Settings
from service.jobs.store import JobStore, NewJob
from service.sweeps.store import SweepStore
from service.tables import Job
from tests.reference import L1_JOB
from workers.data.datasets import write_idx
from workers.runtime.job_runner import Outcome, WorkerContext, run_job


def job_body(**changes: Any) -> dict[str, Any]:
    """The article's L1 job with top-level keys replaced."""
    body = copy.deepcopy(L1_JOB)
    body.update(changes)
    return body


def create_job(store: JobStore, owner: str = ANONYMOUS, **changes: Any) -> Job:
    """A queued job row, as POST /v1/jobs stores it."""
    spec = JobCreate.model_validate(job_body(**changes))
    return store.create(NewJob(spec, owner, max_seconds=60))


def write_fashion_mnist(
    data_dir: Path, n_train: int = 600, n_test: int = 200, seed: int = 0
) -> Path:
    """Small FashionMNIST-format IDX files: 28x28 uint8 images whose class decides where
    a bright bar sits, plus noise, so that a CNN can learn them in a few epochs."""
    rng = np.random.default_rng(seed)
    folder = data_dir / "fashion_mnist"
    folder.mkdir(parents=True, exist_ok=True)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        labels = rng.integers(0, 10, n).astype(np.uint8)
        images = rng.integers(0, 60, (n, 28, 28)).astype(np.uint8)
        for i, label in enumerate(labels):
            row = 2 + int(label) * 2
            images[i, row : row + 3, 4:24] = 230
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", images)
        write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", labels)
    return folder


def run_trials(settings: Settings, sweep_id: str) -> list[Outcome]:
    """Run each trial of a sweep or comparison in this process, in order, as a worker
    would (the last one aggregates)."""
    ctx = WorkerContext.from_settings(settings)
    return [run_job(ctx, job.id, "w/1") for job in SweepStore(ctx.attempts.engine).trials(sweep_id)]
