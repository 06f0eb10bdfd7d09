"""Grids of a parameter's values: log-spaced, or listed."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Discriminator, Field, Tag, model_validator
from pydantic_core import PydanticCustomError

from api_schemas.input import InputModel

#: A logspace bound, an exponent of 10.
Exponent = Annotated[float, Field(ge=-12, le=12)]


class LogSpace(InputModel):
    logspace: tuple[Exponent, Exponent, Annotated[int, Field(ge=2, le=1000)]] = Field(
        description="[start, stop, num]: num values from 10^start to 10^stop, with "
        "-12 <= start < stop <= 12 and 2 <= num <= 1000. start < stop is checked beyond the "
        "schema (a 422 of type invalid_spec)."
    )

    @model_validator(mode="after")
    def _ascending(self) -> LogSpace:
        start, stop, _ = self.logspace
        if not start < stop:
            # JSON Schema cannot compare two items: the type says it is a rule beyond it.
            raise PydanticCustomError("invalid_spec", "logspace needs start < stop")
        return self

    def points(self) -> list[float]:
        start, stop, num = self.logspace
        return [10 ** (start + (stop - start) * i / (num - 1)) for i in range(num)]


class Values(InputModel):
    values: list[Annotated[float, Field(ge=0)]] = Field(
        min_length=2,
        max_length=1000,
        description="Distinct values, none negative.",
        json_schema_extra={"uniqueItems": True},
    )

    @model_validator(mode="after")
    def _distinct(self) -> Values:
        if len(set(self.values)) != len(self.values):
            raise ValueError("values must be distinct")
        return self

    def points(self) -> list[float]:
        return list(self.values)


def _grid_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "logspace" if "logspace" in value else "values"
    return "logspace" if isinstance(value, LogSpace) else "values"


#: A grid, told apart by its one key: a 422 names only the errors of the form it has.
Grid = Annotated[
    Annotated[LogSpace, Tag("logspace")] | Annotated[Values, Tag("values")],
    Discriminator(_grid_kind),
]
