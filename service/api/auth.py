"""API keys: ``Authorization: Bearer <key>``; each key is an owner of jobs.

Keys are compared in constant time and never stored or logged: a job records
``owner``, a hash of the key that created it.
"""

from __future__ import annotations

import hashlib
import hmac

from fastapi import HTTPException, status

ANONYMOUS = "anonymous"


def owner_of(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:32]


class ApiKeys:
    def __init__(self, keys: list[str]) -> None:
        self._keys = [(key.encode(), owner_of(key)) for key in keys]

    @property
    def enabled(self) -> bool:
        return bool(self._keys)

    def owner(self, key: str | None) -> str:
        """The caller's owner id, for the ``key`` of ``Authorization: Bearer <key>`` (None
        when the header is missing or not Bearer); raises 401 unless it is a configured key."""
        if not self._keys:
            return ANONYMOUS
        if key is None:
            raise _unauthorized("send Authorization: Bearer <API key>")
        presented = key.encode()
        found = None
        # No early exit: the time does not depend on which key matches.
        for configured, owner in self._keys:
            if hmac.compare_digest(presented, configured):
                found = owner
        if found is None:
            raise _unauthorized("the API key is not valid")
        return found


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=detail,
        headers={"WWW-Authenticate": "Bearer"},
    )
