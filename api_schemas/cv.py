"""Cross-validation settings shared by sweeps and comparisons."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class CVSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    folds: int = Field(5, ge=2, le=20)
    shuffle: bool = True
    seed: int = Field(0, ge=0, le=2**32 - 1)
