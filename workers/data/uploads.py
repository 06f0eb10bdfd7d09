"""An uploaded dataset as a worker reads it from the artifact store."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from api_schemas import TaskType


@dataclass(frozen=True)
class UploadedTable:
    """An uploaded dataset as the worker read it from the artifact store."""

    name: str
    table: pa.Table
    target: str
    task: TaskType
    classes: list[str] | None
    content_hash: str
