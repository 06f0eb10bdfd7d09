"""The article's CNN with dropout 0.5 on FashionMNIST-format files, through HTTP and a
real worker process; and a torch job cancelled between epochs."""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from api_schemas import DatasetRef
from service.config import Settings
from service.migrate import upgrade_database
from tests.factories import write_fashion_mnist
from tests.processes import Deployment, deployment
from workers.data.datasets import load_dataset
from workers.trainers.network_io import load_network, read_metadata

pytestmark = pytest.mark.e2e

ARTICLE_CNN: dict[str, Any] = {
    "dataset": {"name": "fashion_mnist"},
    "model": {"kind": "cnn"},
    "regularizers": [{"kind": "dropout", "rate": 0.5}],
    "training": {"optimizer": "sgd", "lr": 0.01, "momentum": 0.9, "epochs": 3},
}


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("networks")
    # Every epoch written at once: the cancel test counts epochs, and a digits epoch is
    # shorter than REGULAB_CHECKPOINT_SECONDS (tests/workers/runtime/test_checkpoints.py
    # covers steps written together).
    settings = Settings(
        data_dir=folder / "data",
        heartbeat_seconds=0.5,
        stale_after_seconds=5,
        checkpoint_seconds=0,
    )
    upgrade_database(settings)
    write_fashion_mnist(settings.data_dir, n_train=400, n_test=100)
    with deployment(settings, folder) as d:
        yield d


def test_the_article_cnn_with_dropout_on_fashion_mnist_files(running: Deployment) -> None:
    response = running.client.post("/v1/jobs", json=ARTICLE_CNN)
    assert response.status_code == 202, response.text
    job = running.wait_for_job(response.json()["id"], timeout=180)
    assert job["status"] == "succeeded", (job, running.logs())
    job_id = job["id"]
    result = running.client.get(f"/v1/jobs/{job_id}/result").json()
    assert result["n_test"] == 100 and result["coefficients"] is None
    assert result["network"]["epochs_run"] == 3 and result["network"]["device"] == "cpu"
    assert result["baseline"]["network"]["epochs_run"] == 3
    assert result["metrics"]["test"]["accuracy"] > 0.5  # the planted bars are learnable

    history = running.client.get(f"/v1/jobs/{job_id}/history").json()["items"]
    epochs = [row for row in history if row["kind"] == "epoch"]
    assert [row["data"]["epoch"] for row in epochs] == [1, 2, 3]
    for key in ("train_loss", "val_loss", "val_accuracy", "weight_l2", "near_zero_fraction"):
        assert all(key in row["data"] for row in epochs), key
    assert len([row for row in history if row["kind"] == "baseline_epoch"]) == 3

    artifacts = {a["name"]: a for a in result["artifacts"]}
    for name in ("learning_curves.png", "weight_histogram.png", "confusion_matrix.png"):
        image = Image.open(io.BytesIO(running.client.get(artifacts[name]["url"]).content))
        assert image.format == "PNG"
    weights = running.client.get(artifacts["model.safetensors"]["url"]).content
    assert read_metadata(weights)["format"] == "regulab-network-1"
    network = load_network(weights)
    data = load_dataset(DatasetRef(name="fashion_mnist"), running.settings.data_dir)
    assert data.X_test is not None and data.y_test is not None
    accuracy = float(np.mean(network.predict(data.X_test) == data.y_test))
    assert accuracy == pytest.approx(result["metrics"]["test"]["accuracy"])


def test_a_missing_dataset_fails_the_job_saying_where_the_files_go(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    upgrade_database(settings)
    with deployment(settings, tmp_path) as d:
        job_id = d.client.post("/v1/jobs", json=ARTICLE_CNN).json()["id"]
        job = d.wait_for_job(job_id)
        assert job["status"] == "failed"
        assert job["error"]["code"] == "invalid_data"
        assert str(settings.data_dir / "fashion_mnist") in job["error"]["message"]


def test_cancelling_a_torch_job_stops_it_within_one_epoch(running: Deployment) -> None:
    body = {
        "dataset": {"name": "digits"},
        "model": {"kind": "cnn"},
        "training": {"epochs": 500},
        "baseline": False,
    }
    job_id = running.client.post("/v1/jobs", json=body).json()["id"]
    deadline = time.monotonic() + 60
    while (running.job(job_id).get("progress") or {}).get("step", 0) < 3:
        assert time.monotonic() < deadline, running.logs()
        time.sleep(0.05)
    asked_at_step = running.job(job_id)["progress"]["step"]
    running.client.post(f"/v1/jobs/{job_id}/cancel")
    job = running.wait_for(job_id, {"cancelled", "failed", "succeeded"})
    assert job["status"] == "cancelled"
    # Stopped at the end of the epoch it was in (the next checkpoint), history kept.
    assert job["progress"]["step"] <= asked_at_step + 2
    epochs = running.client.get(f"/v1/jobs/{job_id}/history").json()["items"]
    assert len(epochs) == job["progress"]["step"]
