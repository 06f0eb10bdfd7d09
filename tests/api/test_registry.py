"""Named models: versions point at succeeded jobs, aliases at versions, and predictions
through a name use one version per request while ``production`` moves; names are the
caller's own."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import threadpoolctl
from fastapi.testclient import TestClient

from service.config import Settings
from service.main import create_app
from tests.api.test_auth import ALICE, BOB, auth
from tests.factories import job_body
from tests.reference import L1_JOB, L2_JOB
from workers.runtime.job_runner import Outcome, WorkerContext, run_job

ROWS = {"instances": [[0.1], [0.5], [0.9], [1.7]]}
#: A job whose model takes 10 features, not seed_linear's one.
DIABETES = job_body(dataset={"name": "diabetes"}, split={"test_fraction": 0.25, "seed": 1})


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    with threadpoolctl.threadpool_limits(limits=1):
        yield


def exported_job(client: TestClient, settings: Settings, body: dict[str, Any]) -> str:
    """A job run to success in this process, whose model is exported (else the test is
    skipped: the worker's export is what a version needs)."""
    response = client.post("/v1/jobs", json={**body, "baseline": False})
    assert response.status_code == 202, response.text
    job_id: str = response.json()["id"]
    assert run_job(WorkerContext.from_settings(settings), job_id, "w/1") is Outcome.succeeded
    if client.get(f"/v1/jobs/{job_id}/result").json()["export"] is None:
        pytest.skip("this tree's workers do not export models yet (issue 12, worker side)")
    return job_id


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def add_version(client: TestClient, name: str, job_id: str) -> Any:
    return ok(client.post(f"/v1/models/{name}/versions", json={"job_id": job_id}), 201)


def point(client: TestClient, name: str, alias: str, version: int) -> Any:
    return ok(client.put(f"/v1/models/{name}/aliases/{alias}", json={"version": version}))


def predict(client: TestClient, name: str, **params: Any) -> Any:
    return ok(client.post(f"/v1/models/{name}/predictions", json=ROWS, params=params))


def test_moving_production_changes_the_predictions_and_no_request_sees_a_mix(
    client: TestClient, settings: Settings
) -> None:
    jobs = {1: exported_job(client, settings, L1_JOB), 2: exported_job(client, settings, L2_JOB)}
    expected = {
        number: ok(client.post(f"/v1/jobs/{job_id}/predictions", json=ROWS))["predictions"]
        for number, job_id in jobs.items()
    }
    assert expected[1] != expected[2]  # the retrained model predicts otherwise
    ok(client.post("/v1/models", json={"name": "houses"}), 201)
    first = add_version(client, "houses", jobs[1])
    assert (first["version"], first["schema_changed"]) == (1, False)
    assert first["input"] == {**first["input"], "kind": "array", "features": 1}
    answer = predict(client, "houses")  # no production alias: the latest version
    assert (answer["version"], answer["alias"], answer["job_id"]) == (1, None, jobs[1])
    assert answer["predictions"] == expected[1]
    assert add_version(client, "houses", jobs[2])["schema_changed"] is False
    assert predict(client, "houses")["predictions"] == expected[2]

    moved = point(client, "houses", "production", 1)
    assert moved == {
        "alias": "production",
        "version": 1,
        "previous_version": None,
        "schema_changed": False,
    }
    answer = predict(client, "houses")
    assert (answer["version"], answer["alias"]) == (1, "production")
    assert answer["predictions"] == expected[1]
    assert predict(client, "houses", version=2)["predictions"] == expected[2]
    assert predict(client, "houses", alias="production")["predictions"] == expected[1]

    stop = threading.Event()

    def call_until_stopped() -> list[Any]:
        answers = []
        while not stop.is_set():
            answers.append(predict(client, "houses"))
        return answers

    with ThreadPoolExecutor(3) as pool:
        callers = [pool.submit(call_until_stopped) for _ in range(3)]
        try:
            for number in [2, 1, 2, 1, 2]:
                assert point(client, "houses", "production", number)["version"] == number
                assert predict(client, "houses")["predictions"] == expected[number]
        finally:
            stop.set()
        answers = [a for caller in callers for a in caller.result()]
    assert answers
    for answer in answers:  # each request: one version's predictions, the one it names
        assert answer["alias"] == "production"
        assert answer["job_id"] == jobs[answer["version"]]
        assert answer["predictions"] == expected[answer["version"]]


def test_versions_are_numbered_once_and_report_an_input_schema_change(
    client: TestClient, settings: Settings
) -> None:
    one, two = exported_job(client, settings, L1_JOB), exported_job(client, settings, DIABETES)
    ok(client.post("/v1/models", json={"name": "houses"}), 201)
    assert [add_version(client, "houses", one)["version"] for _ in range(2)] == [1, 2]
    assert client.delete("/v1/models/houses/versions/2").status_code == 204
    changed = add_version(client, "houses", two)
    assert (changed["version"], changed["schema_changed"]) == (3, True)  # 2 is never reused
    assert changed["input"]["features"] == 10
    point(client, "houses", "production", 1)
    moved = point(client, "houses", "production", 3)
    assert (moved["previous_version"], moved["schema_changed"]) == (1, True)
    assert point(client, "houses", "production", 3)["schema_changed"] is False

    model = ok(client.get("/v1/models/houses"))
    assert (model["latest_version"], model["aliases"]) == (3, {"production": 3})
    assert [(v["version"], v["job_id"], v["aliases"]) for v in model["versions"]] == [
        (1, one, []),
        (3, two, ["production"]),
    ]
    assert ok(client.get("/v1/models/houses/versions/3"))["aliases"] == ["production"]
    (listed,) = ok(client.get("/v1/models"))["items"]
    assert listed == {key: model[key] for key in listed}
    short = client.post("/v1/models/houses/predictions", json=ROWS)  # 1 feature, not 10
    assert short.status_code == 422 and short.json()["detail"][0]["type"] == "invalid_input"


def test_deletes_and_conflicts(client: TestClient, settings: Settings) -> None:
    job_id = exported_job(client, settings, L1_JOB)
    ok(client.post("/v1/models", json={"name": "houses"}), 201)
    taken = client.post("/v1/models", json={"name": "houses"})
    assert taken.status_code == 409 and "exists" in taken.json()["detail"]
    empty = client.post("/v1/models/houses/predictions", json=ROWS)
    assert empty.status_code == 409 and "no versions" in empty.json()["detail"]

    queued = client.post("/v1/jobs", json=job_body()).json()["id"]
    for job, status, words in [
        (queued, 409, "queued; a version must be a succeeded job"),
        ("no-such-job", 404, "no such job: no-such-job"),
    ]:
        refused = client.post("/v1/models/houses/versions", json={"job_id": job})
        assert refused.status_code == status and words in refused.json()["detail"], refused.text
    add_version(client, "houses", job_id)
    point(client, "houses", "staging", 1)

    for method, path, status, words in [
        ("DELETE", "/v1/models/houses/versions/1", 409, "staging points at"),
        ("DELETE", f"/v1/jobs/{job_id}", 409, "version 1 of model houses"),
        ("DELETE", "/v1/models/houses/versions/7", 404, "no such version 7 of model houses"),
        ("DELETE", "/v1/models/houses/aliases/production", 404, "no such alias production"),
        ("PUT", "/v1/models/houses/aliases/production", 404, "no such version 7"),
        ("POST", "/v1/models/houses/predictions?alias=canary", 404, "no such alias canary"),
        ("POST", "/v1/models/houses/predictions?version=7", 404, "no such version 7"),
    ]:
        body = {"version": 7} if method == "PUT" else ROWS if method == "POST" else None
        response = client.request(method, path, json=body)
        assert response.status_code == status, (path, response.text)
        assert words in response.json()["detail"], (path, response.text)
    both = client.post("/v1/models/houses/predictions?alias=staging&version=1", json=ROWS)
    assert both.status_code == 422
    assert both.json()["detail"][0]["loc"] == ["query", "version"]
    assert predict(client, "houses", alias="staging")["version"] == 1
    assert predict(client, "houses")["alias"] is None  # no production: the latest

    assert client.delete("/v1/models/houses/aliases/staging").status_code == 204
    assert client.delete("/v1/models/houses/versions/1").status_code == 204
    assert ok(client.get("/v1/models/houses"))["versions"] == []
    add_version(client, "houses", job_id)
    point(client, "houses", "production", 2)
    assert client.delete("/v1/models/houses").status_code == 204  # versions, aliases and all
    for path in ("/v1/models/houses", "/v1/models/houses/versions/2"):
        assert client.get(path).status_code == 404
    assert ok(client.get("/v1/models"))["items"] == []
    assert client.delete(f"/v1/jobs/{job_id}").status_code == 204  # no version holds it now


@pytest.mark.parametrize(
    ("method", "path", "body", "loc"),
    [
        ("POST", "/v1/models", {"name": "Houses"}, ["body", "name"]),
        ("POST", "/v1/models", {"name": "-houses"}, ["body", "name"]),
        ("POST", "/v1/models", {"name": "h" * 65}, ["body", "name"]),
        ("POST", "/v1/models", {"name": ""}, ["body", "name"]),
        ("POST", "/v1/models", {"name": "houses", "owner": "x"}, ["body", "owner"]),
        ("GET", "/v1/models/Houses", None, ["path", "name"]),
        ("PUT", "/v1/models/houses/aliases/Prod", {"version": 1}, ["path", "alias"]),
        ("PUT", "/v1/models/houses/aliases/prod", {"version": 0}, ["body", "version"]),
        ("DELETE", "/v1/models/houses/versions/0", None, ["path", "version"]),
        ("POST", "/v1/models/houses/versions", {}, ["body", "job_id"]),
    ],
)
def test_a_name_or_alias_off_the_rule_is_a_422_naming_it(
    client: TestClient, method: str, path: str, body: Any, loc: list[str]
) -> None:
    response = client.request(method, path, json=body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == loc


def test_models_are_listed_by_name_a_page_at_a_time(client: TestClient) -> None:
    names = ["delta", "alpha", "echo", "charlie", "bravo"]
    for name in names:
        ok(client.post("/v1/models", json={"name": name}), 201)
    seen, cursor, pages = [], "", 0
    while cursor is not None:
        page = ok(client.get("/v1/models", params={"limit": 2, "cursor": cursor}))
        seen += [m["name"] for m in page["items"]]
        cursor, pages = page["next_cursor"], pages + 1
    assert (seen, pages) == (sorted(names), 3)
    whole = ok(client.get("/v1/models"))
    assert [m["name"] for m in whole["items"]] == sorted(names) and whole["next_cursor"] is None
    for bad in ("nonsense", "W1siY3JlYXRlZCJd"):
        response = client.get("/v1/models", params={"cursor": bad})
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["query", "cursor"]
    assert client.get("/v1/models", params={"limit": 201}).status_code == 422


@pytest.fixture
def keyed(settings: Settings) -> Iterator[TestClient]:
    keyed_settings = Settings.model_validate(
        {**settings.model_dump(), "api_keys": f"{ALICE},{BOB}"}
    )
    with TestClient(create_app(keyed_settings)) as client:
        yield client


def test_two_callers_cannot_see_each_others_names(keyed: TestClient) -> None:
    alice, bob = auth(ALICE), auth(BOB)
    assert keyed.post("/v1/models", json={"name": "houses"}).status_code == 401
    ok(keyed.post("/v1/models", json={"name": "houses"}, headers=alice), 201)
    ok(keyed.post("/v1/models", json={"name": "prices"}, headers=alice), 201)
    alices_job = keyed.post("/v1/jobs", json=job_body(), headers=alice).json()["id"]
    for method, path, body in [
        ("GET", "/v1/models/prices", None),
        ("DELETE", "/v1/models/prices", None),
        ("POST", "/v1/models/prices/versions", {"job_id": alices_job}),
        ("GET", "/v1/models/prices/versions/1", None),
        ("DELETE", "/v1/models/prices/versions/1", None),
        ("PUT", "/v1/models/prices/aliases/production", {"version": 1}),
        ("DELETE", "/v1/models/prices/aliases/production", None),
        ("POST", "/v1/models/prices/predictions", ROWS),
    ]:
        response = keyed.request(method, path, json=body, headers=bob)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["detail"] == "no such model: prices"
    assert ok(keyed.get("/v1/models", headers=bob))["items"] == []

    ok(keyed.post("/v1/models", json={"name": "houses"}, headers=bob), 201)  # a name of its own
    refused = keyed.post("/v1/models/houses/versions", json={"job_id": alices_job}, headers=bob)
    assert (refused.status_code, refused.json()["detail"]) == (404, f"no such job: {alices_job}")
    assert [m["name"] for m in ok(keyed.get("/v1/models", headers=bob))["items"]] == ["houses"]
    assert keyed.delete("/v1/models/houses", headers=bob).status_code == 204
    names = [m["name"] for m in ok(keyed.get("/v1/models", headers=alice))["items"]]
    assert names == ["houses", "prices"]
