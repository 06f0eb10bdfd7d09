from __future__ import annotations

import json

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from service.config import Settings
from service.db import make_engine
from service.migrate import alembic_config, upgrade_database
from service.tables import Base


def test_migrations_build_exactly_the_tables_and_go_back_down(settings: Settings) -> None:
    engine = make_engine(settings)  # the fixture has upgraded it to head
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
        connection.commit()
        assert MigrationContext.configure(connection).get_current_revision() is None
    upgrade_database(settings)
    with engine.connect() as connection:
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        assert MigrationContext.configure(connection).get_current_revision() == head
    engine.dispose()


def test_0006_gives_comparisons_made_before_it_their_kind(settings: Settings) -> None:
    engine = make_engine(settings)
    config = alembic_config()
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0005")
        for sweep_id, kind in [("s", "sweep"), ("c", "comparison")]:
            connection.execute(
                text(
                    "INSERT INTO sweeps (id, owner, status, spec, folds, created_at) "
                    "VALUES (:id, 'o', 'running', :spec, 5, '2026-11-27 00:00:00')"
                ),
                {"id": sweep_id, "spec": json.dumps({"kind": kind})},
            )
        command.upgrade(config, "head")
        connection.commit()
        kinds = dict(connection.execute(text("SELECT id, kind FROM sweeps")).all())
    assert kinds == {"s": "sweep", "c": "comparison"}
    engine.dispose()
