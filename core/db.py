"""The database: declarative base with a naming convention, the session, and ``commit()``.

``commit()`` is the one place a unit of work ends. It commits and then sends the jobs and
mail that the unit of work queued with ``core.jobs.enqueue_after_commit``; a rollback drops
them, so a failed request sends nothing.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event
from sqlalchemy.orm import DeclarativeBase, Session, registry
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every backend (SQLite keeps no zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


db = SQLAlchemy(model_class=Base)

PENDING_KEY = "tyndau_pending_jobs"


def configure_engine(engine: sa.Engine) -> None:
    """SQLite: real transactions (so SAVEPOINTs work), foreign keys on, wait for locks."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # let SQLAlchemy emit BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN")


# -- autocommit statements on PostgreSQL, for the hot path ------------------------------------------------------

_threads = threading.local()
_conninfo: weakref.WeakKeyDictionary[sa.Engine, str] = weakref.WeakKeyDictionary()


class _Connections(dict):
    """One thread's autocommit connections, closed when the thread ends (and its thread-local data goes)."""

    def __del__(self) -> None:
        for connection in self.values():
            with contextlib.suppress(Exception):
                connection.close()


def autocommit_connection(engine: sa.Engine):
    """This thread's own psycopg connection to ``engine``'s PostgreSQL database, in autocommit: a statement on
    it is one round trip, with no BEGIN, no COMMIT and no pool checkout. For the few statements of the petitions'
    hot path, each whole on its own; everything else uses the session. Kept per thread and database."""
    connections = _threads.__dict__.setdefault("connections", _Connections())
    conninfo = _conninfo.get(engine)
    if conninfo is None:  # (a URL hashes by rendering itself: once per engine, not once per statement)
        conninfo = _conninfo[engine] = engine.url.set(drivername="postgresql").render_as_string(False)
    connection = connections.get(conninfo)
    if connection is None or connection.closed:
        import psycopg

        connection = psycopg.connect(conninfo, autocommit=True)
        connections[conninfo] = connection
    return connection


@lru_cache(maxsize=32)
def _compiled(statement, dialect) -> tuple[str, dict]:
    compiled = statement.compile(dialect=dialect)
    return str(compiled), dict(compiled.params)


def autocommit_row(engine: sa.Engine, statement, params: dict) -> tuple | None:
    """Run one statement (built once: it is compiled once) on this thread's autocommit connection; its first
    row, as a plain tuple (no result types are applied). A connection that fails is closed; when it was lost
    (the server restarted, say) the statement runs once more on a new one, as ``pool_pre_ping`` would have
    avoided it — the hot path's statements are safe to repeat (a second insert of a signature inserts nothing)."""
    import psycopg

    sql, defaults = _compiled(statement, engine.dialect)
    for attempt in (1, 2):
        connection = autocommit_connection(engine)
        try:
            return connection.execute(sql, {**defaults, **params}).fetchone()
        except psycopg.OperationalError:
            connection.close()
            if attempt == 2:
                raise
        except Exception:
            connection.close()
            raise
    return None  # not reached


@dataclass(frozen=True)
class UpsertCounts:
    """What an idempotent bulk load did: rows added, changed, and already as given."""

    added: int
    updated: int
    unchanged: int

    @property
    def total(self) -> int:
        return self.added + self.updated + self.unchanged


def utcnow() -> datetime:
    return datetime.now(UTC)


def pending_jobs(session: Session | None = None) -> list:
    session = session or db.session()
    return session.info.setdefault(PENDING_KEY, [])


def commit() -> None:
    """Commit the unit of work, then dispatch what it queued for after the commit."""
    session = db.session()
    session.commit()
    queued = list(session.info.pop(PENDING_KEY, []))
    if queued:
        from core.jobs import dispatch

        for func, args in queued:
            dispatch(func, *args)


def rollback() -> None:
    db.session.rollback()


def lock_row(obj, *, shared: bool = False) -> None:
    """Reload ``obj``'s row under a row lock held until the unit of work ends (PostgreSQL): ``FOR UPDATE``, or
    ``FOR SHARE`` when ``shared``. State checks made after it see the committed state, and two requests that
    change the same row pass one at a time. SQLite serialises writers itself: nothing to do there."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    [key] = sa.inspect(type(obj)).primary_key
    db.session.execute(sa.select(key).where(key == getattr(obj, key.key)).with_for_update(read=shared))
    db.session.refresh(obj)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending_soft(session: Session, previous_transaction) -> None:
    session.info.pop(PENDING_KEY, None)
