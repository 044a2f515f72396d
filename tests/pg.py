"""Tests that must commit for real on PostgreSQL (many threads at once, each with its own connection): a database
of their own, next to the test database, with the KATO sample and the authority ladder committed, dropped at the
end. The ``db`` fixture's rolled-back transaction cannot span threads."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from core.config import database_url
from core.db import db as _db

URL = os.environ.get("DATABASE_URL", "")


def only_on_postgresql(what: str):
    """A module's ``pytestmark``: skip unless the suite runs on PostgreSQL."""
    return pytest.mark.skipif(not URL.startswith(("postgresql", "postgres:")), reason=f"{what} on PostgreSQL")


class NullQueue:
    """Stands in for rq: the notifications are not what is under test."""

    def __init__(self):
        self.jobs = []

    def enqueue(self, *args, **kwargs):
        self.jobs.append(args)


@contextmanager
def own_database_app(tmp_path_factory, suffix: str, engine_options: dict | None = None) -> Iterator:
    """An app on ``<test database>_<suffix>``, created afresh with the schema, the KATO sample and the ladder."""
    from core.authorities.services import generate_ladder
    from core.territories.services import import_file
    from tests.conftest import KATO_SAMPLE, _test_config
    from wsgi import create_app

    url = make_url(database_url(URL))
    name = f"{url.database}_{suffix}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    config = _test_config(tmp_path_factory)
    config["SQLALCHEMY_DATABASE_URI"] = url.set(database=name).render_as_string(hide_password=False)
    if engine_options is not None:
        config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options
    app = create_app(config)
    app.extensions["tyndau_queue"] = NullQueue()
    with app.app_context():
        _db.create_all()
        import_file(KATO_SAMPLE)
        generate_ladder()
        _db.session.commit()
        _db.session.remove()
    try:
        yield app
    finally:
        with app.app_context():
            _db.session.remove()
            _db.engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
