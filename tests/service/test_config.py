from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from service.config import Settings


def test_embedded_defaults_live_under_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.sqlalchemy_url == f"sqlite:///{tmp_path}/regulab.db"
    assert settings.uses_filesystem_broker
    assert settings.artifacts_root == tmp_path / "artifacts"


def test_reads_regulab_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGULAB_DATABASE_URL", "postgresql://u@db:5432/regulab")
    monkeypatch.setenv("REGULAB_BROKER_URL", "redis://redis:6379/0")
    monkeypatch.setenv("REGULAB_PORT", "9000")
    settings = Settings()
    assert settings.sqlalchemy_url == "postgresql+psycopg://u@db:5432/regulab"
    assert not settings.uses_filesystem_broker
    assert settings.port == 9000


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("database_url", "mysql://root@localhost/x"),
        ("broker_url", "sqs://queue"),
        ("port", 0),
        ("log_level", "LOUD"),
    ],
)
def test_refuses_unsupported_values_naming_the_field(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(**{field: value})
    assert caught.value.errors()[0]["loc"] == (field,)


def test_as_env_round_trips(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, broker_url="redis://127.0.0.1:6379/3", port=8123)
    assert (
        Settings.model_validate(
            {k.removeprefix("REGULAB_").lower(): v for k, v in settings.as_env().items()}
        )
        == settings
    )
