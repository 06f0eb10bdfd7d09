"""Where a webhook may point: http(s) to a public address, unless the server allows
private ones (REGULAB_WEBHOOK_ALLOW_PRIVATE, for a receiver on the same host or network).

Checked when a webhook is created, and again before every send on the addresses the
name resolves to then (a name that resolved to a public address at creation may resolve
to 127.0.0.1 later: DNS rebinding); the send connects to the address it checked.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeURLError(ValueError):
    """A webhook URL regulab will not send to; the message says why. ``retryable``: it
    may work later (its name did not resolve)."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


def split_url(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL, or UnsafeURLError."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeURLError(f"a webhook URL is http or https, not {parts.scheme or 'none'!r}")
    if not parts.hostname:
        raise UnsafeURLError("a webhook URL needs a host")
    if parts.username or parts.password:
        raise UnsafeURLError("a webhook URL may not hold a user or password")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeURLError(f"a webhook URL's port is not a number: {exc}") from None
    return parts.scheme, parts.hostname, port


def refusal(address: IPAddress) -> str | None:
    """Why ``address`` is not public, or None."""
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if address.is_private or address.is_reserved or address.is_unspecified:
        return "private"
    mapped = getattr(address, "ipv4_mapped", None)
    return refusal(mapped) if mapped is not None else None


def resolve(url: str, allow_private: bool) -> tuple[str, str, int, IPAddress]:
    """(scheme, host, port, address to connect to) of ``url``: every address its host
    resolves to must be public unless ``allow_private``; UnsafeURLError says which is not."""
    scheme, host, port = split_url(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UnsafeURLError(
            f"the webhook's host {host!r} does not resolve: {exc}", retryable=True
        ) from None
    # IPv4 first: a receiver on "localhost" more often listens on 127.0.0.1 than on ::1.
    addresses = sorted(
        {ipaddress.ip_address(info[4][0]) for info in infos}, key=lambda a: (a.version, a)
    )
    if not allow_private:
        for address in addresses:
            why = refusal(address)
            if why is not None:
                raise UnsafeURLError(
                    f"the webhook's host {host!r} resolves to {address}, a {why} address; "
                    "a server that sends to such addresses sets REGULAB_WEBHOOK_ALLOW_PRIVATE"
                )
    return scheme, host, port, addresses[0]
