"""The base of everything a caller sends."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, GetCoreSchemaHandler
from pydantic_core import CoreSchema

from api_schemas.json_types import json_types_only


class InputModel(BaseModel):
    """A request body's model: unknown fields are refused, the parsed value is frozen, and
    no float may be NaN or infinite (JSON has neither, but parsers accept ``NaN``,
    ``Infinity`` and ``1e309``; nothing regulab fits means anything with them). A boolean
    or a number must be one in JSON too (``json_types_only``): ``"1"`` is not 1, nor 0
    false, as the schema says."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[BaseModel], handler: GetCoreSchemaHandler, /
    ) -> CoreSchema:
        return json_types_only(handler(source))
