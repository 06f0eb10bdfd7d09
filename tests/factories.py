"""Valid job specs; each test states only what differs."""

from __future__ import annotations

import copy
from typing import Any

from tests.reference import L1_JOB


def job_body(**changes: Any) -> dict[str, Any]:
    """The article's L1 job with top-level keys replaced."""
    body = copy.deepcopy(L1_JOB)
    body.update(changes)
    return body
