"""Grids of a parameter's values: log-spaced, or listed."""

from __future__ import annotations

from pydantic import Field, model_validator

from api_schemas.input import InputModel


class LogSpace(InputModel):
    logspace: tuple[float, float, int] = Field(
        description="[start, stop, num]: num values from 10^start to 10^stop."
    )

    @model_validator(mode="after")
    def _sane(self) -> LogSpace:
        start, stop, num = self.logspace
        if not 2 <= num <= 1000 or not -12 <= start < stop <= 12:
            raise ValueError("logspace needs -12 <= start < stop <= 12 and 2 <= num <= 1000")
        return self

    def points(self) -> list[float]:
        start, stop, num = self.logspace
        return [10 ** (start + (stop - start) * i / (num - 1)) for i in range(num)]


class Values(InputModel):
    values: list[float] = Field(min_length=2, max_length=1000)

    @model_validator(mode="after")
    def _distinct(self) -> Values:
        if any(not v >= 0 for v in self.values) or len(set(self.values)) != len(self.values):
            raise ValueError("values must be distinct and not negative")
        return self

    def points(self) -> list[float]:
        return list(self.values)
