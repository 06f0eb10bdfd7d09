"""Uploaded datasets as a worker reads them: in place from a local store, through this
host's cache from object storage (``workers.data.dataset_cache``)."""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.parquet as pq

from service.artifacts import ArtifactStore
from service.config import Settings
from service.tables import UploadedDataset
from workers.data.dataset_cache import DatasetCache


def read_uploaded_table(
    artifacts: ArtifactStore, cache: DatasetCache | None, row: UploadedDataset
) -> pa.Table:
    """An uploaded dataset's stored Parquet file, read whole: in place from a local
    store, else through this host's cache (or, with no cache, from the store)."""
    path = artifacts.local_path(row.key)
    if path is not None:
        return pq.read_table(path)
    if cache is None:
        return pq.read_table(io.BytesIO(artifacts.read(row.key)))
    name = f"{row.content_hash}-{row.id}"
    with cache.open(name, lambda: artifacts.open(row.key)) as cached:
        return pq.read_table(cached)


def dataset_cache_from_settings(settings: Settings) -> DatasetCache | None:
    """A cache where files come from another host; none for a local folder."""
    if settings.uses_local_storage or settings.dataset_cache_bytes == 0:
        return None
    return DatasetCache(settings.dataset_cache_folder, settings.dataset_cache_bytes)
