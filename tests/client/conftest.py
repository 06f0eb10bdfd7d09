from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from service.config import Settings
from service.main import create_app


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """The app on a real store and a real broker (both backends)."""
    with TestClient(create_app(settings)) as client:
        yield client
