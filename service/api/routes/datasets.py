from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Response, UploadFile, status

from api_schemas import DatasetList, DatasetPreview, DatasetRead, ErrorBody, TaskType
from service.api.deps import CallerDep, ContextDep
from service.datasets import service as datasets_service

router = APIRouter(prefix="/v1/datasets", tags=["datasets"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorBody}}


@router.get("")
def list_datasets(ctx: ContextDep, owner: CallerDep) -> DatasetList:
    """Built-in datasets and the caller's uploads (``source`` says which)."""
    return datasets_service.list_datasets(ctx.datasets, owner)


@router.post("", status_code=status.HTTP_201_CREATED, responses={200: {"model": DatasetRead}})
def upload_dataset(
    ctx: ContextDep,
    owner: CallerDep,
    response: Response,
    file: Annotated[UploadFile, File(description="CSV or Parquet")],
    name: Annotated[str, Form(min_length=1, max_length=128)],
    target: Annotated[str, Form(min_length=1, max_length=255)],
    task: Annotated[TaskType | None, Form()] = None,
) -> DatasetRead:
    """Check and store a table (201); the same bytes again return the first upload (200)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload"
        with path.open("wb") as handle:
            shutil.copyfileobj(file.file, handle, 1 << 20)
        dataset, created = datasets_service.upload_dataset(
            ctx.datasets,
            ctx.artifacts,
            path,
            filename=file.filename or "upload",
            name=name,
            target=target,
            task=task,
            owner=owner,
        )
    if not created:
        response.status_code = status.HTTP_200_OK
    return datasets_service.to_read(dataset)


@router.get("/{dataset_id}", responses=NOT_FOUND)
def get_dataset(dataset_id: str, ctx: ContextDep, owner: CallerDep) -> DatasetRead:
    return datasets_service.get_dataset(ctx.datasets, dataset_id, owner)


@router.get("/{dataset_id}/preview", responses=NOT_FOUND)
def preview_dataset(
    dataset_id: str,
    ctx: ContextDep,
    owner: CallerDep,
    rows: Annotated[int, Query(ge=1, le=1000)] = 20,
) -> DatasetPreview:
    return datasets_service.preview_dataset(ctx.datasets, ctx.artifacts, dataset_id, owner, rows)


@router.delete("/{dataset_id}", status_code=204, responses={**NOT_FOUND, 409: {"model": ErrorBody}})
def delete_dataset(dataset_id: str, ctx: ContextDep, owner: CallerDep) -> None:
    """Refused (409) while a queued or running job uses the dataset."""
    datasets_service.delete_dataset(ctx.datasets, ctx.artifacts, dataset_id, owner)
