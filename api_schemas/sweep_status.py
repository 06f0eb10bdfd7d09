"""What a sweep and a comparison answer alike while they run: their status, their trials'
progress and the 202 reply. Each kind names its own classes (``SweepRead``,
``ComparisonRead``) on these bases."""

from __future__ import annotations

from datetime import datetime
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, Field

from api_schemas.jobs import JobError

SweepStatus = Literal["running", "succeeded", "failed", "cancelled"]

SpecT = TypeVar("SpecT", bound=BaseModel)


class SweepStatusRead(BaseModel, Generic[SpecT]):
    """A sweep's or a comparison's spec and progress (``spec``: the kind's own create body)."""

    id: str
    status: SweepStatus
    spec: SpecT
    trials_done: int = Field(description="Tasks finished.")
    trials_total: int = Field(
        description="A trial per fold; a linear model's sweep has one more, the path fitted "
        "on every row."
    )
    created_at: datetime
    finished_at: datetime | None
    error: JobError | None
    result_url: str | None


class SweepStatusAccepted(BaseModel):
    id: str
    status: SweepStatus
    url: str
