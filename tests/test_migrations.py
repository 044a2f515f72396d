"""The migrations build the whole schema from an empty database, and match the models."""

from __future__ import annotations

import os
import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from core.config import database_url
from core.db import db as _db
from wsgi import create_app


def _app_for(url: str, tmp_path):
    return create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "x",
            "IIN_HASH_KEY": "y",
            "MAIL_OUTBOX": str(tmp_path / "outbox"),
        }
    )


@pytest.fixture
def empty_database(tmp_path):
    """A brand-new database: a SQLite file, or a fresh PostgreSQL database beside DATABASE_URL's."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    url = database_url(url)
    name = f"tyndau_migr_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    base = sa.engine.make_url(url)
    yield base.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_upgrade_from_empty_matches_models(empty_database, tmp_path):
    app = _app_for(empty_database, tmp_path)
    with app.app_context():
        upgrade()
        with _db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), _db.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        downgrade(revision="base")
        upgrade()
        _db.session.remove()
        _db.engine.dispose()
