"""Standard Webhooks 1.0 signatures: ``v1,`` + base64(HMAC-SHA256(key, id.timestamp.body)),
where the key is the base64 after ``whsec_``."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

PREFIX = "whsec_"


def new_secret() -> str:
    """A fresh signing secret: 24 random bytes (the spec asks for 24 to 64)."""
    return PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def signature_header(secrets_: list[str], message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: one signature per secret still signing,
    space-separated (a receiver accepts the message if any of them verifies)."""
    return " ".join(sign(secret, message_id, timestamp, body) for secret in secrets_)
