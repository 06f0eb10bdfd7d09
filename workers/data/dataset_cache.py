"""Uploaded datasets kept on a worker's host, so object storage is read once per host.

With ``s3://`` storage each worker host keeps the canonical Parquet files it has read
under ``<data_dir>/dataset-cache``, named by the dataset's content hash and id, up to
``REGULAB_DATASET_CACHE_BYTES``: after each fetch the least recently used files go
until the rest fit (the file just fetched stays, even alone over the cap). Pool
processes share the folder safely:

- a fetch writes a hidden temporary file and renames it into place, so a reader
  sees a whole file or none, and two processes fetching the same file both win;
- a hit opens the file before returning it, so a file evicted by another process
  meanwhile is still read whole (POSIX keeps an open file's data until it is closed).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

SUFFIX = ".parquet"


class DatasetCache:
    def __init__(self, folder: Path, max_bytes: int) -> None:
        self.folder, self.max_bytes = folder, max_bytes

    def open(self, name: str, fetch: Callable[[], BinaryIO]) -> BinaryIO:
        """The cached file ``name`` opened for reading, fetched first if it is not here.

        ``name`` must be unique per content (a hash); ``fetch`` opens the original.
        """
        path = self.folder / f"{name}{SUFFIX}"
        with contextlib.suppress(FileNotFoundError):
            handle = path.open("rb")
            os.utime(path)  # most recently used
            return handle
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".fetch-")
        try:
            with os.fdopen(fd, "wb") as out, fetch() as source:
                shutil.copyfileobj(source, out, 1 << 20)
            handle = open(tmp, "rb")  # noqa: SIM115 (returned open)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self.evict(keep=path)
        return handle

    def evict(self, keep: Path | None = None) -> list[Path]:
        """Remove the least recently used files until the rest fit in ``max_bytes``;
        returns what was removed."""
        entries: list[tuple[float, int, Path]] = []
        for path in self.folder.glob(f"*{SUFFIX}"):
            with contextlib.suppress(FileNotFoundError):
                stat = path.stat()
                entries.append((stat.st_mtime, stat.st_size, path))
        total = sum(size for _, size, _ in entries)
        removed: list[Path] = []
        for _, size, path in sorted(entries):
            if total <= self.max_bytes:
                break
            if path == keep:
                continue
            path.unlink(missing_ok=True)
            total -= size
            removed.append(path)
        return removed

    def size(self) -> int:
        """Bytes the cached files take."""
        return sum(p.stat().st_size for p in self.folder.glob(f"*{SUFFIX}") if p.exists())
