"""Error bodies. Validation errors keep FastAPI's shape so clients parse one form."""

from __future__ import annotations

from pydantic import BaseModel, Field

#: The ``type`` of a 422 error for a rule that the JSON schema cannot state: the request
#: matches the schema, and the operation's 422 description names the rule. Every other
#: type means the request does not match the schema.
RULE_ERROR_TYPES = (
    "invalid_spec",
    "invalid_upload",
    "invalid_cursor",
    "invalid_input",
    "invalid_webhook",
)


class FieldError(BaseModel):
    loc: list[str | int] = Field(description='Path to the field, e.g. ["body", "model", "kind"].')
    msg: str
    type: str = Field(
        description="invalid_spec, invalid_upload, invalid_cursor, invalid_input or "
        "invalid_webhook: a rule the schema cannot "
        "state (the operation's 422 says which); json_invalid: the body is not UTF-8 JSON; "
        "body_invalid: a form body that cannot be read; any other type: the field does not "
        "match the schema.",
        examples=["invalid_spec", "missing", "greater_than"],
    )


class ValidationErrorBody(BaseModel):
    detail: list[FieldError]


class ErrorBody(BaseModel):
    detail: str
