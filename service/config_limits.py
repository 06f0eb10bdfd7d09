"""The settings that bound what one request or one job may take (part of ``Settings``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class LimitSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REGULAB_", extra="ignore", frozen=True)

    max_body_bytes: int = Field(
        1_048_576, ge=1024, description="Request bodies above this many bytes get 413."
    )
    max_upload_bytes: int = Field(
        104_857_600, ge=1024, description="Dataset uploads above this many bytes get 413."
    )

    max_upload_rows: int = Field(
        10_000_000,
        ge=2,
        description="Data rows an upload may have; more get 413, before decoding: Parquet's "
        "from its footer, a CSV's counted as one column streams, before it is parsed.",
    )
    max_upload_columns: int = Field(
        2_000,
        ge=2,
        description="Columns an upload may have; more get 413, from a CSV's header row or a "
        "Parquet footer, before anything is parsed.",
    )
    max_upload_decoded_bytes: int = Field(
        536_870_912,
        ge=1_048_576,
        description="Bytes an upload may decode to in memory; more get 413. A CSV counts 8 "
        "a cell, before it is parsed; Parquet the footer's widths before decoding, and its "
        "text as it decodes. An upload takes about 1.5 times this of the API's memory (a CSV "
        "about 3 times its file size more, while pyarrow parses it).",
    )
    max_job_memory_bytes: int = Field(
        4_294_967_296,
        ge=67_108_864,
        description="Memory one job may use. A job whose estimate is above it gets 422 at "
        "submission; a job that grows past it while running fails out_of_memory.",
    )

    max_prediction_rows: int = Field(
        10_000, ge=1, le=1_000_000, description="Rows or instances one prediction request may hold."
    )
    max_prediction_body_bytes: int = Field(
        16_777_216,
        ge=1024,
        description="Prediction request bodies above this many bytes get 413 (10,000 rows of "
        "a few dozen numbers are about 5 MB of JSON).",
    )
    prediction_sessions: int = Field(
        32, ge=1, le=10_000, description="ONNX models the API keeps loaded (the least used go)."
    )
    prediction_trust_seconds: float = Field(
        1.0,
        ge=0,
        le=3600,
        description="How long an API process predicts with a succeeded job's model before "
        "asking the store again that the job still exists (a delete through another API "
        "process is seen within this; through the same one at once). 0: ask every time.",
    )
    scoring_chunk_rows: int = Field(
        50_000,
        ge=100,
        le=1_000_000,
        description="Rows a scoring predicts at a time: it checkpoints (progress, cancel, "
        "time limit) after each chunk.",
    )
