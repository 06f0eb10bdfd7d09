"""What a job hands back: its summary, and named files for the artifact store."""

from __future__ import annotations

from dataclasses import dataclass, field

from api_schemas import TrainingSummary
from service.artifacts import ArtifactStore
from service.jobs.attempts import StoredArtifact
from workers.figures.plans import FigurePlan

PNG = "image/png"
JSON = "application/json"
SAFETENSORS = "application/octet-stream"
#: ONNX and skops have no registered media type: plain bytes, as safetensors.
ONNX = "application/octet-stream"
SKOPS = "application/octet-stream"


@dataclass(frozen=True)
class ArtifactFile:
    name: str
    media_type: str
    data: bytes

    @classmethod
    def png(cls, name: str, data: bytes) -> ArtifactFile:
        return cls(name, PNG, data)


@dataclass(frozen=True)
class TrainingOutput:
    summary: TrainingSummary
    files: list[ArtifactFile]
    #: The figures to draw once the result is stored (``workers.figures.plans``).
    figures: list[FigurePlan] = field(default_factory=list)


def store_files(
    artifacts: ArtifactStore,
    prefix: str,
    files: list[ArtifactFile],
    also: list[tuple[str, bytes]] | None = None,
) -> list[StoredArtifact]:
    """Put each file under ``prefix`` in the artifact store, and ``also`` (keys and data
    that get no row) in the same round; what the store rows keep."""
    keys = [f"{prefix}/{file.name}" for file in files]
    puts = [(key, file.data) for key, file in zip(keys, files, strict=True)]
    artifacts.put_many(puts + (also or []))
    return [
        StoredArtifact(file.name, file.media_type, key, len(file.data))
        for key, file in zip(keys, files, strict=True)
    ]
