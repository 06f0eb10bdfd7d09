"""Real API and worker processes for end-to-end tests, started with the same
commands that docker-compose.yml runs."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import yaml

from service.config import Settings

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def compose_command(service: str) -> list[str]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    command: list[str] = compose["services"][service]["command"]
    return command


def local_command(command: Sequence[str], **flags: str) -> list[str]:
    """A compose command run here: the venv's ``regulab`` and the given flag values."""
    assert command[0] == "regulab", command
    args = list(command[1:])
    for flag, value in flags.items():
        option = f"--{flag}"
        if option in args:
            args[args.index(option) + 1] = value
        else:
            args += [option, value]
    executable = shutil.which("regulab", path=str(Path(sys.executable).parent))
    assert executable, "regulab is not installed in this environment"
    return [executable, *args]


class Process:
    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.log = name, log
        self.handle = log.open("wb")
        self.popen = subprocess.Popen(
            argv, env=env, stdout=self.handle, stderr=subprocess.STDOUT, start_new_session=True
        )

    def __enter__(self) -> Process:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def output(self) -> str:
        if not self.handle.closed:
            self.handle.flush()
        return self.log.read_text(errors="replace")

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> int:
        """Signal the main process (as ``docker stop`` does); kill the group if it hangs."""
        if self.alive():
            self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()
        self.handle.close()
        return self.popen.returncode


def child_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGULAB_")}
    return {**env, **settings.as_env(), "PYTHONUNBUFFERED": "1"}


def wait_for_http(url: str, process: Process, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process.alive():
            raise RuntimeError(f"{process.name} exited:\n{process.output()}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer in {timeout}s:\n{process.output()}")


class Deployment:
    def __init__(self, settings: Settings, base_url: str, processes: dict[str, Process]) -> None:
        self.settings, self.base_url, self.processes = settings, base_url, processes
        self.client = httpx.Client(base_url=base_url, timeout=30)

    def logs(self) -> str:
        return "\n".join(f"--- {n} ---\n{p.output()}" for n, p in self.processes.items())

    def wait_for_job(self, job_id: str, timeout: float = 90) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job: dict[str, Any] = self.client.get(f"/v1/jobs/{job_id}").json()
            if job["status"] in {"succeeded", "failed", "cancelled"}:
                return job
            time.sleep(0.05)
        raise TimeoutError(f"job {job_id} did not finish in {timeout}s:\n{self.logs()}")


@contextmanager
def deployment(
    settings: Settings, workdir: Path, worker_flags: dict[str, str] | None = None
) -> Iterator[Deployment]:
    """The compose file's api and worker commands, as local processes."""
    port = free_port()
    env = child_env(settings)
    api_command = local_command(compose_command("api"), host="127.0.0.1", port=str(port))
    worker_command = local_command(compose_command("worker"), **(worker_flags or {}))
    with (
        Process("api", api_command, env, workdir / "api.log") as api,
        Process("worker", worker_command, env, workdir / "worker.log") as worker,
    ):
        base_url = f"http://127.0.0.1:{port}"
        wait_for_http(f"{base_url}/readyz", api)
        yield Deployment(settings, base_url, {"api": api, "worker": worker})
