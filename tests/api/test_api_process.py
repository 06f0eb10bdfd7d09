from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BODY = {"dataset": {"name": "iris"}, "model": {"kind": "logistic_regression"}}


def test_the_api_process_never_imports_torch_or_scikit_learn(tmp_path: Path) -> None:
    """Build the app, serve requests on every route family, then look at sys.modules."""
    code = f"""
import json, sys
from fastapi.testclient import TestClient
from service.config import Settings
from service.main import create_app
from service.migrate import upgrade_database
settings = Settings(data_dir={str(tmp_path)!r})
upgrade_database(settings)
with TestClient(create_app(settings)) as client:
    job = client.post("/v1/jobs", json={BODY!r})
    assert job.status_code == 202, job.text
    for path in ("/v1/datasets", "/v1/jobs", "/v1/jobs/" + job.json()["id"], "/readyz"):
        assert client.get(path).status_code == 200, path
heavy = ("torch", "sklearn", "matplotlib", "scipy")
print(json.dumps(sorted(m for m in heavy if m in sys.modules)))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_predictions_run_in_the_api_process_without_torch_or_scikit_learn(
    tmp_path: Path,
) -> None:
    """A job trained here (as a worker would), then predicted with by an API process
    whose memory maps are read: onnxruntime, and no torch, scikit-learn or matplotlib."""
    from service.config import Settings
    from service.jobs.store import JobStore
    from service.migrate import upgrade_database
    from tests.factories import create_job
    from workers.runtime.job_runner import Outcome, WorkerContext, run_job

    settings = Settings(data_dir=tmp_path)
    upgrade_database(settings)
    ctx = WorkerContext.from_settings(settings)
    job = create_job(JobStore(ctx.attempts.engine), dataset={"name": "iris"}, model=BODY["model"])
    assert run_job(ctx, job.id, "w/1") is Outcome.succeeded
    code = f"""
import json, os
from fastapi.testclient import TestClient
from service.config import Settings
from service.main import create_app
settings = Settings(data_dir={str(tmp_path)!r})
with TestClient(create_app(settings)) as client:
    body = {{"instances": [[5.1, 3.5, 1.4, 0.2]]}}
    answer = client.post("/v1/jobs/{job.id}/predictions", json=body)
    assert answer.status_code == 200, answer.text
    print(json.dumps(answer.json()["predictions"]))
with open(f"/proc/{{os.getpid()}}/maps") as maps:
    libraries = {{line.split()[-1] for line in maps if ".so" in line}}
print(json.dumps(sorted(libraries)))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    predictions, libraries = (json.loads(line) for line in out.stdout.strip().splitlines()[-2:])
    assert predictions == ["setosa"]
    assert any("onnxruntime" in path for path in libraries)
    heavy = [p for p in libraries if any(n in p for n in ("torch", "sklearn", "matplotlib"))]
    assert heavy == []
