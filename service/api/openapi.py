"""The OpenAPI document: FastAPI's, plus what its generator does not write.

- A discriminated union's tag is required in each member's schema: pydantic needs the
  tag to pick the member, but leaves it out of ``required`` when it has a default.
- An optional form field is not null: a form cannot send null, it leaves the field out
  (pydantic would read a "null" sent for it as the text "null").
- An operation with a body may answer 413 (``BodySizeLimit``), and one that takes the
  API key may answer 401.
- Links, from each operation that creates a job, a sweep, a comparison or a dataset, and
  from each list, to the operations on that resource, and from a result to its artifacts,
  so a client (and a contract test) can follow ids instead of guessing them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI

Document = dict[str, Any]

ERROR_BODY: Document = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
UNAUTHORIZED: Document = {
    "description": "No API key, or not one of the server's (REGULAB_API_KEYS).",
    "headers": {"WWW-Authenticate": {"schema": {"type": "string", "const": "Bearer"}}},
    "content": ERROR_BODY,
}
TOO_LARGE: Document = {
    "description": "The body is larger than the server takes: REGULAB_MAX_BODY_BYTES, or "
    "REGULAB_MAX_UPLOAD_BYTES for an upload.",
    "content": ERROR_BODY,
}

#: (method, path) of each operation whose 2xx answer holds the ``id`` of a new resource,
#: and the path of the resource's collection.
CREATES: dict[tuple[str, str], str] = {
    ("post", "/v1/jobs"): "/v1/jobs",
    ("post", "/v1/jobs/{job_id}/retry"): "/v1/jobs",
    ("post", "/v1/sweeps"): "/v1/sweeps",
    ("post", "/v1/comparisons"): "/v1/comparisons",
    ("post", "/v1/datasets"): "/v1/datasets",
}


def install_openapi(app: FastAPI) -> None:
    """Make ``app.openapi()`` answer FastAPI's document, completed once."""
    generate: Callable[[], Document] = app.openapi

    def openapi() -> Document:
        if app.openapi_schema is None:
            complete(generate())  # FastAPI keeps it in app.openapi_schema
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def complete(document: Document) -> None:
    require_union_tags(document)
    forms_hold_no_null(document)
    for _, _, operation in operations(document):
        responses = operation["responses"]
        if "requestBody" in operation:
            responses.setdefault("413", TOO_LARGE)
        if operation.get("security"):
            responses.setdefault("401", UNAUTHORIZED)
    add_links(document)


def operations(document: Document) -> Iterator[tuple[str, str, Document]]:
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def require_union_tags(document: Document) -> None:
    schemas = document["components"]["schemas"]
    for node in _nodes(document):
        discriminator = node.get("discriminator")
        if not isinstance(discriminator, dict):
            continue
        tag = discriminator["propertyName"]
        for ref in discriminator.get("mapping", {}).values():
            member = schemas[ref.rsplit("/", 1)[1]]
            required = member.setdefault("required", [])
            if tag not in required:
                required.insert(0, tag)


def forms_hold_no_null(document: Document) -> None:
    schemas = document["components"]["schemas"]
    for _, _, operation in operations(document):
        content = operation.get("requestBody", {}).get("content", {})
        for media_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
            ref = content.get(media_type, {}).get("schema", {}).get("$ref")
            if ref is None:
                continue
            form = schemas[ref.rsplit("/", 1)[1]]
            for field in form["properties"].values():
                choices = [c for c in field.get("anyOf", []) if c != {"type": "null"}]
                if len(choices) == 1 and len(field["anyOf"]) == 2:
                    del field["anyOf"]
                    field.update(choices[0])


def _nodes(value: Any) -> Iterator[Document]:
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _nodes(item)
    elif isinstance(value, list):
        for item in value:
            yield from _nodes(item)


def add_links(document: Document) -> None:
    for (method, path), collection in CREATES.items():
        source = document["paths"][path][method]
        for status, response in source["responses"].items():
            if status.startswith("2") and "content" in response:
                _link(response, _item_operations(document, collection), "$response.body#/id")
        listing = document["paths"][collection].get("get")
        if listing is not None:
            _link(
                listing["responses"]["200"],
                _item_operations(document, collection),
                "$response.body#/items/0/id",
            )
    for path, method, operation in operations(document):
        artifacts = path.replace("/result", "/artifacts/{name}")
        if method == "get" and path.endswith("/result") and artifacts in document["paths"]:
            (param,) = _path_params(path)
            target = document["paths"][artifacts]["get"]
            links = operation["responses"]["200"].setdefault("links", {})
            links[target["operationId"]] = {
                "operationId": target["operationId"],
                "parameters": {
                    param: f"$request.path.{param}",
                    "name": "$response.body#/artifacts/0/name",
                },
            }


def _item_operations(document: Document, collection: str) -> list[tuple[str, Document]]:
    """The operations on one resource of ``collection``, each with its id's parameter."""
    found = []
    for path, _, operation in operations(document):
        if path.startswith(f"{collection}/{{"):
            found.append((_path_params(path)[0], operation))
    return found


def _link(response: Document, targets: list[tuple[str, Document]], id_expression: str) -> None:
    links = response.setdefault("links", {})
    for param, target in targets:
        links[target["operationId"]] = {
            "operationId": target["operationId"],
            "parameters": {param: id_expression},
        }


def _path_params(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]
