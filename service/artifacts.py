"""Artifact storage behind one seam: a local folder now, object storage later.

Keys are relative paths such as ``jobs/<id>/attempt-1/coefficients.png``. The
store is chosen from settings by ``artifact_store_from_settings``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from service.config import Settings


class ArtifactNotFoundError(KeyError):
    pass


class ArtifactStore(ABC):
    @abstractmethod
    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key``; readers never see a partial file."""

    @abstractmethod
    def open(self, key: str) -> BinaryIO:
        """A binary stream of the artifact; raises ArtifactNotFoundError."""

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


class LocalArtifactStore(ArtifactStore):
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        parts = PurePosixPath(key).parts
        if not parts or any(p in {"", ".", ".."} for p in parts) or key.startswith("/"):
            raise ValueError(f"invalid artifact key {key!r}")
        return self.root.joinpath(*parts)

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
    return LocalArtifactStore(settings.artifacts_root)
