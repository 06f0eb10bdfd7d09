"""Dataset operations for the routes: upload, list, read, preview, delete."""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy.exc import IntegrityError

from api_schemas import (
    ColumnSummary,
    DatasetInfo,
    DatasetList,
    DatasetPreview,
    DatasetRead,
    TaskType,
)
from service.artifacts import ArtifactStore
from service.datasets.catalog import BUILTIN_DATASETS
from service.datasets.store import DatasetInUseError, DatasetStore
from service.datasets.uploads import parse_upload, preview, to_parquet
from service.db import utcnow
from service.tables import UploadedDataset

BUILTIN = [d.info() for d in BUILTIN_DATASETS.values()]


class DatasetNotFoundError(LookupError):
    pass


class DatasetConflictError(RuntimeError):
    pass


def to_read(row: UploadedDataset) -> DatasetRead:
    return DatasetRead(
        id=row.id,
        name=row.name,
        task="classification" if row.task == "classification" else "regression",
        target=row.target,
        rows=row.rows,
        columns=[ColumnSummary.model_validate(c) for c in row.columns],
        classes=row.classes,
        content_hash=row.content_hash,
        format="parquet" if row.format == "parquet" else "csv",
        size=row.size,
        created_at=row.created_at,
    )


def upload_dataset(
    store: DatasetStore,
    artifacts: ArtifactStore,
    path: Path,
    *,
    filename: str,
    name: str,
    target: str,
    task: TaskType | None,
    owner: str,
) -> tuple[UploadedDataset, bool]:
    """Parse and check the file, store it as Parquet; the same bytes (and target) again
    return the dataset stored the first time. Returns (dataset, created)."""
    parsed = parse_upload(path, filename, target, task)
    existing = store.find(owner, parsed.content_hash, target)
    if existing is not None:
        return existing, False
    dataset_id = str(uuid.uuid4())
    key = f"datasets/{dataset_id}/data.parquet"
    artifacts.put(key, to_parquet(parsed.table))
    row = UploadedDataset(
        id=dataset_id,
        owner=owner,
        name=name,
        format=parsed.format,
        target=target,
        task=parsed.task,
        rows=parsed.table.num_rows,
        columns=[c.model_dump(mode="json") for c in parsed.columns],
        classes=parsed.classes,
        content_hash=parsed.content_hash,
        size=parsed.size,
        key=key,
        created_at=utcnow(),
    )
    try:
        store.add(row)
    except IntegrityError:  # the same upload won a race a moment ago
        artifacts.delete_prefix(f"datasets/{dataset_id}")
        existing = store.find(owner, parsed.content_hash, target)
        if existing is None:
            raise
        return existing, False
    return row, True


def list_datasets(store: DatasetStore, owner: str) -> DatasetList:
    uploads = [
        DatasetInfo(
            id=row.id,
            source="upload",
            name=row.name,
            task="classification" if row.task == "classification" else "regression",
            rows=row.rows,
            features=len(row.columns) - 1,
            classes=len(row.classes) if row.classes else None,
            description=f"uploaded {row.format}, target {row.target!r}",
        )
        for row in store.list(owner)
    ]
    return DatasetList(items=[*BUILTIN, *uploads])


def get_dataset(store: DatasetStore, dataset_id: str, owner: str) -> DatasetRead:
    row = store.get(dataset_id, owner)
    if row is None:
        raise DatasetNotFoundError(dataset_id)
    return to_read(row)


def preview_dataset(
    store: DatasetStore, artifacts: ArtifactStore, dataset_id: str, owner: str, rows: int
) -> DatasetPreview:
    row = store.get(dataset_id, owner)
    if row is None:
        raise DatasetNotFoundError(dataset_id)
    with artifacts.open(row.key) as stream:
        columns, values = preview(stream.read(), rows)
    return DatasetPreview(columns=columns, rows=values)


def delete_dataset(
    store: DatasetStore, artifacts: ArtifactStore, dataset_id: str, owner: str
) -> None:
    try:
        row = store.delete(dataset_id, owner)
    except DatasetInUseError as exc:
        raise DatasetConflictError(f"{exc}; cancel or wait for it first") from exc
    if row is None:
        raise DatasetNotFoundError(dataset_id)
    artifacts.delete_prefix(f"datasets/{dataset_id}")
