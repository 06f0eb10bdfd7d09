"""Every request's id: the caller's ``X-Request-ID`` (when it is a plain id) or a new one,
set for the request's log lines and the jobs it publishes, and echoed in the response."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.logs import request_id, request_id_from

HEADER = b"x-request-id"


class RequestIds:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k == HEADER), None)
        rid = request_id_from(given.decode("latin-1") if given is not None else None)
        token = request_id.set(rid)

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (HEADER, rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            request_id.reset(token)
