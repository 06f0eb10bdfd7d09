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
