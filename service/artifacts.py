"""Artifact storage behind one seam: a local folder (``file://``) or object storage
(``s3://``, ``service.s3_artifacts``).

Keys are relative paths such as ``jobs/<id>/attempt-1/coefficients.png``. The
store is chosen from ``REGULAB_STORAGE_URL`` by ``artifact_store_from_settings``.
Every file a worker hands to the API, and every upload the API hands to a worker,
goes through it: no process needs a folder another one writes.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit
from urllib.request import url2pathname

from service.config import Settings


class ArtifactNotFoundError(KeyError):
    pass


class StorageUnavailableError(ConnectionError):
    """The file storage did not answer, or refused (503 from the API; a job fails with
    ``storage_unavailable``)."""


@dataclass(frozen=True)
class StoredFile:
    """A file to download: where it is, what it is, and the name to save it as."""

    key: str
    media_type: str
    filename: str | None = None


def key_parts(key: str) -> tuple[str, ...]:
    """The parts of a relative key; raises ValueError on an absolute path, ``..`` or ``.``."""
    parts = tuple(key.split("/"))
    if any(p in {"", ".", ".."} or "\\" in p for p in parts):
        raise ValueError(f"invalid artifact key {key!r}")
    return parts


class ArtifactStore(ABC):
    @abstractmethod
    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key``; readers never see a partial file."""

    def put_many(self, files: Sequence[tuple[str, bytes]]) -> None:
        """``put`` each (key, data); a store over the network sends them at once."""
        for key, data in files:
            self.put(key, data)

    @abstractmethod
    def open(self, key: str) -> BinaryIO:
        """A binary stream of the artifact; raises ArtifactNotFoundError."""

    def open_seekable(self, key: str) -> BinaryIO:
        """A stream that can also seek, for readers that jump (a Parquet footer, then
        the columns asked for) without reading the whole file."""
        return self.open(key)

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove one artifact, if it is there."""

    @abstractmethod
    def delete_prefix(self, prefix: str) -> None:
        """Remove every artifact whose key starts with ``prefix/``."""

    def read(self, key: str) -> bytes:
        """The whole artifact (for small files: a model, a JSON)."""
        with self.open(key) as stream:
            return stream.read()

    @abstractmethod
    def check(self) -> None:
        """Raise when the store cannot be used (for readiness)."""

    def local_path(self, key: str) -> Path | None:
        """The artifact's path when it is a file on this host (no copy needed), else None."""
        return None

    def presigned_url(self, file: StoredFile, seconds: int) -> str | None:
        """A URL that serves the file to whoever holds it for ``seconds``, where the
        store can make one; None where it cannot (a local folder)."""
        return None


class LocalArtifactStore(ArtifactStore):
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*key_parts(key))

    def local_path(self, key: str) -> Path | None:
        return self._path(key)

    def check(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise PermissionError(f"{self.root} is not writable")

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def open(self, key: str) -> BinaryIO:
        try:
            return self._path(key).open("rb")
        except FileNotFoundError as exc:
            raise ArtifactNotFoundError(key) from exc

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def delete_prefix(self, prefix: str) -> None:
        shutil.rmtree(self._path(prefix), ignore_errors=True)


#: Bytes a download sends at a time.
CHUNK_BYTES = 1 << 20


def chunks(stream: BinaryIO, size: int = CHUNK_BYTES) -> Iterator[bytes]:
    """The stream in blocks of ``size`` bytes, closed at the end. (Iterating a file
    yields lines: a 100,000-row CSV went out as 100,000 chunks, 60 s through a test
    client.)"""
    with stream:
        while block := stream.read(size):
            yield block


def artifact_store_from_settings(settings: Settings) -> ArtifactStore:
    """The store ``REGULAB_STORAGE_URL`` names (file:// by default)."""
    url = urlsplit(settings.storage)
    if url.scheme == "s3":
        from service.s3_artifacts import S3ArtifactStore  # boto3 only where it is used

        return S3ArtifactStore(
            bucket=url.netloc,
            prefix=url.path.strip("/"),
            endpoint_url=settings.s3_endpoint_url,
        )
    return LocalArtifactStore(Path(url2pathname(url.path)))
