"""Bad input answers 4xx naming the field, and the answer is JSON: a 422 echoes the input,
and NaN or infinity in it must not turn it into a 500."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import job_body

PLACEHOLDER = "__number__"
#: Tokens JSON parsers accept for numbers JSON cannot hold (1e309 overflows to infinity).
NON_FINITE = ["NaN", "Infinity", "-Infinity", "1e309"]

MLP: dict[str, Any] = {"kind": "mlp", "hidden": [8]}
#: (body with the placeholder where the number goes, the loc's tail that names the field).
FIELDS: list[tuple[str, dict[str, Any], tuple[str | int, ...]]] = [
    ("alpha", job_body(regularizers=[{"kind": "l2", "alpha": PLACEHOLDER}]), ("l2", "alpha")),
    (
        "l1_ratio",
        job_body(regularizers=[{"kind": "elastic_net", "alpha": 1, "l1_ratio": PLACEHOLDER}]),
        ("elastic_net", "l1_ratio"),
    ),
    ("test_fraction", job_body(split={"test_fraction": PLACEHOLDER}), ("test_fraction",)),
    (
        "tol",
        job_body(model={"kind": "linear_regression", "tol": PLACEHOLDER}),
        ("linear_regression", "tol"),
    ),
    (
        "momentum",
        job_body(
            dataset={"name": "digits"},
            model=MLP,
            regularizers=[],
            training={"momentum": PLACEHOLDER},
        ),
        ("training", "momentum"),
    ),
    (
        "dropout rate",
        job_body(
            dataset={"name": "digits"},
            model=MLP,
            regularizers=[{"kind": "dropout", "rate": PLACEHOLDER}],
        ),
        ("dropout", "rate"),
    ),
    (
        "rotation_degrees",
        job_body(
            dataset={"name": "digits"},
            model={"kind": "cnn"},
            regularizers=[{"kind": "data_augmentation", "rotation_degrees": PLACEHOLDER}],
        ),
        ("data_augmentation", "rotation_degrees"),
    ),
]


def post_raw(client: TestClient, url: str, body: dict[str, Any], token: str) -> Any:
    """POST ``body`` with ``token`` written as a bare number where the placeholder is."""
    content = json.dumps(body).replace(f'"{PLACEHOLDER}"', token)
    assert token in content
    return client.post(url, content=content, headers={"content-type": "application/json"})


def strict_json(text: str) -> Any:
    """Parse as JSON proper: NaN and Infinity are not JSON."""

    def refuse(token: str) -> Any:
        raise ValueError(f"{token} in the answer")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("token", NON_FINITE)
@pytest.mark.parametrize(("field", "body", "loc"), FIELDS, ids=[f[0] for f in FIELDS])
def test_a_non_finite_number_is_a_422_naming_its_field(
    client: TestClient, field: str, body: dict[str, Any], loc: tuple[str | int, ...], token: str
) -> None:
    response = post_raw(client, "/v1/jobs", body, token)
    assert response.status_code == 422, response.text
    errors = strict_json(response.text)["detail"]
    assert any(tuple(error["loc"][-len(loc) :]) == loc for error in errors), errors
    assert client.get("/v1/jobs").json()["items"] == []  # nothing stored


@pytest.mark.parametrize("token", NON_FINITE)
def test_a_non_finite_grid_value_is_a_422(client: TestClient, token: str) -> None:
    sweep = {
        "base": job_body(dataset={"name": "diabetes"}, split={"test_fraction": 0.2}),
        "grid": {"alpha": {"values": [PLACEHOLDER, 1.0]}},
    }
    response = post_raw(client, "/v1/sweeps", sweep, token)
    assert response.status_code == 422, response.text
    errors = strict_json(response.text)["detail"]
    # The grid is LogSpace | Values: the error under Values names the value's index.
    assert any(error["loc"][-2:] == ["values", 0] for error in errors), errors


@pytest.mark.parametrize(
    ("model", "field"),
    [
        ({"kind": "mlp", "hidden": [0]}, "hidden"),
        ({"kind": "mlp", "hidden": [16, -1]}, "hidden"),
        ({"kind": "cnn", "channels": [0, 8]}, "channels"),
        ({"kind": "mlp", "hidden": [10_000_000]}, "hidden"),
    ],
)
def test_a_layer_width_out_of_bounds_is_a_422(
    client: TestClient, model: dict[str, Any], field: str
) -> None:
    body = job_body(dataset={"name": "digits"}, model=model, regularizers=[])
    response = client.post("/v1/jobs", json=body)
    assert response.status_code == 422, response.text
    (error,) = response.json()["detail"]
    assert error["loc"][:4] == ["body", "model", model["kind"], field]


def test_a_405_allows_every_method_the_api_documents_at_the_path(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for template, operations in paths.items():
        path = re.sub(r"\{[^}]+\}", "x", template)
        response = client.options(path)
        assert response.status_code == 405, path
        allowed = set(response.headers["allow"].split(", "))
        assert allowed == {method.upper() for method in operations}, path


@pytest.mark.parametrize(
    ("url", "content_type", "body", "kind"),
    [
        ("/v1/jobs", "application/json", b'{"dataset": {"name": "\xff"}}', "json_invalid"),
        ("/v1/datasets", "multipart/form-data", b"no boundary", "body_invalid"),
        ("/v1/datasets", "multipart/form-data; boundary=x", b"not multipart", "body_invalid"),
    ],
    ids=["json not utf-8", "form without boundary", "form without parts"],
)
def test_a_body_that_cannot_be_read_is_a_422_naming_the_body(
    client: TestClient, url: str, content_type: str, body: bytes, kind: str
) -> None:
    response = client.post(url, content=body, headers={"content-type": content_type})
    assert response.status_code == 422, response.text
    (error,) = response.json()["detail"]
    assert (error["loc"], error["type"]) == (["body"], kind)


@pytest.mark.parametrize(
    ("changes", "loc"),
    [
        ({"baseline": 0}, ["body", "baseline"]),
        ({"baseline": "true"}, ["body", "baseline"]),
        ({"max_seconds": "60"}, ["body", "max_seconds"]),
        ({"max_seconds": True}, ["body", "max_seconds"]),
        ({"split": {"test_fraction": "0.5"}}, ["body", "split", "test_fraction"]),
    ],
)
def test_a_value_of_another_json_type_than_the_schema_says_is_a_422(
    client: TestClient, changes: dict[str, Any], loc: list[str]
) -> None:
    response = client.post("/v1/jobs", json=job_body(**changes))
    assert response.status_code == 422, response.text
    assert [error["loc"] for error in response.json()["detail"]] == [loc]


def test_an_integer_may_be_written_with_a_zero_fraction(client: TestClient) -> None:
    """JSON Schema's integer is any number without a fraction."""
    response = client.post("/v1/jobs", json=job_body(max_seconds=60.0))
    assert response.status_code == 202, response.text
    assert client.get(response.json()["url"]).json()["max_seconds"] == 60


SWEEP_BASE = job_body(dataset={"name": "diabetes"}, split={"test_fraction": 0.2})


@pytest.mark.parametrize(
    ("url", "body", "loc"),
    [
        (
            "/v1/sweeps",
            {"base": SWEEP_BASE, "grid": {"alpha": {"logspace": [1, 1, 5]}}},
            ["body", "grid", "alpha", "logspace"],
        ),
        (
            "/v1/comparisons",
            {
                "base": job_body(dataset={"name": "diabetes"}, regularizers=[]),
                "configurations": [{"name": "same"}, {"name": "same"}],
            },
            ["body"],
        ),
    ],
    ids=["logspace start not below stop", "configuration names repeated"],
)
def test_a_rule_the_schema_cannot_state_is_a_422_of_type_invalid_spec(
    client: TestClient, url: str, body: dict[str, Any], loc: list[str]
) -> None:
    response = client.post(url, json=body)
    assert response.status_code == 422, response.text
    (error,) = response.json()["detail"]
    assert (error["loc"], error["type"]) == (loc, "invalid_spec")


def test_a_cursor_this_server_did_not_make_is_a_422_of_type_invalid_cursor(
    client: TestClient,
) -> None:
    for url in ("/v1/jobs", "/v1/sweeps", "/v1/comparisons"):
        response = client.get(url, params={"cursor": "nonsense"})
        assert response.status_code == 422, response.text
        (error,) = response.json()["detail"]
        assert (error["loc"], error["type"]) == (["query", "cursor"], "invalid_cursor")
