"""RegistryService: the verbs the named-model routes call, one per route."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from api_schemas import JobStatus
from api_schemas.predictions import PredictionRequest
from api_schemas.registry import (
    AliasRead,
    AliasUpdate,
    ModelPredictionResponse,
    ModelVersionCreate,
    ModelVersionCreated,
    ModelVersionRead,
    RegisteredModelCreate,
    RegisteredModelList,
    RegisteredModelRead,
    RegisteredModelSummary,
)
from api_schemas.results import TrainingSummary
from service.jobs.service import JobStateError
from service.pagination import decode_name_cursor, encode_name_cursor
from service.predictions.service import PredictionService
from service.registry.store import ModelRecord, RegistryStore
from service.tables import Job, ModelVersion


@dataclass(frozen=True)
class RegistryService:
    """Built once per API process: the registry's rows, and the predictions service a
    version's job predicts through."""

    store: RegistryStore
    predictions: PredictionService

    def create(self, owner: str, body: RegisteredModelCreate) -> RegisteredModelRead:
        model = self.store.create(owner, body.name)
        return _read(ModelRecord(model, {}, None, []))

    def list(self, owner: str, cursor: str | None, limit: int) -> RegisteredModelList:
        """The caller's models by name, a page at a time."""
        after = decode_name_cursor(cursor) if cursor else None
        records = self.store.list_models(owner, after, limit + 1)
        page = records[:limit]
        more = len(records) > limit
        return RegisteredModelList(
            items=[_summary(r) for r in page],
            next_cursor=encode_name_cursor(page[-1].model.name) if more else None,
        )

    def get(self, owner: str, name: str) -> RegisteredModelRead:
        return _read(self.store.get(owner, name))

    def delete(self, owner: str, name: str) -> None:
        self.store.delete(owner, name)

    def add_version(self, owner: str, name: str, body: ModelVersionCreate) -> ModelVersionCreated:
        version, previous = self.store.add_version(owner, name, body.job_id, callable_input)
        return ModelVersionCreated(
            **_version_read(version, []).model_dump(),
            schema_changed=previous is not None and previous.input != version.input,
        )

    def get_version(self, owner: str, name: str, number: int) -> ModelVersionRead:
        return _version_read(*self.store.get_version(owner, name, number))

    def delete_version(self, owner: str, name: str, number: int) -> None:
        self.store.delete_version(owner, name, number)

    def set_alias(self, owner: str, name: str, alias: str, body: AliasUpdate) -> AliasRead:
        moved = self.store.set_alias(owner, name, alias, body.version)
        previous = moved.previous
        return AliasRead(
            alias=alias,
            version=moved.version.version,
            previous_version=previous.version if previous else None,
            schema_changed=previous is not None and previous.input != moved.version.input,
        )

    def delete_alias(self, owner: str, name: str, alias: str) -> None:
        self.store.delete_alias(owner, name, alias)

    def predict(
        self,
        owner: str,
        name: str,
        request: PredictionRequest,
        *,
        alias: str | None = None,
        version: int | None = None,
    ) -> ModelPredictionResponse:
        """Predict with one version: ``version``, or ``alias``'s, or else the production
        alias's, or else the latest. The version is chosen once, so every row of the
        request is predicted by it."""
        chosen = self.store.resolve(owner, name, alias=alias, number=version)
        answer = self.predictions.predict(chosen.version.job_id, owner, request, "regularized")
        return ModelPredictionResponse(
            **answer.model_dump(), name=name, version=chosen.version.version, alias=chosen.alias
        )


def callable_input(job: Job) -> dict[str, Any]:
    """The input schema of the job's exported model, or JobStateError saying why the job
    cannot be a version: a version must be a model that predictions can call."""
    if job.sweep_id is not None:
        raise JobStateError(
            f"job {job.id} is trial {job.trial} of sweep {job.sweep_id}, and goes when the "
            "sweep is deleted; train the configuration you chose as a job of its own"
        )
    if job.status != JobStatus.succeeded or job.result is None:
        raise JobStateError(f"job {job.id} is {job.status}; a version must be a succeeded job")
    export = TrainingSummary.model_validate(job.result).export
    if export is None:
        raise JobStateError(
            f"job {job.id} has no exported model, and a version must be a model predictions "
            "can call (a job that ran before regulab exported models has none: train it again)"
        )
    if "regularized" not in export.onnx:
        reason = export.problems.get("regularized", "it was not exported to ONNX")
        raise JobStateError(f"job {job.id} has no exported model: {reason}")
    return export.input.model_dump(mode="json")


def _summary(record: ModelRecord) -> RegisteredModelSummary:
    return RegisteredModelSummary(
        name=record.model.name,
        created_at=record.model.created_at,
        latest_version=record.latest,
        aliases=record.aliases,
    )


def _read(record: ModelRecord) -> RegisteredModelRead:
    aliased: dict[int, list[str]] = {}
    for alias, number in record.aliases.items():
        aliased.setdefault(number, []).append(alias)
    return RegisteredModelRead(
        **_summary(record).model_dump(),
        versions=[_version_read(v, aliased.get(v.version, [])) for v in record.versions or []],
    )


def _version_read(version: ModelVersion, aliases: list[str]) -> ModelVersionRead:
    return ModelVersionRead.model_validate(
        {
            "version": version.version,
            "job_id": version.job_id,
            "input": version.input,
            "aliases": aliases,
            "created_at": version.created_at,
        }
    )
