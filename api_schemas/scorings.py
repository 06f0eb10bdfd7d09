"""Scorings: a job's model run over a whole uploaded table on the workers.

``POST /v1/jobs/{id}/predictions`` with ``{"dataset": {"id": ...}}`` queues one; it has
the lifecycle of every job (claim, heartbeat, cancel, reaper, time limit) and ends with
``predictions.parquet`` and ``predictions.csv``: a ``row`` column (the row's index in the
uploaded table), ``prediction``, and for a classification one ``probability_<class>``
column per class.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from api_schemas.input import InputModel
from api_schemas.jobs import JobError, JobProgress, JobStatus
from api_schemas.predictions import ModelChoice, ScoringDataset
from api_schemas.results import ArtifactRef


class ScoringSpec(InputModel):
    """What a scoring runs: a succeeded job's model over an uploaded dataset."""

    job_id: str = Field(min_length=1, max_length=36)
    model: ModelChoice = "regularized"
    dataset: ScoringDataset


class ScoringResult(BaseModel):
    rows: int = Field(description="Rows scored: every row of the uploaded table.")
    columns: list[str] = Field(description="The columns of predictions.parquet and .csv.")
    warnings: list[str] = Field(
        default_factory=list,
        description="What the model did with values it did not see in training.",
    )


class ScoringRead(BaseModel):
    id: str
    status: JobStatus
    job_id: str = Field(description="The job whose model this scoring runs.")
    model: ModelChoice
    dataset_id: str
    attempt: int = Field(description="How many times a worker has claimed this scoring.")
    max_seconds: int
    progress: JobProgress | None = Field(description="The last chunk of rows scored.")
    cancel_requested: bool
    created_at: datetime
    started_at: datetime | None
    heartbeat_at: datetime | None
    finished_at: datetime | None
    error: JobError | None
    result: ScoringResult | None = Field(description="Once succeeded.")
    artifacts: list[ArtifactRef] = Field(description="predictions.parquet and .csv, once made.")


class ScoringAccepted(BaseModel):
    id: str
    status: JobStatus
    url: str = Field(description="Where the scoring is: GET it until it has finished.")
