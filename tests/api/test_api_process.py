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
