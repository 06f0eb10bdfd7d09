"""Datasets: how a job names one, and how the service describes them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.config import JsonDict

from api_schemas.input import InputModel

TaskType = Literal["regression", "classification"]


def _one_source_schema(schema: JsonDict) -> None:
    """The rule of ``DatasetRef._one_source`` in its JSON schema: a request the schema
    allows is one the model accepts."""
    schema["oneOf"] = [
        {
            "title": "Built-in dataset",
            "required": ["name"],
            "properties": {
                "name": {"type": "string"},
                "id": {"type": "null"},
                "features": {"type": "null"},
            },
        },
        {
            "title": "Uploaded dataset",
            "required": ["id"],
            "properties": {
                "id": {"type": "string"},
                "name": {"type": "null"},
                "params": {"maxProperties": 0},
            },
        },
    ]


class DatasetRef(InputModel):
    """A built-in dataset by ``name`` (with optional generator ``params``), or an uploaded
    one by ``id`` (with an optional subset of its columns as ``features``)."""

    model_config = ConfigDict(json_schema_extra=_one_source_schema)

    name: str | None = Field(None, min_length=1, max_length=64, examples=["seed_linear"])
    params: dict[Annotated[str, Field(max_length=64)], float | int] = Field(
        default_factory=dict,
        max_length=16,
        description="Generator parameters (see GET /v1/datasets); unknown names are refused.",
    )
    id: str | None = Field(None, description="An uploaded dataset (POST /v1/datasets).")
    features: list[Annotated[str, Field(min_length=1, max_length=255)]] | None = Field(
        None,
        min_length=1,
        max_length=2_000,
        description="Columns to use (uploaded datasets); default all.",
    )

    @model_validator(mode="after")
    def _one_source(self) -> DatasetRef:
        if (self.name is None) == (self.id is None):
            raise ValueError("give either name (a built-in dataset) or id (an uploaded one)")
        if self.id is not None and self.params:
            raise ValueError("params apply to built-in datasets only")
        if self.name is not None and self.features is not None:
            raise ValueError("features apply to uploaded datasets only")
        return self


class DatasetParam(BaseModel):
    name: str
    type: Literal["int", "float"]
    default: float | int
    minimum: float | int
    maximum: float | int
    description: str


class DatasetInfo(BaseModel):
    id: str | None = Field(None, description="Uploaded datasets only.")
    source: Literal["builtin", "upload"] = "builtin"
    name: str
    task: TaskType | None = Field(description="None for an upload with no target.")
    rows: int = Field(description="Rows with the default parameters.")
    features: int = Field(description="Features with the default parameters.")
    classes: int | None = None
    image_shape: list[int] | None = Field(
        None, description="[channels, height, width] of an image dataset (a CNN can take it)."
    )
    description: str
    params: list[DatasetParam] = Field(default_factory=list)


class DatasetList(BaseModel):
    items: list[DatasetInfo]


class ColumnSummary(BaseModel):
    name: str
    type: Literal["number", "category"]
    missing: int
    mean: float | None = None
    std: float | None = None
    min: float | None = None
    max: float | None = None
    categories: dict[str, int] | None = Field(None, description="The 20 most frequent values.")


COLUMN_PAGE = (
    "One page of the columns, in the table's order: ``columns_limit`` (default 100) from "
    "``columns_offset`` (default 0) on."
)
NEXT_COLUMNS = "The columns_offset of the next page of columns; null on the last page."


class DatasetRead(BaseModel):
    """An uploaded dataset: its schema, summary and provenance."""

    id: str
    source: Literal["upload"] = "upload"
    name: str
    task: TaskType | None = Field(description="None for a table with no target.")
    target: str | None = Field(
        description="None for a table uploaded without one: its rows can be scored with a "
        "job's model (POST /v1/jobs/{id}/predictions), not trained on."
    )
    rows: int
    columns: list[ColumnSummary] = Field(description=COLUMN_PAGE)
    column_count: int = Field(description="Columns in the table, the target included.")
    next_columns_offset: int | None = Field(None, description=NEXT_COLUMNS)
    classes: list[str] | None = None
    content_hash: str = Field(description="sha256 of the uploaded bytes.")
    format: Literal["csv", "parquet"]
    size: int
    created_at: datetime


class DatasetPreview(BaseModel):
    """The first rows of one page of an uploaded dataset's columns."""

    columns: list[str] = Field(description=COLUMN_PAGE)
    rows: list[list[str | float | int | bool | None]]
    column_count: int = Field(description="Columns in the table, the target included.")
    next_columns_offset: int | None = Field(None, description=NEXT_COLUMNS)
