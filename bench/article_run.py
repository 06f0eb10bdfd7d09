"""The article's FashionMNIST run, timed: its exact job through the service beside its
script run in this process on the same files, and the time to the script's test
accuracy with the service's defaults.

    python -m bench.article_run [--train 6000] [--test 2000]

The data: FashionMNIST-shaped IDX files made here (``--train`` training and ``--test``
test images of ``bench.training_speed.fashion_like``: 28x28, 10 classes; no download),
written where the service reads them (``<data_dir>/fashion_mnist/*.gz``) and where
torchvision's ``FashionMNIST(download=False)`` reads them (``<root>/FashionMNIST/raw``).

1. The article's script as written (its ``Net``, ``ToTensor`` + ``Normalize``,
   DataLoaders of batch 4 with ``num_workers=2``, SGD lr 0.001 momentum 0.9, 5 epochs,
   then test accuracy), in this process: wall time from loading the datasets to the
   accuracy.
2. The same job through the service: the compose file's api and one worker process
   (``--concurrency 1``, so the job gets the CPU's threads, as the script does) on the
   embedded default; ``cnn`` with dropout 0.5, ``training`` as the article's, all rows
   trained on (``validation_fraction`` 0) and one network (``baseline`` false, as the
   script trains one): wall time POST → succeeded.
3. The service's defaults (batch 64, and so on; dropout 0.5, one network), 1, 2, …
   epochs until the job's test accuracy reaches the script's: POST → succeeded of the
   first job that does.
"""

from __future__ import annotations

import argparse
import gzip
import tempfile
import time
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
import torchvision
import torchvision.transforms as T
from torch.utils.data import DataLoader

from bench.training_speed import ArticleNet, fashion_like
from service.config import Settings
from service.migrate import upgrade_database
from tests.processes import Deployment, deployment
from workers.data.datasets import write_idx

FILES = {
    ("train", "images"): "train-images-idx3-ubyte",
    ("train", "labels"): "train-labels-idx1-ubyte",
    ("t10k", "images"): "t10k-images-idx3-ubyte",
    ("t10k", "labels"): "t10k-labels-idx1-ubyte",
}
ARTICLE_TRAINING = {"optimizer": "sgd", "lr": 0.001, "momentum": 0.9, "batch_size": 4}


def write_files(data_dir: Path, root: Path, train: int, test: int) -> None:
    """The same images for the service (gzipped IDX) and for torchvision (raw IDX)."""
    service, raw = data_dir / "fashion_mnist", root / "FashionMNIST" / "raw"
    service.mkdir(parents=True)
    raw.mkdir(parents=True)
    for prefix, (n, seed) in (("train", (train, 1)), ("t10k", (test, 2))):
        images, labels = fashion_like(n, seed)
        for part, array in (("images", images), ("labels", labels.astype("uint8"))):
            name = FILES[(prefix, part)]
            write_idx(service / f"{name}.gz", array)
            with gzip.open(service / f"{name}.gz") as packed:
                (raw / name).write_bytes(packed.read())


def article_script(root: Path) -> tuple[float, float]:
    """The article's script on ``root``'s files: (seconds, test accuracy)."""
    started = time.perf_counter()
    transform = T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,))])
    trainset = torchvision.datasets.FashionMNIST(root, train=True, transform=transform)
    trainloader = DataLoader(trainset, batch_size=4, shuffle=True, num_workers=2)
    testset = torchvision.datasets.FashionMNIST(root, train=False, transform=transform)
    testloader = DataLoader(testset, batch_size=4, shuffle=False, num_workers=2)
    net = ArticleNet()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
    for _ in range(5):
        for inputs, labels in trainloader:
            optimizer.zero_grad()
            F.cross_entropy(net(inputs), labels).backward()  # type: ignore[no-untyped-call]
            optimizer.step()
    correct = total = 0
    with torch.no_grad():
        for images, labels in testloader:
            correct += int((net(images).argmax(1) == labels).sum())
            total += len(labels)
    return time.perf_counter() - started, correct / total


def job(training: dict[str, Any]) -> dict[str, Any]:
    return {
        "dataset": {"name": "fashion_mnist"},
        "model": {"kind": "cnn"},
        "regularizers": [{"kind": "dropout", "rate": 0.5}],
        "training": {"validation_fraction": 0, **training},
        "baseline": False,
    }


def through_service(d: Deployment, body: dict[str, Any]) -> tuple[float, float]:
    """POST → succeeded: (seconds, test accuracy)."""
    started = time.perf_counter()
    job_id = d.client.post("/v1/jobs", json=body).json()["id"]
    done = d.wait_for_job(job_id, timeout=3600)
    seconds = time.perf_counter() - started
    assert done["status"] == "succeeded", (done, d.logs())
    result = d.client.get(f"/v1/jobs/{job_id}/result").json()
    return seconds, float(result["metrics"]["test"]["accuracy"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=6000)
    parser.add_argument("--test", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        settings = Settings(data_dir=folder / "data", log_level="WARNING")
        upgrade_database(settings)
        write_files(settings.data_dir, folder / "torchvision", args.train, args.test)
        script_seconds, target = article_script(folder / "torchvision")
        with deployment(settings, folder, worker_flags={"concurrency": "1"}) as d:
            through_service(d, job({"epochs": 1}))  # the worker's first job loads torch
            service_seconds, accuracy = through_service(d, job({**ARTICLE_TRAINING, "epochs": 5}))
            epochs, reached, default_seconds = 0, 0.0, 0.0
            while reached < target and epochs < 20:
                epochs += 1
                default_seconds, reached = through_service(d, job({"epochs": epochs}))
    samples = args.train * 5
    print(f"the article's run on {args.train} training and {args.test} test images, 5 epochs")
    print(
        f"  article script    {script_seconds:7.1f} s  ({samples / script_seconds:6.0f} "
        f"samples/s)  test accuracy {target:.4f}"
    )
    print(
        f"  service, same job {service_seconds:7.1f} s  ({samples / service_seconds:6.0f} "
        f"samples/s)  test accuracy {accuracy:.4f}"
    )
    print(f"  script / service  {script_seconds / service_seconds:7.2f}x  (goal >= 0.95)")
    print(
        f"  service defaults  {default_seconds:7.1f} s  to {reached:.4f} after {epochs} "
        f"epoch(s): {script_seconds / default_seconds:.1f}x less wall time than the script"
    )


if __name__ == "__main__":
    main()
