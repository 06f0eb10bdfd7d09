"""Server policy applied to every job: which queue it goes to, how long it may run."""

from __future__ import annotations

from dataclasses import dataclass

from api_schemas import JobCreate
from api_schemas.kinds import engine_of
from service.jobs.validation import SpecError


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
