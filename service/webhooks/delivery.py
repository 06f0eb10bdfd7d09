"""Sending one delivery, and what its answer makes of it (workers only: httpx).

A send connects to the address ``addresses.resolve`` checked (the Host header and TLS
name stay the URL's), follows no redirect, gives up after the timeout, and reads at most
1 KB of the answer. 2xx: delivered. A timeout, a connection error, 408, 429 or 5xx:
tried again after the schedule's delay (with jitter, or the answer's Retry-After when
longer), until the last attempt. Anything else (another 4xx, a redirect, an address the
server refuses): failed at once.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from pydantic_core import to_jsonable_python

from service.db import utcnow
from service.tables import Webhook, WebhookDelivery
from service.webhooks.addresses import UnsafeURLError, resolve
from service.webhooks.signing import signature_header
from service.webhooks.store import Verdict, WebhookStore

log = logging.getLogger(__name__)

#: What is kept of an answer's body.
RESPONSE_BYTES = 1024
#: The longest a Retry-After is honoured for.
MAX_RETRY_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class DeliveryPolicy:
    allow_private: bool
    max_attempts: int
    delays: tuple[float, ...]
    disable_after: timedelta
    timeout: float


@dataclass(frozen=True)
class Answer:
    """What one attempt got: a status (None when no answer came), or an error."""

    status_code: int | None
    duration_ms: float
    error: str | None = None
    response: str | None = None
    retry_after: float | None = None
    retryable: bool = False

    def as_attempt(self, attempt: int, at: datetime) -> dict[str, Any]:
        return {
            "attempt": attempt,
            "at": to_jsonable_python(at),
            "status_code": self.status_code,
            "duration_ms": round(self.duration_ms, 3),
            "error": self.error,
            "response": self.response,
        }


def retryable_status(code: int) -> bool:
    return code in (408, 429) or code >= 500


class Deliverer:
    """Sends deliveries by id (a worker's task) and stores what came of each attempt."""

    def __init__(
        self, store: WebhookStore, policy: DeliveryPolicy, client: httpx.Client | None = None
    ) -> None:
        self.store, self.policy = store, policy
        self.client = client or httpx.Client(
            follow_redirects=False,
            trust_env=False,  # no proxy from the environment: the address checked is used
            timeout=httpx.Timeout(policy.timeout, connect=min(5.0, policy.timeout)),
        )

    def deliver(self, delivery_id: str) -> str | None:
        """One attempt at a pending delivery; its outcome (succeeded, retry, failed), or
        None when there was nothing to send (delivered already, or deleted)."""
        found = self.store.to_send(delivery_id)
        if found is None:
            return None
        delivery, hook = found
        attempt, at = len(delivery.attempts) + 1, utcnow()
        if not hook.enabled:
            answer = Answer(None, 0.0, error=f"the webhook is disabled: {hook.disabled_reason}")
        else:
            answer = self.send(delivery, hook)
        verdict = self.judge(answer, attempt)
        record = answer.as_attempt(attempt, at)
        self.store.record_attempt(delivery_id, record, verdict, self.policy.disable_after)
        log.info(
            "webhook %s delivery %s attempt %d: %s (%s)",
            hook.id,
            delivery_id,
            attempt,
            verdict.status,
            answer.status_code or answer.error,
        )
        return verdict.status

    def send(self, delivery: WebhookDelivery, hook: Webhook) -> Answer:
        body = json.dumps(delivery.payload, separators=(",", ":")).encode()
        timestamp = int(time.time())
        now = utcnow()
        keys = [hook.secret]
        expires = hook.previous_secret_expires_at
        if hook.previous_secret and expires is not None and expires > now:
            keys.append(hook.previous_secret)
        headers = {
            "content-type": "application/json",
            "user-agent": "regulab-webhooks/1",
            "webhook-id": delivery.id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature_header(keys, delivery.id, timestamp, body),
        }
        started = time.perf_counter()
        try:
            scheme, host, port, address = resolve(hook.url, self.policy.allow_private)
        except UnsafeURLError as exc:
            return Answer(None, _ms(started), error=str(exc), retryable=exc.retryable)
        url, extensions = _pinned(hook.url, scheme, host, port, address)
        headers["host"] = urlsplit(hook.url).netloc.rsplit("@", 1)[-1]
        try:
            with self.client.stream(
                "POST", url, content=body, headers=headers, extensions=extensions
            ) as response:
                kept = _read_some(response)
                code = response.status_code
                retry_after = _retry_after(response.headers.get("retry-after"))
        except httpx.TimeoutException as exc:
            return Answer(None, _ms(started), error=f"timed out: {exc!r}", retryable=True)
        except httpx.HTTPError as exc:
            return Answer(None, _ms(started), error=f"no answer: {exc!r}", retryable=True)
        error = None
        if not 200 <= code < 300:
            error = f"answered {code}"
            if 300 <= code < 400:
                error += " (a redirect: not followed)"
        return Answer(
            code,
            _ms(started),
            error=error,
            response=kept,
            retry_after=retry_after,
            retryable=retryable_status(code),
        )

    def judge(self, answer: Answer, attempt: int) -> Verdict:
        if answer.status_code is not None and 200 <= answer.status_code < 300:
            return Verdict("succeeded")
        if not answer.retryable or attempt >= self.policy.max_attempts:
            return Verdict("failed")
        delays = self.policy.delays
        delay = delays[min(attempt - 1, len(delays) - 1)] * random.uniform(0.8, 1.2)
        if answer.retry_after is not None:
            delay = max(delay, min(answer.retry_after, MAX_RETRY_AFTER.total_seconds()))
        return Verdict("retry", utcnow() + timedelta(seconds=delay))


def _pinned(
    url: str, scheme: str, host: str, port: int, address: Any
) -> tuple[str, dict[str, Any]]:
    """``url`` with its host replaced by the checked address; TLS still checks ``host``."""
    parts = urlsplit(url)
    literal = f"[{address}]" if isinstance(address, ipaddress.IPv6Address) else str(address)
    pinned = urlunsplit((scheme, f"{literal}:{port}", parts.path or "/", parts.query, ""))
    return pinned, ({"sni_hostname": host} if scheme == "https" else {})


def _read_some(response: httpx.Response) -> str:
    kept = b""
    for chunk in response.iter_raw():
        kept += chunk
        if len(kept) >= RESPONSE_BYTES:
            break
    return kept[:RESPONSE_BYTES].decode("utf-8", "replace")


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (seconds or an HTTP date)."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        return max(0.0, (parsedate_to_datetime(value) - utcnow()).total_seconds())
    except (TypeError, ValueError):
        return None


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
