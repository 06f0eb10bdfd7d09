"""Cross-validation settings shared by sweeps and comparisons."""

from __future__ import annotations

from pydantic import Field

from api_schemas.input import InputModel


class CVSettings(InputModel):
    folds: int = Field(5, ge=2, le=20)
    shuffle: bool = True
    seed: int = Field(0, ge=0, le=2**32 - 1)
