"""RegistryStore: registered models, their versions and aliases, each change in one
transaction.

Every change locks its model's row first (``SELECT ... FOR UPDATE`` on PostgreSQL; a
write transaction holds SQLite's write lock from BEGIN), so changes to one model happen
one at a time: two versions added at once get distinct numbers, and an alias cannot be
pointed at a version that is being deleted. Numbers come from the model's
``last_version``, never from the versions left, so a number is never given twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api_schemas.registry import DEFAULT_ALIAS
from service.db import make_session_factory, transaction, utcnow
from service.tables import Job, ModelAlias, ModelVersion, RegisteredModel


class ModelNotFoundError(LookupError):
    """No such model of the caller's, or no such version or alias of it."""


class ModelConflictError(RuntimeError):
    """The change contradicts what is stored (a name taken, a version an alias uses)."""


@dataclass(frozen=True)
class ModelRecord:
    """A model with its aliases (alias to version) and its latest version number;
    ``versions`` (oldest first) where the read asked for them."""

    model: RegisteredModel
    aliases: dict[str, int]
    latest: int | None
    versions: list[ModelVersion] | None = None


@dataclass(frozen=True)
class AliasMove:
    """What pointing an alias at ``version`` changed: the version it pointed at before."""

    version: ModelVersion
    previous: ModelVersion | None


@dataclass(frozen=True)
class ResolvedVersion:
    """The version a prediction uses, and the alias that chose it (None: by number, or
    the latest for want of a production alias)."""

    version: ModelVersion
    alias: str | None


class RegistryStore:
    def __init__(self, engine: Engine) -> None:
        self.sessions = make_session_factory(engine)

    def create(self, owner: str, name: str) -> RegisteredModel:
        model = RegisteredModel(owner=owner, name=name, last_version=0, created_at=utcnow())
        try:
            with transaction(self.sessions) as session:
                if _model(session, owner, name) is not None:
                    raise ModelConflictError(f"model {name} exists")
                session.add(model)
        except IntegrityError as exc:  # the same name won a race a moment ago
            raise ModelConflictError(f"model {name} exists") from exc
        return model

    def get(self, owner: str, name: str) -> ModelRecord:
        with self.sessions() as session:
            model = _found(_model(session, owner, name), name)
            versions = list(
                session.scalars(
                    select(ModelVersion)
                    .where(ModelVersion.model_id == model.id)
                    .order_by(ModelVersion.version)
                )
            )
            return ModelRecord(
                model=model,
                aliases=_aliases(session, [model.id]).get(model.id, {}),
                latest=versions[-1].version if versions else None,
                versions=versions,
            )

    def list_models(
        self, owner: str, after: str | None = None, limit: int | None = None
    ) -> list[ModelRecord]:
        """The caller's models by name (those after ``after``; ``limit`` of them), without
        their versions."""
        query = (
            select(RegisteredModel)
            .where(RegisteredModel.owner == owner)
            .order_by(RegisteredModel.name)
        )
        if after is not None:
            query = query.where(RegisteredModel.name > after)
        if limit is not None:
            query = query.limit(limit)
        with self.sessions() as session:
            models = list(session.scalars(query))
            ids = [m.id for m in models]
            latest = {
                model_id: number
                for model_id, number in session.execute(
                    select(ModelVersion.model_id, func.max(ModelVersion.version))
                    .where(ModelVersion.model_id.in_(ids))
                    .group_by(ModelVersion.model_id)
                )
            }
            aliases = _aliases(session, ids)
        return [ModelRecord(m, aliases.get(m.id, {}), latest.get(m.id)) for m in models]

    def delete(self, owner: str, name: str) -> None:
        """The model with its aliases and versions (their jobs stay)."""
        with transaction(self.sessions) as session:
            model = _locked(session, owner, name)
            session.execute(delete(ModelAlias).where(ModelAlias.model_id == model.id))
            session.execute(delete(ModelVersion).where(ModelVersion.model_id == model.id))
            session.execute(delete(RegisteredModel).where(RegisteredModel.id == model.id))

    def add_version(
        self, owner: str, name: str, job_id: str, input_of: Callable[[Job], dict[str, Any]]
    ) -> tuple[ModelVersion, ModelVersion | None]:
        """Version ``last_version + 1`` of the model, pointing at the caller's job, with
        ``input_of(job)`` as its input schema (``input_of`` raises to refuse the job);
        returns it and the latest version before it. The job's row is share-locked, so a
        delete of the job waits for this and then sees the version (and refuses)."""
        with transaction(self.sessions) as session:
            model = _locked(session, owner, name)
            job = session.scalars(
                select(Job).where(Job.id == job_id, Job.owner == owner).with_for_update(read=True)
            ).one_or_none()
            if job is None:
                raise ModelNotFoundError(f"job: {job_id}")
            model_input = input_of(job)
            previous = session.scalars(
                select(ModelVersion)
                .where(ModelVersion.model_id == model.id)
                .order_by(ModelVersion.version.desc())
                .limit(1)
            ).one_or_none()
            model.last_version += 1
            version = ModelVersion(
                model_id=model.id,
                version=model.last_version,
                job_id=job_id,
                input=model_input,
                created_at=utcnow(),
            )
            session.add(version)
        return version, previous

    def get_version(self, owner: str, name: str, number: int) -> tuple[ModelVersion, list[str]]:
        """The version and the aliases that point at it."""
        with self.sessions() as session:
            model = _found(_model(session, owner, name), name)
            version = _version(session, model, number)
            aliases = _aliases(session, [model.id]).get(model.id, {})
        return version, sorted(a for a, v in aliases.items() if v == number)

    def delete_version(self, owner: str, name: str, number: int) -> None:
        """Refused (ModelConflictError) while an alias points at the version."""
        with transaction(self.sessions) as session:
            model = _locked(session, owner, name)
            version = _version(session, model, number)
            aliases = sorted(
                session.scalars(
                    select(ModelAlias.alias).where(
                        ModelAlias.model_id == model.id, ModelAlias.version == number
                    )
                )
            )
            if aliases:
                raise ModelConflictError(
                    f"version {number} of model {name} is what {', '.join(aliases)} "
                    "points at; point the alias elsewhere or delete it first"
                )
            session.delete(version)

    def set_alias(self, owner: str, name: str, alias: str, number: int) -> AliasMove:
        with transaction(self.sessions) as session:
            model = _locked(session, owner, name)
            version = _version(session, model, number)
            row = session.get(ModelAlias, (model.id, alias))
            if row is None:
                session.add(ModelAlias(model_id=model.id, alias=alias, version=number))
                return AliasMove(version, None)
            previous = _version(session, model, row.version)
            row.version = number
            return AliasMove(version, previous)

    def delete_alias(self, owner: str, name: str, alias: str) -> None:
        with transaction(self.sessions) as session:
            model = _locked(session, owner, name)
            row = session.get(ModelAlias, (model.id, alias))
            if row is None:
                raise ModelNotFoundError(f"alias {alias} of model {name}")
            session.delete(row)

    def resolve(
        self, owner: str, name: str, *, alias: str | None, number: int | None
    ) -> ResolvedVersion:
        """The version a prediction uses: ``number``, or ``alias``'s, or else the
        ``production`` alias's, or else the latest. Each is one statement, so an alias
        moving meanwhile gives the version before or the version after, never neither."""
        with self.sessions() as session:
            model = _found(_model(session, owner, name), name)
            if number is not None:
                return ResolvedVersion(_version(session, model, number), None)
            chosen = _aliased(session, model, alias or DEFAULT_ALIAS)
            if chosen is not None:
                return ResolvedVersion(chosen, alias or DEFAULT_ALIAS)
            if alias is not None:
                raise ModelNotFoundError(f"alias {alias} of model {name}")
            latest = session.scalars(
                select(ModelVersion)
                .where(ModelVersion.model_id == model.id)
                .order_by(ModelVersion.version.desc())
                .limit(1)
            ).one_or_none()
            if latest is None:
                raise ModelConflictError(
                    f"model {name} has no versions yet; add one (POST /v1/models/{name}/versions)"
                )
            return ResolvedVersion(latest, None)


def _model(session: Session, owner: str, name: str) -> RegisteredModel | None:
    return session.scalars(
        select(RegisteredModel).where(RegisteredModel.owner == owner, RegisteredModel.name == name)
    ).one_or_none()


def _found(model: RegisteredModel | None, name: str) -> RegisteredModel:
    if model is None:
        raise ModelNotFoundError(f"model: {name}")
    return model


def _locked(session: Session, owner: str, name: str) -> RegisteredModel:
    """The caller's model, its row locked until the transaction ends."""
    model = session.scalars(
        select(RegisteredModel)
        .where(RegisteredModel.owner == owner, RegisteredModel.name == name)
        .with_for_update()
    ).one_or_none()
    return _found(model, name)


def _version(session: Session, model: RegisteredModel, number: int) -> ModelVersion:
    version = session.get(ModelVersion, (model.id, number))
    if version is None:
        raise ModelNotFoundError(f"version {number} of model {model.name}")
    return version


def _aliased(session: Session, model: RegisteredModel, alias: str) -> ModelVersion | None:
    return session.scalars(
        select(ModelVersion)
        .join(
            ModelAlias,
            (ModelAlias.model_id == ModelVersion.model_id)
            & (ModelAlias.version == ModelVersion.version),
        )
        .where(ModelAlias.model_id == model.id, ModelAlias.alias == alias)
    ).one_or_none()


def _aliases(session: Session, model_ids: list[int]) -> dict[int, dict[str, int]]:
    """Each model's aliases, alias to version, by model id."""
    found: dict[int, dict[str, int]] = {}
    rows = session.execute(
        select(ModelAlias.model_id, ModelAlias.alias, ModelAlias.version)
        .where(ModelAlias.model_id.in_(model_ids))
        .order_by(ModelAlias.alias)
    )
    for model_id, alias, version in rows:
        found.setdefault(model_id, {})[alias] = version
    return found
