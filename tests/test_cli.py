from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from service.cli import OpenBindError, build_parser, check_exposure
from service.config import Settings


def test_refuses_to_serve_open_beyond_loopback(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "service.cli", "api", "--host", "0.0.0.0", "--port", "8765"],
        env={"REGULAB_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode != 0
    assert "refusing to serve without API keys on 0.0.0.0" in out.stderr
    assert not (tmp_path / "regulab.db").exists()  # refused before touching anything


def test_open_on_loopback_says_so(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        check_exposure(Settings(host="127.0.0.1"))
    assert "WITHOUT API keys" in caplog.text


def test_open_beyond_loopback_needs_the_explicit_flag() -> None:
    with pytest.raises(OpenBindError):
        check_exposure(Settings(host="0.0.0.0"))
    args = build_parser().parse_args(["api", "--host", "0.0.0.0", "--allow-open"])
    check_exposure(Settings(host=args.host, allow_open=args.allow_open))
    check_exposure(Settings(host="0.0.0.0", api_keys="a-key-of-sixteen-chars"))


def test_keys_never_appear_in_the_settings_repr() -> None:
    settings = Settings(api_keys="a-key-of-sixteen-chars")
    assert "a-key-of-sixteen-chars" not in repr(settings)
    assert settings.as_env()["REGULAB_API_KEYS"] == "a-key-of-sixteen-chars"
