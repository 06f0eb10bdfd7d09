"""Logs as an operator searches them: with REGULAB_LOG_FORMAT=json every line of the API
and the worker is one JSON object; a request's X-Request-ID is echoed and carried into
the worker's lines about the job it submitted, with the job's id and attempt."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from service.config import Settings
from service.migrate import upgrade_database
from tests.factories import job_body
from tests.processes import deployment


def lines(log: str) -> list[dict[str, Any]]:
    parsed = []
    for line in log.splitlines():
        if line.strip():
            try:
                parsed.append(json.loads(line))
            except ValueError:
                raise AssertionError(f"not a JSON line: {line!r}\n{log}") from None
    return parsed


def test_json_lines_carry_the_request_and_the_job(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", log_format="json")
    upgrade_database(settings)
    with deployment(settings, tmp_path) as d:
        answer = d.client.post("/v1/jobs", json=job_body(), headers={"X-Request-ID": "trace-42"})
        assert answer.headers["x-request-id"] == "trace-42"
        job_id = answer.json()["id"]
        assert d.wait_for_job(job_id)["status"] == "succeeded"
        made = d.client.get("/healthz").headers["x-request-id"]
        assert len(made) == 32  # none given: one is made
        odd = d.client.get("/healthz", headers={"X-Request-ID": "no spaces allowed"})
        assert odd.headers["x-request-id"] != "no spaces allowed"
        api, worker = d.processes["api"].output(), d.processes["worker"].output()
    api_lines, worker_lines = lines(api), lines(worker)
    assert {"time", "level", "logger", "message"} <= set(api_lines[0])
    about_job = [line for line in worker_lines if line.get("job_id") == job_id]
    assert about_job, worker
    assert all(line["request_id"] == "trace-42" for line in about_job)
    assert {line["attempt"] for line in about_job} == {1}
    assert any("succeeded" in line["message"] for line in about_job)
    assert not [line for line in api_lines + worker_lines if "setup plugin" in line["message"]]
