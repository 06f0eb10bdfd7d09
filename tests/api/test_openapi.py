"""The OpenAPI document states the rules the server enforces, the answers it can give,
and the links between operations (``service.api.openapi``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from pydantic import ValidationError

from api_schemas import DatasetRef
from api_schemas.grids import LogSpace
from service.config import Settings
from service.main import create_app

Document = dict[str, Any]


@pytest.fixture
def document(tmp_path: Path) -> Document:
    return create_app(Settings(data_dir=tmp_path)).openapi()


def operations(document: Document) -> list[tuple[str, str, Document]]:
    return [
        (method, path, operation)
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    ]


def accepts(schema: Document, value: Any) -> bool:
    return bool(jsonschema_rs.validator_for(schema).is_valid(value))


def discriminators(value: Any) -> list[Document]:
    if isinstance(value, list):
        return [found for item in value for found in discriminators(item)]
    if not isinstance(value, dict):
        return []
    here = [value["discriminator"]] if "discriminator" in value else []
    return here + [found for item in value.values() for found in discriminators(item)]


def test_each_member_of_a_discriminated_union_requires_its_tag(document: Document) -> None:
    """pydantic refuses a member without its tag, though the tag has a default."""
    schemas = document["components"]["schemas"]
    found = discriminators(document)
    assert {"l1", "mlp"} <= {tag for d in found for tag in d["mapping"]}
    for discriminator in found:
        for ref in discriminator["mapping"].values():
            member = schemas[ref.rsplit("/", 1)[1]]
            assert discriminator["propertyName"] in member["required"], ref


@pytest.mark.parametrize(
    "ref",
    [
        {"name": "seed_linear"},
        {"name": "seed_linear", "params": {"n_samples": 50}, "id": None, "features": None},
        {"id": "abc", "features": ["x"]},
        {"id": "abc", "params": {}, "name": None},
        {},
        {"name": "seed_linear", "id": "abc"},
        {"id": "abc", "params": {"n_samples": 50}},
        {"name": "seed_linear", "features": ["x"]},
        {"name": None, "id": None},
    ],
)
def test_the_dataset_schema_allows_what_the_model_accepts(
    document: Document, ref: Document
) -> None:
    try:
        DatasetRef.model_validate(ref)
        accepted = True
    except ValidationError:
        accepted = False
    assert accepts(document["components"]["schemas"]["DatasetRef"], ref) == accepted


@pytest.mark.parametrize(
    "logspace",
    [[-12, 12, 2], [-3, 1, 1000], [-13, 1, 5], [0, 13, 5], [0, 1, 1], [0, 1, 1001], [0, 1]],
)
def test_logspace_bounds_are_in_the_schema(document: Document, logspace: list[float]) -> None:
    """start < stop is the one rule left to the model (an invalid_spec 422)."""
    try:
        LogSpace.model_validate({"logspace": logspace})
        accepted = True
    except ValidationError:
        accepted = False
    assert accepts(document["components"]["schemas"]["LogSpace"], {"logspace": logspace}) == (
        accepted
    )


def test_every_v1_operation_takes_the_api_key_and_may_answer_401(document: Document) -> None:
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    for method, path, operation in operations(document):
        if path.startswith("/v1/"):
            assert operation["security"] == [{"HTTPBearer": []}], (method, path)
            assert "401" in operation["responses"], (method, path)
        else:
            assert "security" not in operation, (method, path)


def test_every_operation_with_a_body_may_answer_413_and_422(document: Document) -> None:
    with_body = [op for _, _, op in operations(document) if "requestBody" in op]
    assert len(with_body) >= 4  # jobs, sweeps, comparisons, datasets...
    for operation in with_body:
        assert {"413", "422"} <= set(operation["responses"]), operation["operationId"]


def test_an_optional_form_field_is_not_null(document: Document) -> None:
    form = document["components"]["schemas"]["Body_upload_dataset_v1_datasets_post"]
    assert form["properties"]["task"]["enum"] == ["regression", "classification"]
    assert "anyOf" not in form["properties"]["task"]


def test_a_created_job_links_to_what_can_be_done_with_it(document: Document) -> None:
    paths = document["paths"]
    on_a_job = {
        operation["operationId"]
        for _, path, operation in operations(document)
        if path.startswith("/v1/jobs/{job_id}")
    }
    for status in ("200", "202"):
        links = paths["/v1/jobs"]["post"]["responses"][status]["links"]
        assert set(links) == on_a_job
        assert links[paths["/v1/jobs/{job_id}/result"]["get"]["operationId"]] == {
            "operationId": paths["/v1/jobs/{job_id}/result"]["get"]["operationId"],
            "parameters": {"job_id": "$response.body#/id"},
        }
    result = paths["/v1/sweeps/{sweep_id}/result"]["get"]["responses"]["200"]
    (artifact,) = result["links"].values()
    assert artifact["parameters"] == {
        "sweep_id": "$request.path.sweep_id",
        "name": "$response.body#/artifacts/0/name",
    }
