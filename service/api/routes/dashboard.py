"""The dashboard: one page and its files (``service/dashboard``), served by the API on its
own port, no build step and nothing fetched from elsewhere. Not part of the API's
schema; the page reads everything through /v1 like any client."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

#: The page, its script and style, and the vendored chart library (uPlot, MIT).
DASHBOARD = Path(__file__).resolve().parents[2] / "dashboard"

router = APIRouter(include_in_schema=False)


@router.get("/")
def index() -> FileResponse:
    return FileResponse(DASHBOARD / "index.html", media_type="text/html")


def assets() -> StaticFiles:
    """Mounted at /ui: the page's script, style and vendored files."""
    return StaticFiles(directory=DASHBOARD)
