"""Datasets: how a job names one, and how the service describes them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

TaskType = Literal["regression", "classification"]


class DatasetRef(BaseModel):
    """A built-in dataset by name, with optional generator parameters."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=64, examples=["seed_linear"])
    params: dict[str, float | int] = Field(
        default_factory=dict,
        description="Generator parameters (see GET /v1/datasets); unknown names are refused.",
    )


class DatasetParam(BaseModel):
    name: str
    type: Literal["int", "float"]
    default: float | int
    minimum: float | int
    maximum: float | int
    description: str


class DatasetInfo(BaseModel):
    name: str
    task: TaskType
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
