"""Artifacts in S3 or an S3-compatible server (MinIO, Ceph, R2), through boto3.

``REGULAB_STORAGE_URL=s3://bucket/prefix`` puts every key under ``prefix/`` in
``bucket``; ``REGULAB_S3_ENDPOINT_URL`` names a server other than AWS, and
credentials come from boto3's usual chain (``AWS_ACCESS_KEY_ID`` …, a profile, an
instance role).

- A PUT is atomic: readers see the whole object or none, so a worker killed mid-write
  leaves nothing half-written.
- ``open`` streams the object's body: a download never holds the whole file.
- The client is made per process (boto3 clients are thread-safe, but a forked pool
  process must not share its parent's sockets).
"""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, BinaryIO

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from service.artifacts import (
    CHUNK_BYTES,
    ArtifactNotFoundError,
    ArtifactStore,
    StorageUnavailableError,
    StoredFile,
    key_parts,
)

#: Tries of each request (boto3's standard mode: throttling and 5xx answers, broken
#: connections), with backoff.
RETRIES = 3
#: Seconds a connection to the store may take to open.
CONNECT_TIMEOUT_SECONDS = 5.0
#: Bytes a seekable reader asks for at a time (a Parquet footer and a page's columns).
SEEKABLE_BLOCK_BYTES = 256 * 1024
#: PUTs ``put_many`` sends at once.
PARALLEL_PUTS = 8
#: DeleteObjects takes at most this many keys a request.
DELETE_BATCH = 1000
_MISSING = {"NoSuchKey", "404", "NotFound"}


@contextmanager
def _answered(key: str) -> Iterator[None]:
    """S3's errors as the store's: a missing key, or storage that is down or refuses
    (after boto3's own retries)."""
    try:
        yield
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code")
        if code in _MISSING:
            raise ArtifactNotFoundError(key) from exc
        raise StorageUnavailableError(f"{code} for {key or 'the bucket'}") from exc
    except BotoCoreError as exc:
        raise StorageUnavailableError(str(exc)) from exc


class _Body(io.RawIOBase):
    """An S3 response body as a raw stream, so it can be buffered like a file."""

    def __init__(self, body: Any) -> None:
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data: bytes = self._body.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()


class _Ranges(io.RawIOBase):
    """An object read by ranged GETs wherever the reader seeks: only the bytes asked
    for cross the network."""

    def __init__(self, fetch: Any, size: int) -> None:
        self._fetch, self._size, self._position = fetch, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        start = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        self._position = max(0, start + offset)
        return self._position

    def readall(self) -> bytes:
        """The rest in one GET (RawIOBase's own would ask 8 KiB at a time)."""
        if self._position >= self._size:
            return b""
        data: bytes = self._fetch(f"bytes={self._position}-{self._size - 1}")
        self._position += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        end = min(self._position + len(buffer), self._size)
        if end <= self._position:
            return 0
        data: bytes = self._fetch(f"bytes={self._position}-{end - 1}")
        buffer[: len(data)] = data
        self._position += len(data)
        return len(data)


class S3ArtifactStore(ArtifactStore):
    def __init__(self, bucket: str, prefix: str = "", endpoint_url: str | None = None) -> None:
        self.bucket, self.prefix, self.endpoint_url = bucket, prefix.strip("/"), endpoint_url
        self._clients: dict[tuple[int, int], Any] = {}
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        """The client of this process, which retries what S3 asks to be retried."""
        return self._client(RETRIES)

    def _client(self, attempts: int) -> Any:
        pid = os.getpid()
        client = self._clients.get((pid, attempts))
        if client is None:
            with self._lock:
                client = self._clients.get((pid, attempts)) or self._make_client(attempts)
                kept = {k: v for k, v in self._clients.items() if k[0] == pid}
                self._clients = kept | {(pid, attempts): client}
        return client

    def _make_client(self, attempts: int) -> Any:
        options: dict[str, Any] = {
            "retries": {"mode": "standard", "max_attempts": attempts},
            "connect_timeout": CONNECT_TIMEOUT_SECONDS,
            "max_pool_connections": 32,
        }
        if self.endpoint_url is not None:
            # S3-compatible servers: bucket in the path, and checksums only where the
            # S3 API requires them (not every server knows the newer CRC headers).
            options |= {
                "s3": {"addressing_style": "path"},
                "request_checksum_calculation": "when_required",
                "response_checksum_validation": "when_required",
            }
        session = boto3.session.Session()
        return session.client("s3", endpoint_url=self.endpoint_url, config=Config(**options))

    def check(self) -> None:
        """The bucket answers (one try: readiness must not wait through retries)."""
        self._client(1).head_bucket(Bucket=self.bucket)

    def _key(self, key: str) -> str:
        joined = "/".join(key_parts(key))
        return f"{self.prefix}/{joined}" if self.prefix else joined

    def put(self, key: str, data: bytes) -> None:
        name = self._key(key)
        with _answered(key):
            self.client.put_object(Bucket=self.bucket, Key=name, Body=data)

    def put_many(self, files: Sequence[tuple[str, bytes]]) -> None:
        """The PUTs side by side: a job's four model files cost one round trip, not four
        (bench/storage_overhead.py)."""
        if len(files) < 2:
            super().put_many(files)
            return
        with ThreadPoolExecutor(min(len(files), PARALLEL_PUTS)) as pool:
            for done in [pool.submit(self.put, key, data) for key, data in files]:
                done.result()

    def open(self, key: str) -> BinaryIO:
        name = self._key(key)
        with _answered(key):
            answer = self.client.get_object(Bucket=self.bucket, Key=name)
        return io.BufferedReader(_Body(answer["Body"]), buffer_size=CHUNK_BYTES)

    def open_seekable(self, key: str) -> BinaryIO:
        name = self._key(key)
        with _answered(key):
            size = int(self.client.head_object(Bucket=self.bucket, Key=name)["ContentLength"])

        def fetch(span: str) -> bytes:
            with _answered(key):
                answer = self.client.get_object(Bucket=self.bucket, Key=name, Range=span)
                body: bytes = answer["Body"].read()
            return body

        return io.BufferedReader(_Ranges(fetch, size), buffer_size=SEEKABLE_BLOCK_BYTES)

    def delete(self, key: str) -> None:
        name = self._key(key)
        with _answered(key):
            self.client.delete_object(Bucket=self.bucket, Key=name)

    def delete_prefix(self, prefix: str) -> None:
        keys = self._keys_under(self._key(prefix) + "/")
        with _answered(prefix):
            for start in range(0, len(keys), DELETE_BATCH):
                batch = [{"Key": k} for k in keys[start : start + DELETE_BATCH]]
                delete = {"Objects": batch, "Quiet": True}
                self.client.delete_objects(Bucket=self.bucket, Delete=delete)

    def _keys_under(self, prefix: str) -> list[str]:
        pages = self.client.get_paginator("list_objects_v2")
        with _answered(prefix):
            return [
                entry["Key"]
                for page in pages.paginate(Bucket=self.bucket, Prefix=prefix)
                for entry in page.get("Contents", [])
            ]

    def keys(self, prefix: str = "") -> list[str]:
        """Every key under ``prefix`` (all with none), relative to the store's own
        prefix: for checks and clean-up."""
        own = f"{self.prefix}/" if self.prefix else ""
        start = self._key(prefix) + "/" if prefix else own
        return [k.removeprefix(own) for k in self._keys_under(start)]

    def presigned_url(self, file: StoredFile, seconds: int) -> str | None:
        params = {
            "Bucket": self.bucket,
            "Key": self._key(file.key),
            "ResponseContentType": file.media_type,
        }
        if file.filename is not None:
            params["ResponseContentDisposition"] = f'attachment; filename="{file.filename}"'
        url: str = self.client.generate_presigned_url(
            "get_object", Params=params, ExpiresIn=seconds
        )
        return url
