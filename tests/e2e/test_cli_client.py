"""The ``regulab`` client commands as a user runs them: the installed command, in a
process of its own, against the compose file's api and worker (embedded default), with
stdout not a terminal (so no colours and no bars)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.processes import Deployment, embedded_deployment

ESC = "\x1b["


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    with embedded_deployment(tmp_path_factory.mktemp("cli")) as d:
        yield d


def regulab(
    d: Deployment, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    command = Path(sys.executable).with_name("regulab")
    env = {**os.environ, "REGULAB_URL": d.base_url}
    return subprocess.run(
        [str(command), *args],
        check=False,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def ok(d: Deployment, *args: str) -> str:
    done = regulab(d, *args)
    assert done.returncode == 0, (done.stdout, done.stderr, d.logs())
    assert ESC not in done.stdout  # not a terminal: no colours
    return done.stdout


def test_submit_with_short_flags_waits_and_shows_the_result(running: Deployment) -> None:
    shown = ok(running, "jobs", "submit", "--dataset", "seed_linear", "--l1", "0.2",
               "--test-fraction", "0", "--wait")  # fmt: skip
    assert "succeeded: Lasso(alpha=0.2)" in shown
    assert "0.5749" in shown and "2.9811" in shown  # the article's slopes, side by side
    assert "fit_comparison.png" in shown


def test_json_everywhere(running: Deployment, tmp_path: Path) -> None:
    spec = tmp_path / "ridge.json"
    spec.write_text(json.dumps({
        "dataset": {"name": "seed_linear"}, "model": {"kind": "linear_regression"},
        "regularizers": [{"kind": "l2", "alpha": 1.0}], "split": {"test_fraction": 0.0},
    }))  # fmt: skip
    result: dict[str, Any] = json.loads(
        ok(running, "--json", "jobs", "submit", str(spec), "--wait")
    )
    assert result["estimator"] == "Ridge()"  # alpha 1.0 is its default
    assert round(result["coefficients"]["coef"][0], 3) == 2.661
    listed = json.loads(ok(running, "--json", "jobs", "list", "--limit", "1"))
    assert listed[0]["id"] == result["job_id"]
    history = json.loads(ok(running, "--json", "jobs", "history", result["job_id"]))
    assert [row["data"]["stage"] for row in history["items"]][-1] == "export"


def test_artifacts_are_downloaded_figures_included(running: Deployment, tmp_path: Path) -> None:
    job = json.loads(ok(running, "--json", "jobs", "submit", "--dataset", "seed_linear",
                        "--l1", "0.2", "--wait"))  # fmt: skip
    out = tmp_path / "files"
    ok(running, "jobs", "artifacts", job["job_id"], "-o", str(out))
    assert (out / "fit_comparison.png").read_bytes().startswith(b"\x89PNG")
    assert (out / "model.onnx").stat().st_size > 0


def test_a_bad_spec_exits_non_zero_naming_the_field(running: Deployment) -> None:
    done = regulab(running, "jobs", "submit", "--dataset", "seed_linear", "--l1", "-1")
    assert done.returncode == 1
    assert "body.regularizers.0.l1.alpha" in done.stderr
    missing = regulab(running, "jobs", "show", "no-such-job")
    assert missing.returncode == 1 and "404" in missing.stderr


def test_a_cancelled_job_s_watch_exits_non_zero(running: Deployment) -> None:
    queued = json.loads(ok(running, "--json", "jobs", "submit", "--dataset", "sparse_regression",
                           "--l1", "0.001"))  # fmt: skip
    regulab(running, "jobs", "cancel", queued["id"])
    done = regulab(running, "jobs", "watch", queued["id"])
    if "succeeded" not in done.stdout:  # the worker may have finished it first
        assert done.returncode == 1 and "cancelled" in done.stderr


def test_upload_preview_and_train_on_a_csv(running: Deployment, tmp_path: Path) -> None:
    table = tmp_path / "houses.csv"
    rows = "\n".join(f"{i},{i % 7},{2.5 * i + (i % 7)}" for i in range(60))
    table.write_text("size,rooms,price\n" + rows + "\n")
    upload = json.loads(
        ok(running, "--json", "datasets", "upload", str(table), "--target", "price")
    )
    assert (upload["rows"], upload["target"]) == (60, "price")
    preview = ok(running, "datasets", "preview", upload["id"], "--rows", "3")
    assert "size" in preview and "price" in preview
    result = json.loads(ok(running, "--json", "jobs", "submit", "--dataset-id", upload["id"],
                           "--l2", "0.1", "--wait"))  # fmt: skip
    assert result["coefficients"]["feature_names"] == ["size", "rooms"]


def test_a_sweep_waits_and_prints_its_result(running: Deployment, tmp_path: Path) -> None:
    sweep = {
        "base": {"dataset": {"name": "diabetes"}, "model": {"kind": "linear_regression"},
                 "regularizers": [{"kind": "l1", "alpha": 1.0}]},
        "grid": {"alpha": {"logspace": [-2, 1, 5]}},
        "cv": {"folds": 3},
    }  # fmt: skip
    done = regulab(running, "--json", "sweeps", "submit", "-", "--wait", stdin=json.dumps(sweep))
    assert done.returncode == 0, (done.stderr, running.logs())
    assert json.loads(done.stdout)["best"]["alpha"] > 0


def test_the_client_commands_need_nothing_of_the_server(running: Deployment) -> None:
    """As with only the bare distribution installed: the server's libraries cannot be
    imported, and ``regulab jobs list`` still works."""
    blocked = ["pydantic_settings", "sqlalchemy", "fastapi", "celery", "sklearn", "torch"]
    script = (
        "import sys\n"
        f"for name in {blocked!r}:\n"
        "    sys.modules[name] = None\n"
        "from service.cli import main\n"
        "sys.exit(main(['--json', 'jobs', 'list', '--limit', '1']))\n"
    )
    env = {**os.environ, "REGULAB_URL": running.base_url}
    done = subprocess.run(
        [sys.executable, "-c", script], check=False, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert isinstance(json.loads(done.stdout), list)
