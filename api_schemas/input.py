"""The base of everything a caller sends."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class InputModel(BaseModel):
    """A request body's model: unknown fields are refused, the parsed value is frozen, and
    no float may be NaN or infinite (JSON has neither, but parsers accept ``NaN``,
    ``Infinity`` and ``1e309``; nothing regulab fits means anything with them)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
