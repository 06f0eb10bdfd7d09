"""Events: a job's, scoring's, sweep's or comparison's as a live stream (Server-Sent
Events), and all of a caller's as a feed.

This module does without ``from __future__ import annotations``: FastAPI reads the
stream routes' annotations at run time, and their path parameter is named per kind.
"""

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from sse_starlette import EventSourceResponse, ServerSentEvent

from api_schemas import ErrorBody
from api_schemas.events import EventList, EventRead, SubjectType
from service.api.deps import CallerDep, ContextDep

router = APIRouter(tags=["events"])

#: The largest event id (64-bit).
MAX_ID = 2**63 - 1
#: A comment line this often keeps proxies from closing a quiet stream.
KEEPALIVE_SECONDS = 15
STREAM: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "text/event-stream: each message's id is the event's id, its event "
        "the event's type, its data the event (EventRead) as JSON; a comment every 15 s "
        "keeps proxies from closing a quiet stream. The stream ends after the terminal "
        "event (succeeded, failed or cancelled), or after REGULAB_EVENT_STREAM_SECONDS: "
        "reconnect with Last-Event-ID to go on.",
        "content": {
            "text/event-stream": {
                "schema": {
                    "type": "object",
                    "required": ["id", "event", "data"],
                    "properties": {
                        "id": {"type": "string", "description": "The event's id."},
                        "event": {"type": "string", "description": "The event's type."},
                        "data": {
                            "type": "string",
                            "contentMediaType": "application/json",
                            "contentSchema": {"$ref": "#/components/schemas/EventRead"},
                        },
                    },
                }
            }
        },
    },
    404: {"model": ErrorBody},
    410: {
        "model": ErrorBody,
        "description": "Events after Last-Event-ID were pruned (REGULAB_EVENT_RETENTION_DAYS).",
    },
}
LastEventId = Annotated[
    int,
    Header(
        alias="Last-Event-ID",
        ge=0,
        le=MAX_ID,
        description="The id of the last event seen: the stream goes on after it, with no event "
        "lost or repeated (EventSource sends it when it reconnects).",
    ),
]
After = Annotated[int, Query(ge=0, description="As Last-Event-ID, for clients that cannot set it.")]


async def _sse(events: AsyncIterator[EventRead]) -> AsyncIterator[ServerSentEvent]:
    async for event in events:
        yield ServerSentEvent(data=event.model_dump_json(), id=str(event.id), event=event.type)


#: (subject type, its collection, its path parameter, what its stream holds)
STREAMS: list[tuple[SubjectType, str, str, str]] = [
    ("job", "jobs", "job_id", "The job's events as they happen: queued, running, progress, "
     "each epoch (or stage, or fold), and its end."),
    ("scoring", "scorings", "scoring_id", "The scoring's events as they happen: queued, "
     "running, each chunk of rows, its end."),
    ("sweep", "sweeps", "sweep_id", "The sweep's events: each trial's end "
     "(sweep.task_finished, with its scores), then the sweep's."),
    ("comparison", "comparisons", "comparison_id", "The comparison's events: each trial's "
     "end, then the comparison's."),
]  # fmt: skip


def _add_stream(kind: SubjectType, collection: str, param: str, summary: str) -> None:
    async def stream(
        subject_id: Annotated[str, PathParam(alias=param)],
        ctx: ContextDep,
        owner: CallerDep,
        last_event_id: LastEventId = 0,
        after: After = 0,
    ) -> EventSourceResponse:
        events = await run_in_threadpool(
            ctx.events.open_stream, kind, subject_id, owner, last_event_id or after
        )
        return EventSourceResponse(_sse(events), ping=KEEPALIVE_SECONDS)

    stream.__doc__ = summary
    router.add_api_route(
        f"/v1/{collection}/{{{param}}}/events",
        stream,
        methods=["GET"],
        name=f"{kind}_events",
        response_class=EventSourceResponse,
        responses=STREAM,
    )


for _stream_of in STREAMS:
    _add_stream(*_stream_of)


@router.get("/v1/events", responses={410: STREAM[410]})
def list_events(
    ctx: ContextDep,
    owner: CallerDep,
    after: Annotated[int, Query(ge=0, le=MAX_ID, description="Events with ids above this.")] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> EventList:
    """All of the caller's events after ``after``, oldest first: for dashboards, and for
    clients that missed a stream."""
    return ctx.events.feed(owner, after, limit)
