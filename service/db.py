"""Engine and sessions for the SQL store (SQLite or PostgreSQL)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, DateTime, Engine, create_engine, event
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from service.config import Settings


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


#: How long a SQLite write waits for another connection's write to end.
SQLITE_BUSY_TIMEOUT_MS = 10_000
#: Execution option that ``_sqlite_begin`` reads: how a SQLite transaction begins.
SQLITE_BEGIN = "regulab_sqlite_begin"
#: What ``transaction`` asks for: the write lock from the first statement on (only
#: SQLite reads it).
_WRITE = {SQLITE_BEGIN: "IMMEDIATE"}


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # SQLAlchemy, not the driver, begins transactions (``_sqlite_begin``): the driver's
    # legacy mode begins one only at the first INSERT, UPDATE or DELETE, so what a
    # transaction read before its first write was not part of it (a check-then-delete
    # could act on a row another process had changed in between).
    dbapi_connection.isolation_level = None
    # WAL lets the API read while a worker writes; busy_timeout waits for the
    # writer instead of failing with "database is locked".
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    """BEGIN IMMEDIATE for a write transaction (``transaction``), BEGIN for a read.

    A deferred transaction that reads and then writes must upgrade its read lock, and
    SQLite refuses the upgrade at once, without the busy timeout ("database is
    locked"), when another connection wrote since the read began. IMMEDIATE takes the
    write lock at BEGIN, where a busy writer is waited for."""
    mode = connection.get_execution_options().get(SQLITE_BEGIN, "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


#: A pooled connection idle longer than this is pinged before use.
PING_AFTER_IDLE_SECONDS = 2.0


def _note_checkin(_dbapi_connection: Any, record: Any) -> None:
    record.info["checked_in_at"] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """``pool_pre_ping``, but only for connections that sat idle: a busy API does not
    pay a round trip per request, and a connection that a database restart broke
    while idle is replaced before anyone sees it."""
    checked_in = record.info.get("checked_in_at")
    if checked_in is not None and time.monotonic() - checked_in < PING_AFTER_IDLE_SECONDS:
        return
    try:
        cursor = dbapi_connection.cursor()
        cursor.execute("SELECT 1")
        cursor.close()
    except Exception as exc:
        raise DisconnectionError("stale pooled connection") from exc


def make_engine(settings: Settings) -> Engine:
    url = settings.sqlalchemy_url
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    engine = create_engine(url, pool_size=5, max_overflow=10)
    event.listen(engine.pool, "checkin", _note_checkin)
    event.listen(engine.pool, "checkout", _ping_if_idle)
    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on error.

    It is a write transaction: on SQLite it holds the write lock from its first
    statement, so what it reads stays true until it commits, and waiting for another
    writer happens at BEGIN, within the busy timeout (a read that turns into a write
    later could be refused at once). PostgreSQL's transactions are unchanged."""
    with factory() as session, session.begin():
        session.connection(execution_options=_WRITE)
        yield session
