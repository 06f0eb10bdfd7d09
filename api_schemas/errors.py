"""Error bodies. Validation errors keep FastAPI's shape so clients parse one form."""

from __future__ import annotations

from pydantic import BaseModel, Field


class FieldError(BaseModel):
    loc: list[str | int] = Field(description='Path to the field, e.g. ["body", "model", "kind"].')
    msg: str
    type: str


class ValidationErrorBody(BaseModel):
    detail: list[FieldError]


class ErrorBody(BaseModel):
    detail: str
