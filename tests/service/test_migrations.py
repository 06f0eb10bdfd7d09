from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

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
