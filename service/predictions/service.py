"""PredictionService: the verbs the prediction routes call."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, BinaryIO, Literal

import numpy as np

from api_schemas import JobStatus, TrainingSummary
from api_schemas.predictions import (
    ModelChoice,
    ModelInput,
    PredictionRequest,
    PredictionResponse,
)
from service.artifacts import ArtifactStore
from service.jobs.service import JobNotFoundError, JobStateError
from service.jobs.store import JobStore
from service.predictions.inputs import prepare
from service.predictions.sessions import SessionCache
from service.tables import Job

ModelFormat = Literal["onnx", "skops", "safetensors"]
#: Model cards kept (a few hundred bytes each); the oldest goes first.
CARDS = 4096
#: The file of each model in each format.
FILES: dict[tuple[ModelFormat, ModelChoice], str] = {
    ("onnx", "regularized"): "model.onnx",
    ("onnx", "baseline"): "baseline.onnx",
    ("skops", "regularized"): "model.skops",
    ("skops", "baseline"): "baseline.skops",
    ("safetensors", "regularized"): "model.safetensors",
}


@dataclass(frozen=True)
class ModelCard:
    """What predicting with one attempt's model needs of its job (it never changes)."""

    attempt: int
    task: str
    classes: list[str] | None
    input: ModelInput
    key: str


@dataclass(frozen=True)
class PredictionService:
    """Built once per API process: the jobs' rows, their files and the ONNX sessions.

    A request costs one light query (the job is still the caller's, still succeeded, on
    the same attempt); what the job's result says of its model is kept by job and model
    beside the sessions."""

    store: JobStore
    artifacts: ArtifactStore
    sessions: SessionCache
    max_rows: int
    cards: dict[tuple[str, ModelChoice], ModelCard] = field(default_factory=dict)

    def predict(
        self, job_id: str, owner: str, request: PredictionRequest, model: ModelChoice
    ) -> PredictionResponse:
        card = self.card(job_id, owner, model)
        prepared = prepare(card.input, request, self.max_rows)
        session = self.sessions.get(card.key)
        outputs = [o.name for o in session.get_outputs()]
        results = dict(zip(outputs, session.run(outputs, prepared.feeds), strict=True))
        predictions: list[Any] = results["predictions"].tolist()
        probabilities = None
        if card.task == "classification":
            classes = card.classes or []
            predictions = [classes[int(i)] for i in results["predictions"]]
            probabilities = np.asarray(results["probabilities"], dtype=np.float64).tolist()
        return PredictionResponse(
            job_id=job_id,
            model=model,
            predictions=predictions,
            probabilities=probabilities,
            classes=card.classes if card.task == "classification" else None,
            warnings=prepared.warnings,
        )

    def card(self, job_id: str, owner: str, model: ModelChoice) -> ModelCard:
        """What predicting with the caller's job's ``model`` needs: 404 for no such job, 409
        with the reason for no such model."""
        state = self.store.state(job_id, owner)
        if state is None:
            raise JobNotFoundError(job_id)
        status, attempt = state
        card = self.cards.get((job_id, model))
        if card is not None and status == JobStatus.succeeded and card.attempt == attempt:
            return card
        job, summary = self._succeeded(job_id, owner)
        key = self._file_key(job, summary, "onnx", model)
        assert summary.export is not None
        card = ModelCard(job.attempt, summary.task, summary.classes, summary.export.input, key)
        if len(self.cards) >= CARDS:
            self.cards.pop(next(iter(self.cards)))
        self.cards[(job_id, model)] = card
        return card

    def open_model(
        self, job_id: str, owner: str, fmt: ModelFormat, model: ModelChoice
    ) -> tuple[BinaryIO, str]:
        """The model file's stream and its download name."""
        job, summary = self._succeeded(job_id, owner)
        key = self._file_key(job, summary, fmt, model)
        return self.artifacts.open(key), f"{job.id}-{FILES[(fmt, model)]}"

    def _succeeded(self, job_id: str, owner: str) -> tuple[Job, TrainingSummary]:
        job = self.store.get(job_id, owner=owner, with_artifacts=True)
        if job is None:
            raise JobNotFoundError(job_id)
        if job.status != JobStatus.succeeded or job.result is None:
            raise JobStateError(
                f"job {job.id} is {job.status}; its model exists once it has succeeded"
            )
        return job, TrainingSummary.model_validate(job.result)

    def _file_key(
        self, job: Job, summary: TrainingSummary, fmt: ModelFormat, model: ModelChoice
    ) -> str:
        """The artifact key of the job's ``model`` in ``fmt``, or JobStateError saying why
        there is none."""
        name = FILES.get((fmt, model))
        if name is None:
            raise JobStateError(
                f"{fmt} files hold the regularized network only; ask model=regularized"
            )
        export = summary.export
        if export is None and fmt != "safetensors":
            raise JobStateError(
                f"job {job.id} ran before regulab exported models; train it again to get one"
            )
        problem_key = {"onnx": model, "skops": f"{model}.skops"}.get(fmt)
        if export is not None and problem_key in export.problems:
            problem = export.problems[problem_key]
            raise JobStateError(f"job {job.id}'s {model} model has no {fmt} file: {problem}")
        artifact = next((a for a in job.artifacts if a.name == name), None)
        if artifact is None:
            raise JobStateError(_absent(job, summary, fmt, model))
        return artifact.key


def _absent(job: Job, summary: TrainingSummary, fmt: ModelFormat, model: ModelChoice) -> str:
    if model == "baseline" and summary.baseline is None:
        return f"job {job.id} has no baseline model (baseline is off or it has no regularizer)"
    if fmt == "skops":
        return f"job {job.id} trained a network: skops files hold scikit-learn models; ask onnx"
    if fmt == "safetensors":
        return f"job {job.id} trained a scikit-learn model: ask onnx or skops"
    return f"job {job.id} has no {fmt} file for its {model} model"
