"""The API and the worker's code on s3:// storage (a real S3 API on loopback), each
with a data folder of its own: every file goes through the bucket, downloads stream
from it or redirect to a presigned URL, and deletes remove the objects."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from service import s3_artifacts
from service.config import Settings
from service.main import create_app
from service.migrate import upgrade_database
from service.s3_artifacts import S3ArtifactStore
from tests.api.test_dataset_uploads import HOUSES
from tests.api.test_sweeps import SWEEP
from tests.factories import job_body, run_trials
from tests.object_storage import S3Server
from tests.processes import free_port
from workers.runtime.job_runner import Outcome, WorkerContext, run_job


def settings_on_s3(folder: Path, server: S3Server, bucket: str, **more: Any) -> Settings:
    return Settings(
        data_dir=folder,
        storage_url=f"s3://{bucket}/regulab",
        s3_endpoint_url=server.endpoint_url,
        **more,
    )


@pytest.fixture
def api_settings(tmp_path: Path, s3_server: S3Server, s3_bucket: str) -> Settings:
    settings = settings_on_s3(tmp_path / "api", s3_server, s3_bucket)
    upgrade_database(settings)
    return settings


@pytest.fixture
def client(api_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(api_settings)) as client:
        yield client


def worker_context(api: Settings, folder: Path) -> WorkerContext:
    """A worker on another host: the same store, broker and bucket, its own folder (the
    embedded SQLite file and broker folder are the one thing these tests share)."""
    settings = api.model_copy(update={"data_dir": folder, "database_url": api.sqlalchemy_url})
    return WorkerContext.from_settings(settings)


def objects(s3_server: S3Server, bucket: str, under: str) -> list[str]:
    return [k for k in s3_server.object_keys(bucket) if k.startswith(f"regulab/{under}/")]


def test_a_job_s_files_are_objects_that_download_and_go_with_the_job(
    client: TestClient, api_settings: Settings, tmp_path: Path, s3_server: S3Server, s3_bucket: str
) -> None:
    job_id = client.post("/v1/jobs", json=job_body(figures="eager")).json()["id"]
    worker = worker_context(api_settings, tmp_path / "worker")
    assert run_job(worker, job_id, "w/1") is Outcome.succeeded
    assert not (tmp_path / "worker" / "artifacts").exists()
    assert not (tmp_path / "api" / "artifacts").exists()

    artifacts = client.get(f"/v1/jobs/{job_id}/result").json()["artifacts"]
    stored = objects(s3_server, s3_bucket, f"jobs/{job_id}")
    assert {a["name"] for a in artifacts} <= {k.rsplit("/", 1)[1] for k in stored}
    for artifact in artifacts:
        response = client.get(artifact["url"])
        assert response.status_code == 200, (artifact, response.text)
        assert len(response.content) == artifact["size"] > 0
        assert response.headers["content-type"].startswith(artifact["media_type"])
    model = client.get(f"/v1/jobs/{job_id}/model", params={"format": "onnx"})
    assert isinstance(worker.artifacts, S3ArtifactStore)
    [key] = [k for k in worker.artifacts.keys(f"jobs/{job_id}") if k.endswith("/model.onnx")]
    assert model.status_code == 200 and model.content == worker.artifacts.read(key)

    assert client.delete(f"/v1/jobs/{job_id}").status_code == 204
    assert objects(s3_server, s3_bucket, f"jobs/{job_id}") == []


def test_downloads_can_redirect_to_presigned_urls(api_settings: Settings, tmp_path: Path) -> None:
    settings = api_settings.model_copy(update={"storage_redirect_downloads": True})
    with TestClient(create_app(settings), follow_redirects=False) as client:
        job_id = client.post("/v1/jobs", json=job_body(figures="eager")).json()["id"]
        assert run_job(worker_context(settings, tmp_path / "w"), job_id, "w/1") is Outcome.succeeded
        answer = client.get(f"/v1/jobs/{job_id}/model", params={"format": "onnx"})
        assert answer.status_code == 307, answer.text
        location = answer.headers["location"]
        assert location.startswith(settings.s3_endpoint_url or "") and "Signature" in location
        followed = httpx.get(location)
        streamed = TestClient(create_app(api_settings)).get(f"/v1/jobs/{job_id}/model")
        assert followed.status_code == 200 and followed.content == streamed.content
        disposition = followed.headers["content-disposition"]
        assert disposition == f'attachment; filename="{job_id}-model.onnx"'
        figure = client.get(f"/v1/jobs/{job_id}/artifacts/fit_comparison.png")
        assert figure.status_code == 307
        png = httpx.get(figure.headers["location"])
        assert png.headers["content-type"] == "image/png" and png.content[:4] == b"\x89PNG"


def test_an_upload_is_an_object_read_once_per_worker_host_and_deleted_with_its_dataset(
    client: TestClient, api_settings: Settings, tmp_path: Path, s3_server: S3Server, s3_bucket: str
) -> None:
    dataset = client.post(
        "/v1/datasets",
        files={"file": ("houses.csv", HOUSES)},
        data={"name": "h", "target": "price"},
    ).json()
    assert objects(s3_server, s3_bucket, f"datasets/{dataset['id']}") == [
        f"regulab/datasets/{dataset['id']}/data.parquet"
    ]
    preview = client.get(f"/v1/datasets/{dataset['id']}/preview", params={"rows": 2})
    assert preview.status_code == 200, preview.text  # read by ranges from the bucket
    assert len(preview.json()["rows"]) == 2 and "price" in preview.json()["columns"]
    worker = worker_context(api_settings, tmp_path / "worker")
    assert worker.dataset_cache is not None
    fetched: list[str] = []
    original = worker.artifacts.open
    worker.artifacts.open = lambda key: fetched.append(key) or original(key)  # type: ignore[method-assign]
    body = {
        "dataset": {"id": dataset["id"]},
        "model": {"kind": "linear_regression"},
        "regularizers": [{"kind": "l2", "alpha": 1.0}],
        "figures": "none",
    }
    for _ in range(2):
        job_id = client.post("/v1/jobs", json=body).json()["id"]
        assert run_job(worker, job_id, "w/1") is Outcome.succeeded
    assert fetched == [f"datasets/{dataset['id']}/data.parquet"]  # once for both jobs
    cached = list((tmp_path / "worker" / "dataset-cache").iterdir())
    assert [p.name for p in cached] == [f"{dataset['content_hash']}-{dataset['id']}.parquet"]

    for job in client.get("/v1/jobs").json()["items"]:
        client.delete(f"/v1/jobs/{job['id']}")
    assert client.delete(f"/v1/datasets/{dataset['id']}").status_code == 204
    assert objects(s3_server, s3_bucket, f"datasets/{dataset['id']}") == []


def test_a_sweep_s_files_are_objects_and_go_with_the_sweep(
    client: TestClient, api_settings: Settings, s3_server: S3Server, s3_bucket: str
) -> None:
    body = {**SWEEP, "grid": {"alpha": {"logspace": [-3, 0, 4]}}, "cv": {"folds": 2}}
    sweep_id = client.post("/v1/sweeps", json=body).json()["id"]
    assert set(run_trials(api_settings, sweep_id)) == {Outcome.succeeded}
    sweep = client.get(f"/v1/sweeps/{sweep_id}/result").json()
    assert sweep["artifacts"]
    for artifact in sweep["artifacts"]:
        response = client.get(artifact["url"])
        assert response.status_code == 200 and response.content[:4] == b"\x89PNG"
    assert objects(s3_server, s3_bucket, f"sweeps/{sweep_id}")
    assert client.delete(f"/v1/sweeps/{sweep_id}").status_code == 204
    assert objects(s3_server, s3_bucket, f"sweeps/{sweep_id}") == []


def test_storage_that_does_not_answer_is_a_503_and_nothing_is_half_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(s3_artifacts, "RETRIES", 1)
    settings = Settings(
        data_dir=tmp_path,
        storage_url="s3://bucket/regulab",
        s3_endpoint_url=f"http://127.0.0.1:{free_port()}",
    )
    upgrade_database(settings)
    with TestClient(create_app(settings)) as client:
        files, form = {"file": ("houses.csv", HOUSES)}, {"name": "h", "target": "price"}
        response = client.post("/v1/datasets", files=files, data=form)
        assert response.status_code == 503, response.text
        assert response.json()["detail"].startswith("file storage unavailable: ")
        listed = client.get("/v1/datasets").json()["items"]
        assert [d for d in listed if d["source"] == "upload"] == []
        assert client.get("/readyz").json()["checks"]["storage"].startswith("unreachable")
