"""A worker's metrics as Prometheus scrapes them: ``regulab worker --metrics-port`` with
the compose file's two pool processes, whose samples the main process serves summed."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from service.config import Settings
from service.migrate import upgrade_database
from tests.factories import job_body
from tests.processes import deployment, free_port


def scrape(port: int) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_a_worker_serves_its_pool_processes_metrics(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", reaper_interval_seconds=0.5)
    upgrade_database(settings)
    port = free_port()
    with deployment(settings, tmp_path, worker_flags={"metrics-port": str(port)}) as d:
        for _ in range(3):
            job = d.wait_for_job(d.client.post("/v1/jobs", json=job_body()).json()["id"])
            assert job["status"] == "succeeded", d.logs()
        figure = d.client.get(f"/v1/jobs/{job['id']}/artifacts/coefficients.png")
        assert figure.status_code == 200
        deadline = time.monotonic() + 30
        while True:
            found = scrape(port)
            ran = found.get(
                (
                    "regulab_worker_jobs_total",
                    frozenset({"kind": "job", "outcome": "succeeded"}.items()),
                )
            )
            if ran == 3 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
    assert ran == 3, found
    model = frozenset({"model": "linear_regression", "outcome": "succeeded"}.items())
    assert found[("regulab_job_duration_seconds_count", model)] == 3
    fit = frozenset({"model": "linear_regression"}.items())
    assert found[("regulab_fit_seconds_count", fit)] == 3
    assert found[("regulab_figures_drawn_total", frozenset({"outcome": "ready"}.items()))] == 1
    assert ("regulab_oldest_heartbeat_age_seconds", frozenset()) in found


def test_a_metrics_port_in_use_is_logged_and_the_worker_goes_on(tmp_path: Path) -> None:
    """Two workers on one host given the same port: the second says so, and its reaper
    and its jobs run all the same."""
    settings = Settings(data_dir=tmp_path / "data", reaper_interval_seconds=0.3)
    upgrade_database(settings)
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with deployment(settings, tmp_path, worker_flags={"metrics-port": str(port)}) as d:
            job = d.wait_for_job(d.client.post("/v1/jobs", json=job_body()).json()["id"])
            assert job["status"] == "succeeded", d.logs()
            deadline = time.monotonic() + 10
            while not (tmp_path / "worker.alive").exists():  # the reaper's first round
                assert time.monotonic() < deadline, d.logs()
                time.sleep(0.1)
            assert f"worker metrics NOT served: port {port}" in d.logs()
            assert "Traceback" not in d.processes["worker"].output()
