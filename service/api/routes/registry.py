"""Named models: a caller's names for trained models, their versions and aliases, and
predictions through them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, status
from fastapi.exceptions import RequestValidationError

from api_schemas import ErrorBody, ValidationErrorBody
from api_schemas.predictions import PredictionRequest
from api_schemas.registry import (
    NAME_MAX_LENGTH,
    NAME_PATTERN,
    AliasRead,
    AliasUpdate,
    ModelPredictionResponse,
    ModelVersionCreate,
    ModelVersionCreated,
    ModelVersionRead,
    RegisteredModelCreate,
    RegisteredModelList,
    RegisteredModelRead,
)
from service.api.deps import CallerDep, ContextDep
from service.api.json_body import JSONBodyRoute

router = APIRouter(prefix="/v1/models", tags=["models"], route_class=JSONBodyRoute)

RULE = "1-64 characters: a-z, 0-9, _ and -, starting with a letter or digit."
Name = Annotated[
    str,
    Path(min_length=1, max_length=NAME_MAX_LENGTH, pattern=NAME_PATTERN, description=RULE),
]
Alias = Name  # the same rule
Version = Annotated[int, Path(ge=1)]

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "No such model of the caller's (or version)."},
}
INVALID: dict[int | str, dict[str, Any]] = {422: {"model": ValidationErrorBody}}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={409: {"model": ErrorBody, "description": "The caller has a model of that name."}},
)
def create_model(
    body: RegisteredModelCreate, ctx: ContextDep, owner: CallerDep
) -> RegisteredModelRead:
    return ctx.registry.create(owner, body)


@router.get("", responses={422: {"model": ValidationErrorBody}})
def list_models(
    ctx: ContextDep,
    owner: CallerDep,
    cursor: Annotated[
        str | None,
        Query(
            description="next_cursor of the page before; empty or absent for the first page. "
            "A cursor this server did not make is a 422 of type invalid_cursor."
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> RegisteredModelList:
    """The caller's models by name, ``limit`` at a time."""
    return ctx.registry.list(owner, cursor, limit)


@router.get("/{name}", responses={**NOT_FOUND, **INVALID})
def get_model(name: Name, ctx: ContextDep, owner: CallerDep) -> RegisteredModelRead:
    return ctx.registry.get(owner, name)


@router.delete("/{name}", status_code=204, responses={**NOT_FOUND, **INVALID})
def delete_model(name: Name, ctx: ContextDep, owner: CallerDep) -> None:
    """Delete the name with its versions and aliases; their jobs stay."""
    ctx.registry.delete(owner, name)


@router.post(
    "/{name}/versions",
    status_code=status.HTTP_201_CREATED,
    responses={
        404: {"model": ErrorBody, "description": "No such model or job of the caller's."},
        409: {
            "model": ErrorBody,
            "description": "The job cannot be a version: it has not succeeded, it has no "
            "exported model (with the reason), or it is a trial of a sweep.",
        },
    },
)
def add_version(
    name: Name, body: ModelVersionCreate, ctx: ContextDep, owner: CallerDep
) -> ModelVersionCreated:
    """The next version number (never one given before, even after a delete), pointing at
    a succeeded job; its input schema is recorded, and ``schema_changed`` says whether it
    differs from the latest version's."""
    return ctx.registry.add_version(owner, name, body)


@router.get("/{name}/versions/{version}", responses={**NOT_FOUND, **INVALID})
def get_version(
    name: Name, version: Version, ctx: ContextDep, owner: CallerDep
) -> ModelVersionRead:
    return ctx.registry.get_version(owner, name, version)


@router.delete(
    "/{name}/versions/{version}",
    status_code=204,
    responses={
        **NOT_FOUND,
        **INVALID,
        409: {"model": ErrorBody, "description": "An alias points at the version."},
    },
)
def delete_version(name: Name, version: Version, ctx: ContextDep, owner: CallerDep) -> None:
    """Delete the version (its job can then be deleted); refused while an alias points at it."""
    ctx.registry.delete_version(owner, name, version)


@router.put("/{name}/aliases/{alias}", responses=NOT_FOUND)
def set_alias(
    name: Name, alias: Alias, body: AliasUpdate, ctx: ContextDep, owner: CallerDep
) -> AliasRead:
    """Point the alias at a version, creating the alias or moving it; ``schema_changed``
    says whether the version takes other input than the one the alias pointed at."""
    return ctx.registry.set_alias(owner, name, alias, body)


@router.delete("/{name}/aliases/{alias}", status_code=204, responses={**NOT_FOUND, **INVALID})
def delete_alias(name: Name, alias: Alias, ctx: ContextDep, owner: CallerDep) -> None:
    ctx.registry.delete_alias(owner, name, alias)


@dataclass(frozen=True)
class VersionChoice:
    alias: str | None
    version: int | None


def version_choice(
    alias: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=NAME_MAX_LENGTH,
            pattern=NAME_PATTERN,
            description="Predict with the version this alias points at.",
        ),
    ] = None,
    version: Annotated[int | None, Query(ge=1, description="Predict with this version.")] = None,
) -> VersionChoice:
    """Which version predicts: ``alias`` or ``version``, not both (a 422 of type
    invalid_spec); neither is the production alias, or else the latest version."""
    if alias is not None and version is not None:
        raise RequestValidationError(
            [
                {
                    "loc": ("query", "version"),
                    "msg": "give alias or version, not both",
                    "type": "invalid_spec",
                }
            ]
        )
    return VersionChoice(alias, version)


@router.post(
    "/{name}/predictions",
    responses={
        404: {"model": ErrorBody, "description": "No such model, version or alias."},
        409: {
            "model": ErrorBody,
            "description": "The model has no versions yet (and no version or alias was asked).",
        },
        422: {
            "model": ValidationErrorBody,
            "description": "Both alias and version (type invalid_spec), or input the model "
            "cannot take (type invalid_input), as for POST /v1/jobs/{job_id}/predictions.",
        },
    },
)
def predict(
    name: Name,
    body: PredictionRequest,
    ctx: ContextDep,
    owner: CallerDep,
    choice: Annotated[VersionChoice, Depends(version_choice)],
) -> ModelPredictionResponse:
    """Predict with one version of the model: ``?version=``, ``?alias=``, or by default the
    ``production`` alias, else the latest version. The answer names the version."""
    return ctx.registry.predict(owner, name, body, alias=choice.alias, version=choice.version)
