"""Named models: a caller's stable name for a line of trained models.

A registered model (``houses``) has versions 1, 2, ... each a succeeded job with an
exported model, and aliases (``production``) that each point at one version. Predictions
with the name use an alias or a version; a service calling ``production`` keeps its URL
while the model behind it is retrained. Names belong to the caller that made them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from api_schemas.input import InputModel
from api_schemas.predictions import ModelInput, PredictionResponse

#: A model's name and an alias share one rule: lowercase letters, digits, ``_`` and
#: ``-``, starting with a letter or a digit.
NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
NAME_MAX_LENGTH = 64
#: The alias predictions use when the request names neither an alias nor a version.
DEFAULT_ALIAS = "production"

ModelName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=NAME_MAX_LENGTH,
        pattern=NAME_PATTERN,
        description="1-64 characters: a-z, 0-9, _ and -, starting with a letter or digit.",
        examples=["houses"],
    ),
]
AliasName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=NAME_MAX_LENGTH,
        pattern=NAME_PATTERN,
        description="1-64 characters: a-z, 0-9, _ and -, starting with a letter or digit.",
        examples=[DEFAULT_ALIAS],
    ),
]


class RegisteredModelCreate(InputModel):
    name: ModelName


class ModelVersionCreate(InputModel):
    job_id: str = Field(
        min_length=1,
        max_length=36,
        description="A succeeded job of the caller's, with an exported model.",
    )


class AliasUpdate(InputModel):
    version: int = Field(ge=1, description="The version the alias points at from now on.")


class ModelVersionRead(BaseModel):
    version: int
    job_id: str
    input: ModelInput = Field(description="What the version takes: its job's input schema.")
    aliases: list[str] = Field(description="The aliases that point at this version.")
    created_at: datetime


class ModelVersionCreated(ModelVersionRead):
    schema_changed: bool = Field(
        description="The input schema differs from the latest version before this one's "
        "(false for a first version): callers of the name may need to send other columns."
    )


class AliasRead(BaseModel):
    alias: str
    version: int
    previous_version: int | None = Field(
        description="The version the alias pointed at before; None for a new alias."
    )
    schema_changed: bool = Field(
        description="The version's input schema differs from the previous version's: "
        "callers of the alias may need to send other columns (false for a new alias)."
    )


class RegisteredModelSummary(BaseModel):
    name: str
    created_at: datetime
    latest_version: int | None = Field(description="None while the model has no versions.")
    aliases: dict[str, int] = Field(description="Each alias and the version it points at.")


class RegisteredModelRead(RegisteredModelSummary):
    versions: list[ModelVersionRead] = Field(description="Oldest first.")


class RegisteredModelList(BaseModel):
    items: list[RegisteredModelSummary] = Field(description="The caller's models, by name.")
    next_cursor: str | None = Field(
        None, description="Pass as ?cursor= for the next page (the names after these)."
    )


class ModelPredictionResponse(PredictionResponse):
    """The predictions of one version: every row of a request is predicted by the version
    named here, even while an alias moves."""

    name: str
    version: int
    alias: str | None = Field(description="The alias that chose the version, if one did.")
