"""fashion_mnist on first use: fetched from a mirror (here a server the test starts,
serving generated IDX files), verified, placed whole, fetched once, fetched again when
the file in place is broken, and never half-written by two workers at once."""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from api_schemas import DatasetRef
from service.config import Settings
from service.jobs.store import JobStore
from tests.factories import create_job, write_fashion_mnist
from workers.data import datasets, downloads
from workers.data.datasets import FASHION_FILES, DatasetUnavailableError, load_dataset
from workers.runtime.job_runner import Outcome, WorkerContext, run_job


class Mirror:
    """An HTTP server on loopback serving a folder's files, counting each request."""

    def __init__(self, folder: Path, corrupt: bool = False) -> None:
        self.folder, self.corrupt, self.requests = folder, corrupt, Counter[str]()
        mirror = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                name = self.path.rsplit("/", 1)[-1]
                mirror.requests[name] += 1
                path = mirror.folder / name
                if not path.is_file():
                    self.send_error(404)
                    return
                data = path.read_bytes()
                if mirror.corrupt:
                    data = data[: len(data) // 2]
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/files/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Mirror, dict[str, str]]]:
    """A mirror of generated files and their SHA-256s (the test's own checksums)."""
    folder = write_fashion_mnist(tmp_path / "served", n_train=60, n_test=20)
    sums = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}
    mirror = Mirror(folder)
    yield mirror, sums
    mirror.close()


def policy(mirrors: list[str], sums: dict[str, str], enabled: bool = True) -> downloads.Downloads:
    settings = Settings(
        download_datasets=enabled,
        fashion_mnist_mirrors=",".join(mirrors),
        fashion_mnist_checksums=",".join(f"{n}={d}" for n, d in sums.items()),
    )
    return downloads.Downloads.from_settings(settings)


@pytest.fixture(autouse=True)
def fresh_loads() -> Iterator[None]:
    datasets._load.cache_clear()  # each load reads the folder again
    yield
    datasets._load.cache_clear()
    downloads.configure(downloads.Downloads.from_settings(Settings()))


def load(data_dir: Path) -> datasets.Dataset:
    datasets._load.cache_clear()
    return load_dataset(DatasetRef(name="fashion_mnist"), data_dir)


def test_first_use_downloads_once_and_a_broken_file_is_fetched_again(
    served: tuple[Mirror, dict[str, str]], tmp_path: Path
) -> None:
    mirror, sums = served
    downloads.configure(policy([mirror.url], sums))
    data = load(tmp_path / "data")
    assert data.X.shape == (60, 784) and data.X_test is not None and len(data.X_test) == 20
    assert mirror.requests == Counter(dict.fromkeys(FASHION_FILES.values(), 1))
    load(tmp_path / "data")
    assert sum(mirror.requests.values()) == 4  # in place: not fetched again

    labels = tmp_path / "data" / "fashion_mnist" / "train-labels-idx1-ubyte.gz"
    labels.write_bytes(labels.read_bytes()[:10])  # a truncated file
    again = load(tmp_path / "data")
    assert mirror.requests["train-labels-idx1-ubyte.gz"] == 2
    assert np.array_equal(again.y, data.y)
    folder = tmp_path / "data" / "fashion_mnist"
    assert sorted(p.name for p in folder.iterdir()) == sorted(FASHION_FILES.values())


def test_a_worker_s_first_fashion_mnist_job_downloads_and_trains(
    served: tuple[Mirror, dict[str, str]], embedded_settings: Settings
) -> None:
    mirror, sums = served
    settings = Settings.model_validate(
        {
            **embedded_settings.model_dump(),
            "download_datasets": True,
            "fashion_mnist_mirrors": mirror.url,
            "fashion_mnist_checksums": ",".join(f"{n}={d}" for n, d in sums.items()),
        }
    )
    ctx = WorkerContext.from_settings(settings)  # the worker's settings decide downloads
    store = JobStore(ctx.attempts.engine)
    body = {"model": {"kind": "cnn", "channels": [2], "fc": 8}, "training": {"epochs": 1}}
    for _ in range(2):
        job = create_job(store, dataset={"name": "fashion_mnist"}, regularizers=[], **body)
        assert run_job(ctx, job.id, "w/1") is Outcome.succeeded
    assert sum(mirror.requests.values()) == 4  # the second job found the files in place


def test_a_mirror_that_fails_or_serves_other_bytes_is_passed_over(
    served: tuple[Mirror, dict[str, str]], tmp_path: Path
) -> None:
    mirror, sums = served
    broken = Mirror(mirror.folder, corrupt=True)
    empty = Mirror(tmp_path / "nothing")
    try:
        downloads.configure(policy([empty.url, broken.url, mirror.url], sums))
        assert load(tmp_path / "data").X.shape == (60, 784)
        assert sum(empty.requests.values()) == sum(broken.requests.values()) == 4
        # With only bad mirrors, the job's error says what each did and where files go.
        downloads.configure(policy([empty.url, broken.url], sums))
        with pytest.raises(DatasetUnavailableError) as refused:
            load(tmp_path / "other")
        message = str(refused.value)
        assert "404" in message and "checksum" in message
        assert str(tmp_path / "other" / "fashion_mnist") in message
        assert not (tmp_path / "other" / "fashion_mnist").exists() or not any(
            p.suffix == ".gz" for p in (tmp_path / "other" / "fashion_mnist").iterdir()
        )
    finally:
        broken.close()
        empty.close()


def test_the_published_checksums_refuse_other_files(
    served: tuple[Mirror, dict[str, str]], tmp_path: Path
) -> None:
    mirror, _ = served
    downloads.configure(policy([mirror.url], {}))  # the published MD5s
    with pytest.raises(DatasetUnavailableError, match="expected 8d4fb7e6c68d591d4c3dfef9ec88bf0d"):
        load(tmp_path / "data")


def test_two_workers_fetching_at_once_leave_whole_files(
    served: tuple[Mirror, dict[str, str]], tmp_path: Path
) -> None:
    mirror, sums = served
    downloads.configure(policy([mirror.url], sums))
    folder = tmp_path / "data" / "fashion_mnist"
    with ThreadPoolExecutor(4) as pool:
        paths = list(
            pool.map(
                lambda _: downloads.fetch(
                    folder, "train-images-idx3-ubyte.gz", downloads.current()
                ),
                range(8),
            )
        )
    assert {p.name for p in paths} == {"train-images-idx3-ubyte.gz"}
    digest = hashlib.sha256(paths[0].read_bytes()).hexdigest()
    assert digest == sums["train-images-idx3-ubyte.gz"]
    assert [p.name for p in folder.iterdir()] == ["train-images-idx3-ubyte.gz"]  # no .part left


def test_with_downloads_off_the_error_says_where_the_files_go(tmp_path: Path) -> None:
    downloads.configure(policy(["http://127.0.0.1:9/"], {}, enabled=False))
    with pytest.raises(DatasetUnavailableError) as refused:
        load(tmp_path / "data")
    assert str(tmp_path / "data" / "fashion_mnist") in str(refused.value)
    assert "REGULAB_DOWNLOAD_DATASETS" in str(refused.value)
