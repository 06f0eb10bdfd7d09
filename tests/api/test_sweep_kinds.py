"""Sweeps and comparisons are rows of one table served by one router factory: an id
answers only under its own kind's URL, for every verb, and each kind answers with its
own schemas."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.config import Settings
from service.main import create_app
from tests.api.test_comparisons import COMPARISON
from tests.api.test_sweeps import SWEEP
from tests.factories import run_trials
from workers.runtime.job_runner import Outcome

BODIES: dict[str, dict[str, Any]] = {
    "sweeps": {**SWEEP, "grid": {"alpha": {"logspace": [-2, 1, 5]}}, "cv": {"folds": 2}},
    "comparisons": {
        **COMPARISON,
        "configurations": COMPARISON["configurations"][:2],
        "cv": {"folds": 2, "seed": 0},
    },
}
#: (its own URL, the other kind's)
KINDS = [
    pytest.param("sweeps", "comparisons", id="a sweep"),
    pytest.param("comparisons", "sweeps", id="a comparison"),
]
VERBS = ("get", "result", "artifact", "cancel", "delete")


def answers_under(client: TestClient, url: str, artifact: str) -> dict[str, int]:
    """Each verb on the row at ``url``: its status code."""
    return {
        "get": client.get(url).status_code,
        "result": client.get(f"{url}/result").status_code,
        "artifact": client.get(f"{url}/artifacts/{artifact}").status_code,
        "cancel": client.post(f"{url}/cancel").status_code,
        "delete": client.delete(url).status_code,
    }


@pytest.mark.parametrize(("own", "other"), KINDS)
def test_a_running_one_is_404_under_the_other_kind_and_keeps_running(
    client: TestClient, own: str, other: str
) -> None:
    row_id = client.post(f"/v1/{own}", json=BODIES[own]).json()["id"]
    wrong = answers_under(client, f"/v1/{other}/{row_id}", "any.png")
    assert wrong == dict.fromkeys(VERBS, 404)
    read = client.get(f"/v1/{own}/{row_id}").json()
    assert (read["status"], read["trials_done"]) == ("running", 0)  # not cancelled
    assert read["spec"]["kind"] == own.removesuffix("s")
    assert client.get(f"/v1/{own}/{row_id}/result").status_code == 409
    assert client.delete(f"/v1/{own}/{row_id}").status_code == 409
    cancelled = client.post(f"/v1/{own}/{row_id}/cancel").json()
    assert cancelled["status"] == "cancelled"
    assert cancelled["trials_done"] == cancelled["trials_total"]  # queued trials end at once


@pytest.mark.parametrize(("own", "other"), KINDS)
def test_a_finished_one_is_404_under_the_other_kind_and_keeps_its_result(
    client: TestClient, settings: Settings, own: str, other: str
) -> None:
    row_id = client.post(f"/v1/{own}", json=BODIES[own]).json()["id"]
    outcomes = run_trials(settings, row_id)
    assert outcomes and set(outcomes) == {Outcome.succeeded}
    result = client.get(f"/v1/{own}/{row_id}/result").json()
    artifact = result["artifacts"][0]
    assert artifact["url"] == f"/v1/{own}/{row_id}/artifacts/{artifact['name']}"

    wrong = answers_under(client, f"/v1/{other}/{row_id}", artifact["name"])
    assert wrong == dict.fromkeys(VERBS, 404)
    detail = client.get(f"/v1/{other}/{row_id}").json()["detail"]
    assert detail == f"no such {other.removesuffix('s')}: {row_id}"

    assert client.get(f"/v1/{own}/{row_id}").json()["status"] == "succeeded"
    assert client.get(f"/v1/{own}/{row_id}/result").json() == result
    assert client.get(artifact["url"]).content[:4] == b"\x89PNG"
    assert client.post(f"/v1/{own}/{row_id}/cancel").status_code == 409  # already finished
    assert client.delete(f"/v1/{own}/{row_id}").status_code == 204
    assert answers_under(client, f"/v1/{own}/{row_id}", artifact["name"]) == dict.fromkeys(
        VERBS, 404
    )


def test_each_kind_answers_with_its_own_schemas(tmp_path: Path) -> None:
    paths = create_app(Settings(data_dir=tmp_path)).openapi()["paths"]

    def answer(path: str, method: str, status: str = "200") -> str:
        content = paths[path][method]["responses"][status]["content"]["application/json"]
        ref: str = content["schema"]["$ref"]
        return ref.rsplit("/", 1)[-1]

    for kind, name in (("sweeps", "Sweep"), ("comparisons", "Comparison")):
        one = f"/v1/{kind}/{{{name.lower()}_id}}"
        assert answer(f"/v1/{kind}", "post", "202") == f"{name}Accepted"
        assert answer(f"/v1/{kind}", "get") == f"{name}List"
        assert answer(one, "get") == f"{name}Read"
        assert answer(f"{one}/cancel", "post") == f"{name}Read"
        assert answer(f"{one}/result", "get") == f"{name}Result"
        assert paths[f"{one}/artifacts/{{name}}"]["get"]["operationId"].startswith(
            f"get_{name.lower()}_artifact"
        )
