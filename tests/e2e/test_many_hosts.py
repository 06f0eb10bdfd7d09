"""More than one machine, run the way it runs: the API and two workers, each with a
data folder of its own and no folder in common, on PostgreSQL, Redis and an S3 API
on loopback (moto's server mode). Every file crosses between them through the bucket.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import load_digits
from sklearn.linear_model import Lasso, Ridge

from regulab_client import Client
from service.config import Settings
from tests.api.test_dataset_uploads import HOUSES
from tests.conftest import make_settings
from tests.e2e.test_reliability import FAST, LONG_JOB, submit, wait_until_fitting
from tests.object_storage import S3Server
from tests.processes import Deployment, deployment, embedded_deployment
from tests.reference import L1_JOB, L2_JOB, article_data
from workers.trainers.network_io import load_network

pytestmark = pytest.mark.e2e

WORKERS = ("worker-a", "worker-b")
MLP_JOB: dict[str, Any] = {
    "dataset": {"name": "digits"},
    "model": {"kind": "mlp", "hidden": [32]},
    "regularizers": [{"kind": "dropout", "rate": 0.2}, {"kind": "l2", "alpha": 1e-4}],
    "training": {"epochs": 3},
}
SWEEP: dict[str, Any] = {
    "base": {
        "dataset": {"name": "sparse_regression", "params": {"n_samples": 3000}},
        "model": {"kind": "linear_regression"},
        "regularizers": [{"kind": "l1", "alpha": 1.0}],
    },
    "grid": {"alpha": {"logspace": [-4, 0, 40]}},
    "cv": {"folds": 6},
}


@pytest.fixture
def hosts(
    request: pytest.FixtureRequest, tmp_path: Path, s3_server: S3Server, s3_bucket: str
) -> Iterator[tuple[Deployment, Path]]:
    """The API (data folder ``api``) and two workers (``worker-a``, ``worker-b``)."""
    base = make_settings("services", tmp_path, request)
    settings = Settings.model_validate(
        {
            **base.model_dump(),
            **FAST,
            "data_dir": tmp_path / "api",
            "storage_url": f"s3://{s3_bucket}/regulab",
            "s3_endpoint_url": s3_server.endpoint_url,
        }
    )
    with deployment(settings, tmp_path, workers=0) as d:
        for name in WORKERS:
            env = {"REGULAB_DATA_DIR": str(tmp_path / name)}
            d.start_worker(name, env=env, concurrency="1")
        yield d, tmp_path


def succeeded(d: Deployment, job_id: str) -> dict[str, Any]:
    job = d.wait_for_job(job_id, timeout=120)
    assert job["status"] == "succeeded", (job, d.logs())
    result: dict[str, Any] = d.client.get(f"/v1/jobs/{job_id}/result").json()
    return result


def download_all(d: Deployment, artifacts: list[dict[str, Any]]) -> dict[str, bytes]:
    """Every file, figures included (drawn on a worker when first asked for)."""
    files = {}
    for artifact in artifacts:
        response = d.client.get(artifact["url"])
        while response.status_code == 202:
            time.sleep(float(response.headers["retry-after"]))
            response = d.client.get(artifact["url"])
        assert response.status_code == 200, (artifact, response.text, d.logs())
        assert len(response.content) > 0
        files[artifact["name"]] = response.content
    return files


def started_on(d: Deployment, job_id: str) -> list[str]:
    """The workers whose log says they started ``job_id``."""
    return [n for n in WORKERS if f"job {job_id} attempt" in d.processes[n].output()]


def test_jobs_uploads_sweeps_and_networks_across_hosts_with_no_shared_folder(
    hosts: tuple[Deployment, Path], s3_server: S3Server, s3_bucket: str
) -> None:
    d, folder = hosts
    X, y = article_data()
    for body, estimator in ((L1_JOB, Lasso(alpha=0.2)), (L2_JOB, Ridge(alpha=1.0))):
        result = succeeded(d, submit(d, body))
        estimator.fit(X, y)
        assert_allclose(np.ravel(result["coefficients"]["coef"]), estimator.coef_, atol=1e-9)
        files = download_all(d, result["artifacts"])
        assert {"model.onnx", "fit_comparison.png"} <= set(files)

    upload = d.client.post(
        "/v1/datasets",
        files={"file": ("houses.csv", HOUSES)},
        data={"name": "houses", "target": "price"},
    )
    assert upload.status_code == 201, upload.text
    dataset = upload.json()
    body = {
        "dataset": {"id": dataset["id"]},
        "model": {"kind": "linear_regression"},
        "regularizers": [{"kind": "l2", "alpha": 1.0}],
    }
    on_upload = submit(d, body)
    download_all(d, succeeded(d, on_upload)["artifacts"])
    [host] = started_on(d, on_upload)
    cached = list((folder / host / "dataset-cache").glob("*.parquet"))
    assert [p.name for p in cached] == [f"{dataset['content_hash']}-{dataset['id']}.parquet"]

    network_id = submit(d, MLP_JOB)
    weights = download_all(d, succeeded(d, network_id)["artifacts"])["model.safetensors"]
    assert load_network(weights).predict(load_digits().data[:5]).shape == (5,)
    onnx = d.client.get(f"/v1/jobs/{network_id}/model", params={"format": "onnx"})
    assert onnx.status_code == 200 and onnx.content

    sweep_id = d.client.post("/v1/sweeps", json=SWEEP).json()["id"]
    deadline = time.monotonic() + 180
    while (sweep := d.client.get(f"/v1/sweeps/{sweep_id}").json())["status"] == "running":
        assert time.monotonic() < deadline, d.logs()
        time.sleep(0.2)
    assert sweep["status"] == "succeeded", (sweep, d.logs())
    sweep_result = d.client.get(f"/v1/sweeps/{sweep_id}/result").json()
    download_all(d, sweep_result["artifacts"])
    folds_by = {n: d.processes[n].output().count("attempt 1 started") for n in WORKERS}
    assert all(folds_by.values()), folds_by  # the folds landed on both workers

    # No process wrote a file where another would have to read it.
    for name in ("api", *WORKERS):
        assert not (folder / name / "artifacts").exists(), name
    assert not (folder / "api" / "dataset-cache").exists()

    jobs = d.client.get("/v1/jobs", params={"limit": 100}).json()["items"]
    assert any(k.startswith("regulab/jobs/") for k in s3_server.object_keys(s3_bucket))
    for job in jobs:
        assert d.client.delete(f"/v1/jobs/{job['id']}").status_code == 204
    assert d.client.delete(f"/v1/datasets/{dataset['id']}").status_code == 204
    assert d.client.delete(f"/v1/sweeps/{sweep_id}").status_code == 204
    assert s3_server.object_keys(s3_bucket) == []


def test_a_worker_killed_mid_job_leaves_it_to_the_other_and_nothing_half_written(
    hosts: tuple[Deployment, Path], s3_server: S3Server, s3_bucket: str
) -> None:
    d, _ = hosts
    job_id = submit(d, LONG_JOB)
    wait_until_fitting(d, job_id)
    [victim] = started_on(d, job_id)
    d.processes[victim].kill_group()
    job = d.wait_for(job_id, {"succeeded", "failed"}, timeout=120)
    assert (job["status"], job["attempt"]) == ("succeeded", 2), d.logs()
    [survivor] = [n for n in WORKERS if n != victim]
    assert f"job {job_id} attempt 2 started" in d.processes[survivor].output()

    listed = d.client.get(f"/v1/jobs/{job_id}/result").json()["artifacts"]
    files = download_all(d, listed)
    keys = [k for k in s3_server.object_keys(s3_bucket) if k.startswith(f"regulab/jobs/{job_id}/")]
    # Every object is the second attempt's, whole: the killed one left nothing behind.
    assert keys and all(k.startswith(f"regulab/jobs/{job_id}/attempt-2/") for k in keys), keys
    for artifact in d.client.get(f"/v1/jobs/{job_id}/result").json()["artifacts"]:
        assert len(files[artifact["name"]]) == artifact["size"]  # figures drawn since


def test_the_cli_and_client_follow_downloads_to_presigned_urls(
    tmp_path: Path, s3_server: S3Server, s3_bucket: str
) -> None:
    """With REGULAB_STORAGE_REDIRECT_DOWNLOADS the bytes come from the bucket, not the
    API: a download answers 307, and what a user runs follows it."""
    storage = {
        "storage_url": f"s3://{s3_bucket}/regulab",
        "s3_endpoint_url": s3_server.endpoint_url,
        "storage_redirect_downloads": True,
    }
    with embedded_deployment(tmp_path / "deploy", **storage) as d:
        job_id = submit(d, {**L1_JOB, "figures": "eager"})
        result = succeeded(d, job_id)
        onnx = d.client.get(f"/v1/jobs/{job_id}/model")
        assert onnx.status_code == 307 and "Signature" in onnx.headers["location"]

        command = Path(sys.executable).with_name("regulab")
        env = {**os.environ, "REGULAB_URL": d.base_url}
        argv = [str(command), "jobs", "artifacts", job_id, "-o", str(tmp_path / "cli")]
        done = subprocess.run(argv, check=False, env=env, capture_output=True, text=True)
        assert done.returncode == 0, (done.stdout, done.stderr)
        with Client(d.base_url) as client:
            client.jobs.get(job_id).artifacts.download(tmp_path / "client")
        for artifact in result["artifacts"]:
            name = artifact["name"]
            redirected = d.client.get(artifact["url"])
            assert redirected.status_code == 307, (name, redirected.text)
            expected = httpx.get(redirected.headers["location"]).content
            assert len(expected) > 0
            assert (tmp_path / "cli" / name).read_bytes() == expected, name
            assert (tmp_path / "client" / name).read_bytes() == expected, name
