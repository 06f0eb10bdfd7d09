"""Server policy applied to every job: which queue it goes to, how long it may run, how
much memory it may take."""

from __future__ import annotations

from dataclasses import dataclass

from api_schemas import JobCreate
from api_schemas.kinds import engine_of
from service.jobs.cost import MemoryEstimate, estimate_memory, format_bytes
from service.jobs.validation import DatasetFacts, SpecError

#: What to make smaller, by the field an estimate blames.
_ADVICE: dict[tuple[str | int, ...], str] = {
    ("model", "hidden"): "use narrower or fewer hidden layers (model.hidden)",
    ("model", "channels"): "use fewer channels (model.channels) or a smaller model.fc",
    ("training", "batch_size"): "use a smaller training.batch_size",
    ("dataset",): "use fewer rows or features (the dataset's params, or an upload's features)",
}


@dataclass(frozen=True)
class Queues:
    default: str
    gpu: str

    def for_spec(self, spec: JobCreate) -> str:
        """CUDA jobs go to the GPU workers' queue; everything else to the default one."""
        on_torch = engine_of(spec.model) == "torch"
        wants_gpu = on_torch and spec.training is not None and spec.training.device == "cuda"
        return self.gpu if wants_gpu else self.default


@dataclass(frozen=True)
class TimeLimits:
    default_seconds: int
    max_seconds: int

    def resolve(self, spec: JobCreate) -> int:
        if spec.max_seconds is None:
            return self.default_seconds
        if spec.max_seconds > self.max_seconds:
            raise SpecError(
                ("max_seconds",), f"max_seconds may be at most {self.max_seconds} on this server"
            )
        return spec.max_seconds


@dataclass(frozen=True)
class MemoryLimit:
    """``REGULAB_MAX_JOB_MEMORY_BYTES``: a job whose estimate is above it is refused before
    it is stored; the worker holds a running job to the same number."""

    max_bytes: int

    def check(
        self, spec: JobCreate, dataset: DatasetFacts, at: tuple[str, ...] = ()
    ) -> MemoryEstimate:
        """The estimate, or SpecError naming the field (under ``at``) to make smaller."""
        estimate = estimate_memory(spec, dataset.shape)
        if estimate.total > self.max_bytes:
            advice = _ADVICE.get(estimate.field, "make the job smaller")
            raise SpecError(
                (*at, *estimate.field),
                f"this job would need about {format_bytes(estimate.total)} "
                f"({estimate.describe()}), above this server's "
                f"{format_bytes(self.max_bytes)} per job (REGULAB_MAX_JOB_MEMORY_BYTES): "
                f"{advice}",
            )
        return estimate
