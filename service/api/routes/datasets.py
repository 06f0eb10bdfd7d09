from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Response, UploadFile, status

from api_schemas import DatasetList, DatasetPreview, DatasetRead, ErrorBody, TaskType
from service.api.deps import CallerDep, ContextDep
from service.datasets.service import COLUMNS_PER_PAGE, ColumnPage, UploadForm

router = APIRouter(prefix="/v1/datasets", tags=["datasets"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorBody}}
TOO_LARGE = {
    "model": ErrorBody,
    "description": "The file is larger than REGULAB_MAX_UPLOAD_BYTES, or would decode to "
    "more rows, columns or bytes than REGULAB_MAX_UPLOAD_ROWS, _COLUMNS or _DECODED_BYTES "
    "(the detail names which).",
}


def upload_form(
    name: Annotated[str, Form(min_length=1, max_length=128)],
    target: Annotated[
        str | None,
        Form(
            min_length=1,
            max_length=255,
            description="The column to predict. Leave it out for a table to score with a "
            "job's model (POST /v1/jobs/{id}/predictions with its id), not to train on.",
        ),
    ] = None,
    task: Annotated[TaskType | None, Form()] = None,
) -> UploadForm:
    """The upload's form fields beside its file (a dependency, so the route stays short)."""
    return UploadForm(name, target, task)


def column_page(
    columns_offset: Annotated[int, Query(ge=0, description="First column to return.")] = 0,
    columns_limit: Annotated[
        int, Query(ge=1, le=1000, description="Columns to return.")
    ] = COLUMNS_PER_PAGE,
) -> ColumnPage:
    """Which columns a read returns; the answer's next_columns_offset gives the next page."""
    return ColumnPage(columns_offset, columns_limit)


PageDep = Annotated[ColumnPage, Depends(column_page)]


@router.get("")
def list_datasets(ctx: ContextDep, owner: CallerDep) -> DatasetList:
    """Built-in datasets and the caller's uploads (``source`` says which)."""
    return ctx.datasets.available(owner)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": DatasetRead}, 413: TOO_LARGE},
)
def upload_dataset(
    ctx: ContextDep,
    owner: CallerDep,
    response: Response,
    file: Annotated[
        UploadFile,
        File(
            description="A table with a header row: a .csv or .txt file (CSV) or a .parquet "
            "file, told by its name's extension, and holding what the extension says. Any "
            "other name, or a file that is not such a table, is a 422 of type invalid_upload."
        ),
    ],
    form: Annotated[UploadForm, Depends(upload_form)],
) -> DatasetRead:
    """Check and store a table (201); the same bytes again return the first upload (200).
    A file that would decode past REGULAB_MAX_UPLOAD_ROWS, _COLUMNS or _DECODED_BYTES is
    refused (413) before it is decoded. The answer holds the first page of columns."""
    dataset, created = ctx.datasets.upload(file.file, file.filename or "upload", form, owner)
    if not created:
        response.status_code = status.HTTP_200_OK
    return dataset


@router.get("/{dataset_id}", responses=NOT_FOUND)
def get_dataset(dataset_id: str, ctx: ContextDep, owner: CallerDep, page: PageDep) -> DatasetRead:
    return ctx.datasets.get(dataset_id, owner, page)


@router.get("/{dataset_id}/preview", responses=NOT_FOUND)
def preview_dataset(
    dataset_id: str,
    ctx: ContextDep,
    owner: CallerDep,
    page: PageDep,
    rows: Annotated[int, Query(ge=1, le=1000)] = 20,
) -> DatasetPreview:
    return ctx.datasets.preview(dataset_id, owner, rows, page)


@router.delete("/{dataset_id}", status_code=204, responses={**NOT_FOUND, 409: {"model": ErrorBody}})
def delete_dataset(dataset_id: str, ctx: ContextDep, owner: CallerDep) -> None:
    """Refused (409) while a queued or running job uses the dataset."""
    ctx.datasets.delete(dataset_id, owner)
