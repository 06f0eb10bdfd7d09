"""Events: every change a caller can see, as streams (Server-Sent Events) and a feed.

Types: ``job.queued`` (again, with ``requeued``, when its worker went away),
``job.running`` (``attempt``), ``job.progress`` (``stage``, ``step``, ``total``), a
history row as ``job.epoch`` / ``job.baseline_epoch`` / ``job.stage`` / ``job.fold`` (a
network's epoch, its unregularized twin's, a linear fit's stage, a k-fold fold), and
``job.succeeded`` (``summary``, ``result_url``), ``job.failed`` (``error``),
``job.cancelled``; the same ``scoring.*`` for a scoring (``scoring.chunk``: rows scored
so far); ``sweep.running``, ``sweep.task_finished`` (``trial``, its scores),
``sweep.succeeded`` / ``failed`` / ``cancelled``, and the same ``comparison.*``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

SubjectType = Literal["job", "scoring", "sweep", "comparison"]


class EventSubject(BaseModel):
    type: SubjectType
    id: str


class EventRead(BaseModel):
    """One event: in a stream, the SSE ``id`` is ``id`` and the SSE ``event`` is ``type``."""

    id: int = Field(description="Grows with every event; send the last one seen as Last-Event-ID.")
    type: str = Field(examples=["job.succeeded"])
    subject: EventSubject
    data: dict[str, Any]
    created_at: datetime


class EventList(BaseModel):
    items: list[EventRead]
    next_after: int = Field(
        description="Send as ?after= for what comes next: the last item's id, or the after "
        "sent when nothing newer exists yet."
    )
