"""DatasetService: the dataset operations the routes call: upload, list, read, preview,
delete."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TypeVar

import pyarrow as pa
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
from service.datasets.table_reader import UploadLimits
from service.datasets.uploads import parse_upload, preview, to_parquet
from service.db import utcnow
from service.tables import UploadedDataset

BUILTIN = [d.info() for d in BUILTIN_DATASETS.values()]
#: Columns a dataset read returns unless it asks for another page size.
COLUMNS_PER_PAGE = 100
T = TypeVar("T")


class DatasetNotFoundError(LookupError):
    pass


class DatasetConflictError(RuntimeError):
    pass


@dataclass(frozen=True)
class ColumnPage:
    """Which of a dataset's columns a read returns: ``limit`` from ``offset`` on."""

    offset: int = 0
    limit: int = COLUMNS_PER_PAGE

    def of(self, items: list[T]) -> tuple[list[T], int | None]:
        """This page of ``items``, and the offset of the next page."""
        return items[self.offset : self.offset + self.limit], self.next_offset(len(items))

    def next_offset(self, total: int) -> int | None:
        """Where the next page starts; None when this page reaches the last of ``total``."""
        end = self.offset + self.limit
        return end if end < total else None


def task_of(row: UploadedDataset) -> TaskType | None:
    """An upload's task; None for a table with no target (stored as "")."""
    if not row.target:
        return None
    return "classification" if row.task == "classification" else "regression"


def to_read(row: UploadedDataset, page: ColumnPage) -> DatasetRead:
    columns, next_offset = page.of(row.columns)
    return DatasetRead(
        id=row.id,
        name=row.name,
        task=task_of(row),
        target=row.target or None,
        rows=row.rows,
        columns=[ColumnSummary.model_validate(c) for c in columns],
        column_count=len(row.columns),
        next_columns_offset=next_offset,
        classes=row.classes,
        content_hash=row.content_hash,
        format="parquet" if row.format == "parquet" else "csv",
        size=row.size,
        created_at=row.created_at,
    )


@dataclass(frozen=True)
class UploadForm:
    """What the caller says of an uploaded file: the dataset's name, its target column
    (None: a table to score, not to train on) and its task (None: inferred from the
    target)."""

    name: str
    target: str | None
    task: TaskType | None = None


@dataclass(frozen=True)
class DatasetService:
    """Built once per API process: the uploads' rows, the store their files are in, and
    how large an upload may decode."""

    store: DatasetStore
    artifacts: ArtifactStore
    limits: UploadLimits

    def upload(
        self, file: BinaryIO, filename: str, form: UploadForm, owner: str
    ) -> tuple[DatasetRead, bool]:
        """Parse and check the file, store it as Parquet; the same bytes (and target) again
        return the dataset stored the first time. Returns (dataset, created), with the
        first page of its columns."""
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "upload"
            with path.open("wb") as handle:
                shutil.copyfileobj(file, handle, 1 << 20)
            try:
                return self._add(path, filename, form, owner)
            finally:
                # The decoded table is gone; hand its memory back to the system rather
                # than keep the high-water mark of the largest upload for good.
                pa.default_memory_pool().release_unused()

    def _add(
        self, path: Path, filename: str, form: UploadForm, owner: str
    ) -> tuple[DatasetRead, bool]:
        parsed = parse_upload(path, filename, form.target, form.task, self.limits)
        target = form.target or ""  # stored as "" when there is none
        existing = self.store.find(owner, parsed.content_hash, target)
        if existing is not None:
            return to_read(existing, ColumnPage()), False
        dataset_id = str(uuid.uuid4())
        key = f"datasets/{dataset_id}/data.parquet"
        self.artifacts.put(key, to_parquet(parsed.table))
        row = UploadedDataset(
            id=dataset_id,
            owner=owner,
            name=form.name,
            format=parsed.format,
            target=target,
            task=parsed.task or "",
            rows=parsed.table.num_rows,
            columns=[c.model_dump(mode="json") for c in parsed.columns],
            classes=parsed.classes,
            content_hash=parsed.content_hash,
            size=parsed.size,
            key=key,
            created_at=utcnow(),
        )
        try:
            self.store.add(row)
        except IntegrityError:  # the same upload won a race a moment ago
            self.artifacts.delete_prefix(f"datasets/{dataset_id}")
            existing = self.store.find(owner, parsed.content_hash, target)
            if existing is None:
                raise
            return to_read(existing, ColumnPage()), False
        return to_read(row, ColumnPage()), True

    def available(self, owner: str) -> DatasetList:
        """The built-in datasets and the caller's uploads."""
        uploads = [
            DatasetInfo(
                id=row.id,
                source="upload",
                name=row.name,
                task=task_of(row),
                rows=row.rows,
                features=len(row.columns) - (1 if row.target else 0),
                classes=len(row.classes) if row.classes else None,
                description=f"uploaded {row.format}, target {row.target!r}"
                if row.target
                else f"uploaded {row.format}, no target: for scoring with a job's model",
            )
            for row in self.store.list(owner)
        ]
        return DatasetList(items=[*BUILTIN, *uploads])

    def _owned(self, dataset_id: str, owner: str) -> UploadedDataset:
        row = self.store.get(dataset_id, owner)
        if row is None:
            raise DatasetNotFoundError(dataset_id)
        return row

    def get(self, dataset_id: str, owner: str, page: ColumnPage) -> DatasetRead:
        return to_read(self._owned(dataset_id, owner), page)

    def preview(self, dataset_id: str, owner: str, rows: int, page: ColumnPage) -> DatasetPreview:
        with self.artifacts.open_seekable(self._owned(dataset_id, owner).key) as stream:
            shown = preview(stream, rows, page.offset, page.limit)
        return DatasetPreview(
            columns=shown.columns,
            rows=shown.rows,
            column_count=shown.column_count,
            next_columns_offset=page.next_offset(shown.column_count),
        )

    def delete(self, dataset_id: str, owner: str) -> None:
        try:
            row = self.store.delete(dataset_id, owner)
        except DatasetInUseError as exc:
            raise DatasetConflictError(f"{exc}; cancel or wait for it first") from exc
        if row is None:
            raise DatasetNotFoundError(dataset_id)
        self.artifacts.delete_prefix(f"datasets/{dataset_id}")
