"""The two kinds of row in the sweeps table, one entry each: the ``kind`` column, the
URL its rows answer under, the check of its spec and the schemas it answers with.

A sweep's id answers only under /v1/sweeps and a comparison's only under
/v1/comparisons: every read goes through its kind's entry and filters on the column.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel

from api_schemas.comparisons import (
    ComparisonAccepted,
    ComparisonCreate,
    ComparisonList,
    ComparisonRead,
    ComparisonResult,
)
from api_schemas.sweeps import SweepAccepted, SweepCreate, SweepList, SweepRead, SweepResult
from service.sweeps.validation import check_comparison_spec, check_sweep_spec
from service.tables import UploadedDataset

CreateT = TypeVar("CreateT", SweepCreate, ComparisonCreate)
ReadT = TypeVar("ReadT", bound=BaseModel)
PageT = TypeVar("PageT", bound=BaseModel)
AcceptedT = TypeVar("AcceptedT", bound=BaseModel)
ResultT = TypeVar("ResultT", bound=BaseModel)


@dataclass(frozen=True)
class SweepKind(Generic[CreateT, ReadT, PageT, AcceptedT, ResultT]):
    name: Literal["sweep", "comparison"]
    #: Where its rows answer: ``{url}/{id}``, ``…/result``, ``…/artifacts/{name}``.
    url: str
    check: Callable[[CreateT, UploadedDataset | None], None]
    read: type[ReadT]
    page: type[PageT]
    accepted: type[AcceptedT]
    result: type[ResultT]
    #: The result's field that holds the row's id (``sweep_id``, ``comparison_id``).
    result_id: str

    def url_of(self, sweep_id: str) -> str:
        return f"{self.url}/{sweep_id}"


SWEEP = SweepKind(
    name="sweep",
    url="/v1/sweeps",
    check=check_sweep_spec,
    read=SweepRead,
    page=SweepList,
    accepted=SweepAccepted,
    result=SweepResult,
    result_id="sweep_id",
)

COMPARISON = SweepKind(
    name="comparison",
    url="/v1/comparisons",
    check=check_comparison_spec,
    read=ComparisonRead,
    page=ComparisonList,
    accepted=ComparisonAccepted,
    result=ComparisonResult,
    result_id="comparison_id",
)
