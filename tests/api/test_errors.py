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
