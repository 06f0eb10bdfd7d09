"""A worker host's cache of uploaded datasets: fetched once, least recently used out
first under the cap, never a partial file."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path
from typing import BinaryIO

import pytest

from workers.data.dataset_cache import DatasetCache


class Source:
    """What the cache fetches from, counting the fetches."""

    def __init__(self, data: bytes) -> None:
        self.data, self.fetches = data, 0

    def __call__(self) -> BinaryIO:
        self.fetches += 1
        return io.BytesIO(self.data)


def read(cache: DatasetCache, name: str, source: Source) -> bytes:
    with cache.open(name, source) as handle:
        return handle.read()


def test_a_dataset_is_fetched_once_then_read_from_the_host(tmp_path: Path) -> None:
    cache = DatasetCache(tmp_path / "cache", max_bytes=1000)
    source = Source(b"parquet bytes")
    assert read(cache, "h1-d1", source) == b"parquet bytes"
    assert read(cache, "h1-d1", source) == b"parquet bytes"
    assert source.fetches == 1
    assert [p.name for p in (tmp_path / "cache").iterdir()] == ["h1-d1.parquet"]


def test_the_least_recently_used_go_first_when_over_the_cap(tmp_path: Path) -> None:
    cache = DatasetCache(tmp_path, max_bytes=250)
    sources = {name: Source(bytes(100)) for name in ("a", "b", "c")}
    for offset, name in enumerate(("a", "b")):
        read(cache, name, sources[name])
        os.utime(tmp_path / f"{name}.parquet", (time.time() - 100 + offset,) * 2)
    read(cache, "a", sources["a"])  # a hit: a is now the most recently used
    read(cache, "c", sources["c"])  # 300 bytes > 250: b goes
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.parquet", "c.parquet"]
    assert cache.size() == 200
    assert [s.fetches for s in sources.values()] == [1, 1, 1]


def test_a_file_alone_over_the_cap_is_kept_until_the_next_fetch(tmp_path: Path) -> None:
    cache = DatasetCache(tmp_path, max_bytes=50)
    assert read(cache, "big", Source(bytes(80))) == bytes(80)
    assert (tmp_path / "big.parquet").exists()
    read(cache, "small", Source(bytes(10)))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["small.parquet"]


def test_a_file_evicted_while_open_is_still_read_whole(tmp_path: Path) -> None:
    cache = DatasetCache(tmp_path, max_bytes=150)
    handle = cache.open("a", Source(b"a" * 100))
    read(cache, "b", Source(b"b" * 100))  # evicts a, which is open
    assert not (tmp_path / "a.parquet").exists()
    with handle:
        assert handle.read() == b"a" * 100


def test_a_fetch_that_fails_leaves_nothing(tmp_path: Path) -> None:
    class Broken(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            raise ConnectionResetError("the store hung up")

    cache = DatasetCache(tmp_path, max_bytes=1000)
    with pytest.raises(ConnectionResetError):
        cache.open("x", lambda: Broken(b"data"))
    assert list(tmp_path.iterdir()) == []
    assert read(cache, "x", Source(b"data")) == b"data"
