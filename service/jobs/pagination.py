"""Opaque cursors for keyset pagination over (created_at, id), newest first."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from service.tables import Job


class InvalidCursorError(ValueError):
    pass


def encode_cursor(job: Job) -> str:
    raw = json.dumps([job.created_at.isoformat(), job.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created, job_id = json.loads(raw)
        return datetime.fromisoformat(created), str(job_id)
    except (ValueError, TypeError, binascii.Error) as exc:
        raise InvalidCursorError("cursor is not one this service returned") from exc
