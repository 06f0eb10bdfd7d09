"""The s3:// artifact store against a real S3 API on loopback (moto's server mode)."""

from __future__ import annotations

import os

import httpx
import pytest

from service import s3_artifacts
from service.artifacts import (
    ArtifactNotFoundError,
    StorageUnavailableError,
    StoredFile,
    artifact_store_from_settings,
    chunks,
)
from service.config import Settings
from service.s3_artifacts import S3ArtifactStore
from tests.object_storage import S3Server
from tests.processes import free_port


@pytest.fixture
def store(s3_server: S3Server, s3_bucket: str) -> S3ArtifactStore:
    return S3ArtifactStore(s3_bucket, "runs/a", endpoint_url=s3_server.endpoint_url)


def test_the_storage_url_picks_the_bucket_prefix_and_endpoint(
    s3_server: S3Server, s3_bucket: str, tmp_path: os.PathLike[str]
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        storage_url=f"s3://{s3_bucket}/some/prefix/",
        s3_endpoint_url=s3_server.endpoint_url,
    )
    store = artifact_store_from_settings(settings)
    assert isinstance(store, S3ArtifactStore)
    store.put("jobs/1/model.onnx", b"onnx")
    assert s3_server.object_keys(s3_bucket) == ["some/prefix/jobs/1/model.onnx"]
    assert not settings.uses_local_storage


def test_put_read_open_and_missing_keys(store: S3ArtifactStore) -> None:
    store.put("jobs/1/attempt-1/result.json", b'{"a": 1}')
    assert store.read("jobs/1/attempt-1/result.json") == b'{"a": 1}'
    store.put("jobs/1/attempt-1/result.json", b'{"a": 2}')  # replaced whole
    assert store.read("jobs/1/attempt-1/result.json") == b'{"a": 2}'
    with pytest.raises(ArtifactNotFoundError):
        store.open("jobs/1/attempt-1/missing.png")
    assert store.local_path("jobs/1/attempt-1/result.json") is None


@pytest.mark.parametrize("key", ["", "/abs", "a/../b", "a/./b", "a//b"])
def test_keys_that_could_escape_the_prefix_are_refused(store: S3ArtifactStore, key: str) -> None:
    with pytest.raises(ValueError, match="invalid artifact key"):
        store.put(key, b"x")


def test_a_download_streams_in_blocks_without_reading_the_whole_object(
    store: S3ArtifactStore,
) -> None:
    data = os.urandom(3 * (1 << 20) + 17)
    store.put("datasets/d/data.parquet", data)
    stream = store.open("datasets/d/data.parquet")
    first = stream.read(1 << 20)
    assert first == data[: 1 << 20]
    # Only about one block has come off the wire so far: the rest is still in the body.
    assert stream.raw._body._raw_stream.tell() <= 2 * (1 << 20)  # type: ignore[attr-defined]
    blocks = [first, *chunks(stream, size=1 << 20)]
    assert b"".join(blocks) == data
    assert [len(b) for b in blocks] == [1 << 20] * 3 + [17]
    assert stream.closed


def test_delete_and_delete_prefix_remove_only_what_they_name(
    store: S3ArtifactStore, s3_server: S3Server, s3_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(s3_artifacts, "DELETE_BATCH", 3)  # several DeleteObjects calls
    for n in range(8):
        store.put(f"jobs/1/attempt-1/f{n}", b"x")
    store.put("jobs/10/attempt-1/f", b"x")  # shares the text "jobs/1", not the folder
    store.put("jobs/2/f", b"x")
    other = S3ArtifactStore(s3_bucket, "runs/b", endpoint_url=s3_server.endpoint_url)
    other.put("jobs/1/f", b"x")

    store.delete("jobs/2/f")
    store.delete("jobs/2/f")  # twice is fine
    store.delete_prefix("jobs/1")
    assert store.keys() == ["jobs/10/attempt-1/f"]
    assert other.keys() == ["jobs/1/f"]
    store.delete_prefix("jobs/nothing-here")


def test_a_presigned_url_serves_the_file_with_its_type_and_name(store: S3ArtifactStore) -> None:
    store.put("jobs/1/attempt-1/model.onnx", b"\x08\x07onnx")
    file = StoredFile("jobs/1/attempt-1/model.onnx", "application/octet-stream", "1-model.onnx")
    url = store.presigned_url(file, seconds=60)
    assert url is not None and "Signature" in url
    response = httpx.get(url or "")
    assert response.status_code == 200
    assert response.content == b"\x08\x07onnx"
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-disposition"] == 'attachment; filename="1-model.onnx"'
    tampered = (url or "").replace("model.onnx", "model.skops")
    assert httpx.get(tampered).status_code == 403


def test_each_process_gets_its_own_client(store: S3ArtifactStore) -> None:
    store.put("k", b"v")
    first = store.client
    pid = os.fork()
    if pid == 0:  # the child: a client of its own, and it works
        code = 0 if store.client is not first and store.read("k") == b"v" else 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert store.client is first


def test_put_many_stores_every_file(store: S3ArtifactStore) -> None:
    files = [(f"jobs/1/attempt-1/f{n}", bytes([n]) * (n + 1)) for n in range(12)]
    store.put_many(files)
    assert sorted(store.keys("jobs/1")) == sorted(k for k, _ in files)
    assert all(store.read(key) == data for key, data in files)
    with pytest.raises(ValueError, match="invalid artifact key"):
        store.put_many([("ok/a", b"1"), ("../escape", b"2")])


def test_a_seekable_reader_fetches_only_the_ranges_read(
    store: S3ArtifactStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = os.urandom(3 * (1 << 20))
    store.put("datasets/d/data.parquet", data)
    ranges: list[str] = []
    get_object = store.client.get_object

    def recording(**params: object) -> object:
        ranges.append(str(params.get("Range")))
        return get_object(**params)

    monkeypatch.setattr(store.client, "get_object", recording)
    with store.open_seekable("datasets/d/data.parquet") as stream:
        stream.seek(-10, os.SEEK_END)
        assert stream.read() == data[-10:]
        stream.seek(100)
        assert stream.read(5) == data[100:105]
    assert len(ranges) == 2 and all(r.startswith("bytes=") for r in ranges)
    with store.open_seekable("datasets/d/data.parquet") as stream:
        stream.seek(len(data) - (1 << 20))
        assert stream.read() == data[-(1 << 20) :]  # the rest, in one GET
    assert len(ranges) == 3
    spans = [r.removeprefix("bytes=").split("-") for r in ranges[:2]]
    assert sum(int(end) - int(start) + 1 for start, end in spans) < 1 << 20
    with pytest.raises(ArtifactNotFoundError):
        store.open_seekable("datasets/missing")


def test_storage_that_does_not_answer_is_storage_unavailable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(s3_artifacts, "RETRIES", 1)
    store = S3ArtifactStore("bucket", endpoint_url=f"http://127.0.0.1:{free_port()}")
    for call in (
        lambda: store.put("a/b", b"x"),
        lambda: store.open("a/b"),
        lambda: store.open_seekable("a/b"),
        lambda: store.delete_prefix("a"),
    ):
        with pytest.raises(StorageUnavailableError):
            call()


def test_a_bucket_that_is_not_there_is_storage_unavailable(s3_server: S3Server) -> None:
    store = S3ArtifactStore("no-such-bucket", endpoint_url=s3_server.endpoint_url)
    with pytest.raises(StorageUnavailableError, match="NoSuchBucket"):
        store.put("a/b", b"x")
