"""``regulab up``: API and worker on the embedded default, stopped cleanly by Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from service.config import Settings
from service.db import make_engine
from service.jobs.store import JobStore
from tests.processes import Process, child_env, free_port, wait_for_http
from tests.reference import L2_JOB

pytestmark = pytest.mark.e2e


def processes_using(marker: str) -> list[int]:
    """PIDs whose environment names ``marker`` (our unique data dir)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker.encode() in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def test_up_serves_jobs_and_stops_everything_on_ctrl_c(tmp_path: Path) -> None:
    data_dir = tmp_path / "regulab-up-data"
    port = free_port()
    env = child_env(Settings(data_dir=data_dir))
    up = Process(
        "up",
        [sys.executable, "-m", "service.cli", "up", "--port", str(port)],
        env,
        tmp_path / "up.log",
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for_http(f"{base}/readyz", up)
        job_id = httpx.post(f"{base}/v1/jobs", json=L2_JOB).json()["id"]
        deadline = time.monotonic() + 60
        while (job := httpx.get(f"{base}/v1/jobs/{job_id}").json())["status"] != "succeeded":
            assert job["status"] in {"queued", "running"}, job
            assert time.monotonic() < deadline, up.output()
            time.sleep(0.1)
        assert (data_dir / "regulab.db").exists()
        assert len(processes_using(str(data_dir))) >= 3  # up, api, worker (+ pool)
    finally:
        code = up.stop(signal.SIGINT, timeout=40)
    assert code == 0, up.output()
    assert processes_using(str(data_dir)) == []
    assert "regulab is up" in up.output()


def test_up_refuses_at_once_when_its_port_is_taken(tmp_path: Path) -> None:
    data_dir = tmp_path / "regulab-up-data"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "service.cli", "up", "--port", str(port)],
            env=child_env(Settings(data_dir=data_dir)),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 1, done.stderr
    assert f"127.0.0.1:{port} is already in use" in done.stderr
    assert "regulab is up" not in done.stdout
    assert time.monotonic() - started < 20  # no worker was started and waited for
    assert processes_using(str(data_dir)) == []


#: A network that trains for minutes, with a checkpoint every epoch (about a second: a
#: row per step), so both of an impatient user's Ctrl-Cs land inside one epoch.
LONG_JOB = {
    "dataset": {"name": "digits"},
    "model": {"kind": "mlp", "hidden": [32]},
    "regularizers": [],
    "training": {"epochs": 10_000, "batch_size": 1},
}


@pytest.mark.parametrize("stop", ["ctrl_c_twice", "sigkill_up"])
def test_stopping_up_hands_the_running_job_back(tmp_path: Path, stop: str) -> None:
    """A terminal's Ctrl-C reaches the whole foreground group, twice when the user is
    impatient; a supervisor can also die outright. Either way the worker shuts down warmly
    and the running job is queued again, not left running for the reaper."""
    data_dir = tmp_path / "regulab-up-data"
    settings = Settings(data_dir=data_dir)
    port = free_port()
    up = Process(
        "up",
        [sys.executable, "-m", "service.cli", "up", "--port", str(port)],
        child_env(settings),
        tmp_path / "up.log",
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for_http(f"{base}/readyz", up)
        job_id = httpx.post(f"{base}/v1/jobs", json=LONG_JOB).json()["id"]
        deadline = time.monotonic() + 60
        while httpx.get(f"{base}/v1/jobs/{job_id}").json()["status"] != "running":
            assert time.monotonic() < deadline, up.output()
            time.sleep(0.1)
        if stop == "ctrl_c_twice":
            for _ in range(2):
                os.killpg(up.popen.pid, signal.SIGINT)  # up leads its own group, as in a shell
                time.sleep(0.1)
        else:
            os.kill(up.popen.pid, signal.SIGKILL)
        up.popen.wait(timeout=40)
        deadline = time.monotonic() + 40
        while processes_using(str(data_dir)):
            assert time.monotonic() < deadline, up.output()
            time.sleep(0.2)
    finally:
        up.stop(signal.SIGKILL)
        for pid in processes_using(str(data_dir)):
            os.kill(pid, signal.SIGKILL)
    engine = make_engine(settings)
    job = JobStore(engine).get(job_id)
    engine.dispose()
    assert job is not None and (job.status, job.attempt) == ("queued", 1), up.output()
