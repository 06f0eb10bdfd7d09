"""Opaque cursors for keyset pagination over (created_at, id), newest first."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import ColumnElement, and_, or_


class InvalidCursorError(ValueError):
    pass


class Keyed(Protocol):
    """A row listed newest first: a job, a sweep."""

    @property
    def created_at(self) -> datetime: ...

    @property
    def id(self) -> str: ...


RowT = TypeVar("RowT", bound=Keyed)


def encode_cursor(row: Keyed) -> str:
    raw = json.dumps([row.created_at.isoformat(), row.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created, row_id = json.loads(raw)
        return datetime.fromisoformat(created), str(row_id)
    except (ValueError, TypeError, binascii.Error) as exc:
        raise InvalidCursorError("cursor is not one this service returned") from exc


def older_than(cursor: str, created_at: Any, row_id: Any) -> ColumnElement[bool]:
    """The rows after ``cursor`` in (created_at, id) descending order: the next page."""
    created, last_id = decode_cursor(cursor)
    return or_(created_at < created, and_(created_at == created, row_id < last_id))


def encode_name_cursor(name: str) -> str:
    """A cursor for a list in name order: the last name of the page."""
    return base64.urlsafe_b64encode(json.dumps(["name", name]).encode()).decode().rstrip("=")


def decode_name_cursor(cursor: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        kind, name = json.loads(raw)
    except (ValueError, TypeError, binascii.Error) as exc:
        raise InvalidCursorError("cursor is not one this service returned") from exc
    if kind != "name" or not isinstance(name, str):
        raise InvalidCursorError("cursor is not one this service returned")
    return name


def page_of(rows: list[RowT], limit: int) -> tuple[list[RowT], str | None]:
    """The first ``limit`` of the ``limit + 1`` rows a store read, and the cursor to the
    older ones when there are more."""
    page = rows[:limit]
    return page, encode_cursor(page[-1]) if len(rows) > limit else None
