"""PredictionService: the verbs the prediction routes call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from api_schemas import JobStatus, TrainingSummary
from api_schemas.predictions import (
    ModelChoice,
    PredictionRequest,
    PredictionResponse,
)
from service.artifacts import ArtifactStore, StoredFile
from service.jobs.service import JobNotFoundError, JobStateError
from service.jobs.store import JobStore
from service.predictions.cards import ModelCard, ModelCards
from service.predictions.inputs import prepare
from service.predictions.sessions import SessionCache
from service.tables import Job

ModelFormat = Literal["onnx", "skops", "safetensors"]
#: Rows or instances answered without leaving the event loop (a few microseconds of
#: onnxruntime); larger requests run on the threadpool.
INLINE_ROWS = 64
#: The file of each model in each format.
FILES: dict[tuple[ModelFormat, ModelChoice], str] = {
    ("onnx", "regularized"): "model.onnx",
    ("onnx", "baseline"): "baseline.onnx",
    ("skops", "regularized"): "model.skops",
    ("skops", "baseline"): "baseline.skops",
    ("safetensors", "regularized"): "model.safetensors",
}


@dataclass(frozen=True)
class PredictionService:
    """Built once per API process: the jobs' rows, their files and the ONNX sessions.

    What the job's result says of its model is kept as a card (``ModelCards``); a
    request costs one light query (the job is still the caller's and still succeeded) only
    when its card was last confirmed longer ago than the cards trust."""

    store: JobStore
    artifacts: ArtifactStore
    sessions: SessionCache
    cards: ModelCards
    max_rows: int

    def predict(
        self, job_id: str, owner: str, request: PredictionRequest, model: ModelChoice
    ) -> PredictionResponse:
        return self._answer(self.card(job_id, owner, model), job_id, request, model)

    def predict_inline(
        self, job_id: str, owner: str, request: PredictionRequest, model: ModelChoice
    ) -> PredictionResponse | None:
        """The answer when it needs neither the store nor much work (a trusted card, a
        loaded session, at most INLINE_ROWS rows), so an async route can give it without
        a trip through the threadpool; None otherwise (call ``predict`` there)."""
        given = request.rows if request.rows is not None else request.instances
        if given is None or len(given) > INLINE_ROWS:
            return None
        card = self.cards.trusted(job_id, owner, model)
        if card is None or card.key not in self.sessions:
            return None
        return self._answer(card, job_id, request, model)

    def _answer(
        self, card: ModelCard, job_id: str, request: PredictionRequest, model: ModelChoice
    ) -> PredictionResponse:
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
        card = self.cards.trusted(job_id, owner, model)
        if card is not None:
            return card
        state = self.store.state(job_id, owner)
        if state is None:
            self.cards.forget(job_id)
            raise JobNotFoundError(job_id)
        status, attempt = state
        card = self.cards.get(job_id, model)
        if card is None or status != JobStatus.succeeded or card.attempt != attempt:
            job, summary = self._succeeded(job_id, owner)
            key = self._file_key(job, summary, "onnx", model)
            assert summary.export is not None
            export = summary.export
            card = ModelCard(owner, job.attempt, summary.task, summary.classes, export.input, key)
        self.cards.put(job_id, model, card)
        return card

    def open_model(
        self, job_id: str, owner: str, fmt: ModelFormat, model: ModelChoice
    ) -> StoredFile:
        """The model file, with its download name."""
        job, summary = self._succeeded(job_id, owner)
        key = self._file_key(job, summary, fmt, model)
        return StoredFile(key, "application/octet-stream", f"{job.id}-{FILES[(fmt, model)]}")

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
