"""ScoringService: the verbs the scoring routes call.

A scoring is a job row (``Job.scores_job_id``) with every job's lifecycle; the worker's
side is ``workers.jobs.scoring``. Here it is checked before it is stored: the scored job
has succeeded and has an ONNX file for the model asked for, and the uploaded table has
every column the model takes, of the right type, with no missing value the model would
refuse. What the worker could still find (a value that is not finite) fails the scoring
as ``invalid_data`` with its row and column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NoReturn

from api_schemas import JobStatus
from api_schemas.predictions import ModelChoice, ModelInput, PredictionRequest
from api_schemas.scorings import ScoringAccepted, ScoringRead, ScoringResult, ScoringSpec
from service.artifacts import ArtifactStore, StoredFile
from service.datasets.store import DatasetStore
from service.jobs.service import JobService, JobStateError, artifact_refs, lifecycle
from service.jobs.store import JobActiveError, JobFinishedError
from service.jobs.validation import SpecError
from service.predictions.inputs import PredictionInputError
from service.predictions.service import PredictionService
from service.scorings.store import ScoringStore
from service.tables import Job, UploadedDataset


class ScoringNotFoundError(LookupError):
    pass


def scoring_url(scoring_id: str) -> str:
    return f"/v1/scorings/{scoring_id}"


def to_read(job: Job) -> ScoringRead:
    spec = ScoringSpec.model_validate(job.spec)
    succeeded = job.status == JobStatus.succeeded and job.result is not None
    return ScoringRead(
        **lifecycle(job),
        job_id=spec.job_id,
        model=spec.model,
        dataset_id=spec.dataset.id,
        result=ScoringResult.model_validate(job.result) if succeeded else None,
        artifacts=artifact_refs(job.artifacts, scoring_url(job.id)) if succeeded else [],
    )


@dataclass(frozen=True)
class ScoringService:
    """Built once per API process, over the jobs' service (store, publisher, limits)
    and the predictions' (what a job's model takes)."""

    jobs: JobService
    store: ScoringStore
    datasets: DatasetStore
    artifacts: ArtifactStore
    predictions: PredictionService

    def submit(
        self, job_id: str, owner: str, request: PredictionRequest, model: ModelChoice
    ) -> ScoringAccepted:
        """Check, store, then publish a scoring of the caller's job over the request's
        ``dataset``."""
        dataset = request.dataset
        assert dataset is not None
        if request.rows is not None or request.instances is not None:
            given = "rows" if request.rows is not None else "instances"
            raise PredictionInputError(
                (given,), f"send {given} or dataset, not both: dataset is scored on the workers"
            )
        card = self.predictions.card(job_id, owner, model)  # 404 / 409 with the reason
        source = self.jobs.store.get(job_id, owner=owner)
        upload = self.datasets.get(dataset.id, owner)
        if source is None:
            raise ScoringNotFoundError(f"job: {job_id}")
        if upload is None:
            raise SpecError(("dataset", "id"), f"no uploaded dataset {dataset.id!r}")
        check_columns(card.input, upload)
        spec = ScoringSpec(job_id=job_id, model=model, dataset=dataset)
        row = self.store.create(
            spec, source, upload, self.jobs.limits.default_seconds, self.jobs.queues.default
        )
        self.jobs.publish_created(row)
        return ScoringAccepted(id=row.id, status=JobStatus(row.status), url=scoring_url(row.id))

    def get(self, scoring_id: str, owner: str) -> ScoringRead:
        return to_read(self._owned(scoring_id, owner))

    def of_job(self, job_id: str, owner: str) -> list[ScoringRead]:
        if self.jobs.store.get(job_id, owner=owner) is None:
            raise ScoringNotFoundError(f"job: {job_id}")
        return [to_read(job) for job in self.store.of_job(job_id, owner)]

    def cancel(self, scoring_id: str, owner: str) -> ScoringRead:
        try:
            found = self.jobs.store.request_cancel(scoring_id, owner, scoring=True)
        except JobFinishedError:
            status = self._owned(scoring_id, owner).status
            raise JobStateError(
                f"scoring {scoring_id} already {status}; only queued or running scorings "
                "can be cancelled"
            ) from None
        if found is None:
            raise ScoringNotFoundError(f"scoring: {scoring_id}")
        return self.get(scoring_id, owner)

    def delete(self, scoring_id: str, owner: str) -> None:
        job = self._owned(scoring_id, owner)
        try:
            deleted = self.jobs.store.delete(scoring_id, owner, scoring=True)
        except JobActiveError as exc:
            raise JobStateError(str(exc).replace("job", "scoring", 1)) from exc
        if not deleted:
            raise ScoringNotFoundError(f"scoring: {scoring_id}")
        self.artifacts.delete_prefix(f"jobs/{job.scores_job_id}/scorings/{scoring_id}")

    def open_artifact(self, scoring_id: str, name: str, owner: str) -> StoredFile:
        artifact = self.jobs.store.get_artifact(scoring_id, name, owner, scoring=True)
        if artifact is None:
            raise ScoringNotFoundError(f"file: {scoring_id}/{name}")
        return StoredFile(artifact.key, artifact.media_type)

    def _owned(self, scoring_id: str, owner: str) -> Job:
        job = self.jobs.store.get(scoring_id, owner=owner, with_artifacts=True, scoring=True)
        if job is None:
            raise ScoringNotFoundError(f"scoring: {scoring_id}")
        return job


def check_columns(model: ModelInput, upload: UploadedDataset) -> None:
    """SpecError (at body.dataset.id) when the table cannot feed the model."""
    columns: dict[str, dict[str, Any]] = {c["name"]: c for c in upload.columns}
    refuse_missing = model.missing != "impute"

    def refuse(message: str) -> NoReturn:
        raise SpecError(("dataset", "id"), f"dataset {upload.id}: {message}")

    if model.kind == "columns":
        for column in model.columns or []:
            found = columns.get(column.name)
            if found is None:
                refuse(f"has no column {column.name!r}, which the model takes")
            if column.type == "number" and found["type"] != "number":
                refuse(f"column {column.name!r} is not numeric; the model takes numbers")
            if refuse_missing and found.get("missing"):
                refuse(
                    f"column {column.name!r} has {found['missing']} missing values; the model "
                    f"was trained with missing: {model.missing}"
                )
        return
    features = [c for name, c in columns.items() if name != upload.target]
    shape = model.image_shape if model.kind == "image" else [model.features or 0]
    wanted = 1
    for size in shape or []:
        wanted *= size
    if len(features) != wanted:
        besides = f" besides its target {upload.target!r}" if upload.target else ""
        refuse(f"has {len(features)} columns{besides}; the model takes {wanted} features, in order")
    for feature in features:
        if feature["type"] != "number":
            refuse(f"column {feature['name']!r} is not numeric; the model takes numbers")
        if feature.get("missing"):
            refuse(f"column {feature['name']!r} has {feature['missing']} missing values")
