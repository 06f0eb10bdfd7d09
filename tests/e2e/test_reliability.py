"""Promises of the job lifecycle, kept against real processes, real signals and a real
Redis that is stopped and started (each test's own redis-server, on its own port)."""

from __future__ import annotations

import io
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pyarrow.parquet as pq
import pytest

from service.config import Settings
from service.db import make_engine
from service.sweeps.store import SweepStore
from service.task_queue import make_celery, publish_job
from tests.conftest import make_settings
from tests.processes import Deployment, RedisServer, deployment
from tests.reference import L1_JOB

pytestmark = pytest.mark.e2e

#: Small thresholds, as an operator would set them through the environment.
FAST = {
    "heartbeat_seconds": 0.2,
    "stale_after_seconds": 1.5,
    "reaper_interval_seconds": 0.3,
    "republish_after_seconds": 1.0,
    "max_attempts": 2,
}
#: About three seconds in one fit step (a Lasso held to max_iter sweeps; 20,000 rows took
#: nine here), then figures.
LONG_JOB: dict[str, Any] = {
    "dataset": {
        "name": "sparse_regression",
        "params": {"n_samples": 6000, "n_features": 200, "n_informative": 150},
    },
    # About 2 s of coordinate descent (tol 1e-300 runs every iteration).
    "model": {"kind": "linear_regression", "max_iter": 12000, "tol": 1e-300},
    "regularizers": [{"kind": "l1", "alpha": 1e-6}],
    "baseline": False,
}


def fast(settings: Settings, **more: Any) -> Settings:
    return Settings.model_validate({**settings.model_dump(), **FAST, **more})


def submit(d: Deployment, body: dict[str, Any]) -> str:
    response = d.client.post("/v1/jobs", json=body)
    assert response.status_code == 202, response.text
    job_id: str = response.json()["id"]
    return job_id


def wait_until_fitting(d: Deployment, job_id: str) -> dict[str, Any]:
    """Running, with the data loaded: inside the long fit step."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = d.job(job_id)
        if job["status"] == "running" and (job["progress"] or {}).get("step", 0) >= 1:
            return job
        assert job["status"] in {"queued", "running"}, job
        time.sleep(0.05)
    raise TimeoutError(d.logs())


def stages(d: Deployment, job_id: str) -> list[tuple[int, str]]:
    rows = d.client.get(f"/v1/jobs/{job_id}/history").json()["items"]
    return [(row["attempt"], row["data"]["stage"]) for row in rows]


@pytest.fixture(params=["embedded", "services"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    return fast(make_settings(request.param, tmp_path, request))


# -- workers that die, stop, or get the same message twice ---------------------------


@pytest.mark.parametrize("backend", ["embedded", "services", "rabbitmq"], indirect=True)
def test_a_killed_worker_s_job_succeeds_on_a_second_attempt(
    backend: Settings, tmp_path: Path
) -> None:
    with deployment(backend, tmp_path) as d:
        job_id = submit(d, LONG_JOB)
        wait_until_fitting(d, job_id)
        d.processes["worker"].kill_group()
        d.start_worker("worker-2")
        job = d.wait_for(job_id, {"succeeded", "failed"})
        assert (job["status"], job["attempt"]) == ("succeeded", 2), d.logs()
        history = stages(d, job_id)
        assert (1, "load_data") in history and (2, "export") in history
        artifacts = d.client.get(f"/v1/jobs/{job_id}/result").json()["artifacts"]
        assert artifacts and all(a["size"] > 0 for a in artifacts if a["state"] == "ready")


@pytest.mark.parametrize("backend", ["services"], indirect=True)  # one is enough: a minute
def test_a_killed_worker_s_scoring_completes_once_on_a_second_attempt(
    backend: Settings, tmp_path: Path
) -> None:
    from tests.api.test_scorings import HOUSES_JOB, ROWS, many_houses, trained_houses_data

    settings = backend.model_copy(update={"scoring_chunk_rows": 200})  # 500 checkpoints
    with deployment(settings, tmp_path) as d:

        def upload(data: bytes, name: str, **target: str) -> str:
            files = {"file": (f"{name}.csv", data)}
            response = d.client.post("/v1/datasets", files=files, data={"name": name, **target})
            assert response.status_code == 201, response.text
            dataset_id: str = response.json()["id"]
            return dataset_id

        job_id = submit(
            d,
            {
                "dataset": {"id": upload(trained_houses_data(), "houses", target="price")},
                **HOUSES_JOB,
            },
        )
        assert d.wait_for_job(job_id)["status"] == "succeeded", d.logs()
        body = {"dataset": {"id": upload(many_houses(ROWS), "new-houses")}}
        scoring_id = d.client.post(f"/v1/jobs/{job_id}/predictions", json=body).json()["id"]
        deadline = time.monotonic() + 60
        while (d.job(scoring_id, "scorings")["progress"] or {}).get("step", 0) < 1:
            assert time.monotonic() < deadline, d.logs()
            time.sleep(0.02)
        d.processes["worker"].kill_group()
        assert d.job(scoring_id, "scorings")["status"] == "running"  # killed mid-scoring
        d.start_worker("worker-2")
        scoring = d.wait_for(scoring_id, {"succeeded", "failed"}, resource="scorings")
        assert (scoring["status"], scoring["attempt"]) == ("succeeded", 2), d.logs()
        assert scoring["result"]["rows"] == ROWS
        parquet = next(a for a in scoring["artifacts"] if a["name"] == "predictions.parquet")
        rows = pq.read_table(io.BytesIO(d.client.get(parquet["url"]).content)).column("row")
        assert rows.to_pylist() == list(range(ROWS))  # every row once
        assert d.logs().count(f"scoring {scoring_id} attempt") == 1  # one attempt stored


def test_a_job_whose_workers_keep_dying_fails_with_worker_lost(tmp_path: Path) -> None:
    settings = fast(Settings(data_dir=tmp_path / "data"), max_attempts=1)
    from service.migrate import upgrade_database

    upgrade_database(settings)
    with deployment(settings, tmp_path) as d:
        job_id = submit(d, LONG_JOB)
        wait_until_fitting(d, job_id)
        d.processes["worker"].kill_group()
        started = time.monotonic()
        d.start_worker("worker-2")
        job = d.wait_for(job_id, {"succeeded", "failed"})
        assert job["error"]["code"] == "worker_lost", job
        # Never left running longer than the stale threshold plus a reaper round,
        # counted from when a reaper (the new worker's) is up.
        assert time.monotonic() - started < 20


def test_sigterm_hands_the_running_job_back(backend: Settings, tmp_path: Path) -> None:
    with deployment(backend, tmp_path) as d:
        job_id = submit(d, LONG_JOB)
        wait_until_fitting(d, job_id)
        assert d.processes["worker"].stop(signal.SIGTERM, timeout=60) == 0
        job = d.job(job_id)
        assert (job["status"], job["attempt"]) == ("queued", 1), d.logs()
        d.start_worker("worker-2")
        job = d.wait_for(job_id, {"succeeded", "failed"})
        assert (job["status"], job["attempt"]) == ("succeeded", 2), d.logs()
        assert (1, "fit_regularized") in stages(d, job_id)  # the step it finished first


def test_two_workers_and_one_message_twice_fit_once(backend: Settings, tmp_path: Path) -> None:
    with deployment(backend, tmp_path, workers=2) as d:
        job_id = submit(d, L1_JOB)
        publish_job(make_celery(backend), job_id, backend.queue)  # a re-delivery
        job = d.wait_for_job(job_id)
        assert (job["status"], job["attempt"]) == ("succeeded", 1)
        deadline = time.monotonic() + 30
        while "skipping" not in d.logs():
            assert time.monotonic() < deadline, d.logs()
            time.sleep(0.1)
        assert d.logs().count(f"job {job_id} attempt 1 started") == 1
        assert d.job(job_id)["finished_at"] == job["finished_at"]


# -- cancel and time limits -----------------------------------------------------------


def test_cancel_a_queued_job_and_it_never_starts(backend: Settings, tmp_path: Path) -> None:
    with deployment(backend, tmp_path, workers=0) as d:
        job_id = submit(d, L1_JOB)
        assert d.client.post(f"/v1/jobs/{job_id}/cancel").json()["status"] == "cancelled"
        d.start_worker()
        deadline = time.monotonic() + 30
        while f"job {job_id} is not queued" not in d.logs():
            assert time.monotonic() < deadline, d.logs()
            time.sleep(0.1)
        job = d.job(job_id)
        assert (job["status"], job["attempt"], job["started_at"]) == ("cancelled", 0, None)


def test_cancel_a_running_job_stops_it_at_the_next_step(backend: Settings, tmp_path: Path) -> None:
    with deployment(backend, tmp_path) as d:
        job_id = submit(d, LONG_JOB)
        wait_until_fitting(d, job_id)
        response = d.client.post(f"/v1/jobs/{job_id}/cancel")
        assert response.json()["cancel_requested"] is True
        job = d.wait_for(job_id, {"cancelled", "succeeded", "failed"})
        assert job["status"] == "cancelled", job
        # It stopped after the step it was in: the model was never exported.
        assert stages(d, job_id) == [(1, "load_data"), (1, "fit_regularized")]
        assert d.client.get(f"/v1/jobs/{job_id}/result").status_code == 409


def test_a_job_over_max_seconds_fails_with_time_limit(backend: Settings, tmp_path: Path) -> None:
    with deployment(backend, tmp_path) as d:
        job_id = submit(d, {**LONG_JOB, "max_seconds": 1})
        job = d.wait_for(job_id, {"failed", "succeeded"})
        assert job["error"]["code"] == "time_limit", job
        assert "max_seconds=1" in job["error"]["message"]
        assert (1, "load_data") in stages(d, job_id)  # partial history kept


# -- a broker that goes away ----------------------------------------------------------


@pytest.fixture
def redis_backend(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[Settings, RedisServer]]:
    """A redis-server of this test's own, started; it is stopped and started again."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = RedisServer(tmp_path)
    server.start()
    try:
        base = make_settings("services", tmp_path, request)
        yield fast(base, broker_url=server.url), server
    finally:
        server.stop()


def test_a_redis_restart_before_the_job_is_consumed_loses_nothing(
    redis_backend: tuple[Settings, RedisServer], tmp_path: Path
) -> None:
    settings, redis_server = redis_backend
    with deployment(settings, tmp_path, workers=0) as d:
        job_id = submit(d, L1_JOB)
        redis_server.stop()  # the message goes with it
        redis_server.start()
        d.start_worker()
        job = d.wait_for_job(job_id)
        assert (job["status"], job["attempt"]) == ("succeeded", 1), d.logs()


def test_a_publish_that_fails_after_the_commit_is_published_later(
    redis_backend: tuple[Settings, RedisServer], tmp_path: Path
) -> None:
    settings, redis_server = redis_backend
    with deployment(settings, tmp_path, workers=0) as d:
        redis_server.stop()
        started = time.monotonic()
        job_id = submit(d, L1_JOB)  # 202 with the broker down
        assert time.monotonic() - started < 5
        assert d.job(job_id)["status"] == "queued"
        assert d.client.get("/readyz").status_code == 503
        redis_server.start()
        d.start_worker()
        job = d.wait_for_job(job_id)
        assert (job["status"], job["attempt"]) == ("succeeded", 1), d.logs()


def test_a_redis_restart_while_a_job_runs_finishes_it_once(
    redis_backend: tuple[Settings, RedisServer], tmp_path: Path
) -> None:
    settings, redis_server = redis_backend
    with deployment(settings, tmp_path) as d:
        job_id = submit(d, LONG_JOB)
        wait_until_fitting(d, job_id)
        redis_server.stop()
        redis_server.start()
        job = d.wait_for(job_id, {"succeeded", "failed"})
        assert job["status"] == "succeeded", d.logs()
        # One attempt ran to the end; a late duplicate, if any, changes nothing.
        assert [stage for _, stage in stages(d, job_id)].count("export") == 1
        time.sleep(1)
        assert d.job(job_id)["finished_at"] == job["finished_at"]


def test_a_streamed_body_over_the_limit_is_cut_off_with_413(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", max_body_bytes=4096)
    from service.migrate import upgrade_database

    upgrade_database(settings)
    with deployment(settings, tmp_path, workers=0) as d:

        def chunks() -> Iterator[bytes]:
            yield b'{"dataset": {"name": "seed_linear"}, "padding": "'
            for _ in range(1000):
                yield b"x" * 1024

        response = httpx.post(
            f"{d.base_url}/v1/jobs", content=chunks(), headers={"content-type": "application/json"}
        )
        assert response.status_code == 413
        assert d.client.get("/v1/jobs").json()["items"] == []


# -- sweeps ----------------------------------------------------------------------------

LONG_SWEEP: dict[str, Any] = {
    "base": {
        "dataset": {
            "name": "sparse_regression",
            "params": {"n_samples": 12000, "n_features": 200, "n_informative": 150},
        },
        "model": {"kind": "linear_regression", "tol": 1e-8},
        "regularizers": [{"kind": "l1", "alpha": 1.0}],
    },
    "grid": {"alpha": {"logspace": [-5, 2, 100]}},
    "cv": {"folds": 4},
}


def kill_a_worker_holding_a_fold(d: Deployment, sweep_id: str) -> None:
    """SIGKILL whichever worker runs one of the sweep's folds now (the trial's row names
    it: ``regulab-<pid>@host/<pool pid>``); either may have taken them all."""
    trials = SweepStore(make_engine(d.settings))
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        for trial in trials.trials(sweep_id):
            if trial.status == "running" and trial.worker:
                pid = int(trial.worker.split("@")[0].removeprefix("regulab-"))
                [holder] = [p for p in d.processes.values() if p.popen.pid == pid]
                holder.kill_group()
                return
        time.sleep(0.02)
    raise TimeoutError(d.logs())


def test_a_sweep_whose_worker_is_killed_still_counts_every_fold_once(
    backend: Settings, tmp_path: Path
) -> None:
    with deployment(backend, tmp_path, workers=2) as d:
        response = d.client.post("/v1/sweeps", json=LONG_SWEEP)
        assert response.status_code == 202, response.text
        sweep_id = response.json()["id"]
        kill_a_worker_holding_a_fold(d, sweep_id)
        d.start_worker("worker-3")
        deadline = time.monotonic() + 180
        while (sweep := d.client.get(f"/v1/sweeps/{sweep_id}").json())["status"] == "running":
            assert time.monotonic() < deadline, d.logs()
            time.sleep(0.2)
        assert (sweep["status"], sweep["trials_done"]) == ("succeeded", 5), d.logs()
        result = d.client.get(f"/v1/sweeps/{sweep_id}/result").json()
        assert len(result["cv"]["per_fold"]) == 4 and len(result["values"]) == 100
        # The killed worker's fold ran again; no fold's result was counted twice.
        assert d.logs().count("attempt 2 started") >= 1
        assert "sweep" in d.logs() and d.logs().count(f"sweep {sweep_id} succeeded") == 1
