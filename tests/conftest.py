"""Shared fixtures.

* ``app`` — one application for the session; the schema is created once (``create_all``;
  migrations are tested on their own in ``tests/test_migrations.py``). ``DATABASE_URL`` and
  ``REDIS_URL`` switch the suite to PostgreSQL and real Redis.
* ``db`` — every test runs inside a transaction that is rolled back; ``commit()`` in the code
  under test only releases a savepoint.
* ``kato`` — the 228-row KATO sample and the authority ladder, loaded once and kept.
* ``client``, ``runner``, ``outbox``, ``run_jobs`` and the ``make_user`` factory.
"""

from __future__ import annotations

import email
import email.policy
import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.globals import _cv_app
from flask.testing import FlaskClient

from core.db import db as _db
from wsgi import create_app

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
KATO_SAMPLE = SHARED / "data" / "kato" / "kato_sample.csv"
KATO_FULL = SHARED / "data" / "kato" / "kato.csv"
PASSWORD = "correct horse battery"


def _test_config(tmp_path_factory) -> dict:
    instance = tmp_path_factory.mktemp("instance")
    url = os.environ.get("DATABASE_URL")
    config = {
        "TESTING": True,
        # Tests read English messages unless they ask for a language; Kazakh as the real default is
        # tested in tests/test_i18n.py and by the browser tests.
        "BABEL_DEFAULT_LOCALE": "en",
        "SECRET_KEY": "test-secret",
        "IIN_HASH_KEY": "test-iin-key",
        "SQLALCHEMY_DATABASE_URI": url or f"sqlite:///{instance / 'test.db'}",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        # Cheap argon2 so the suite is quick; production keeps the library's recommended cost.
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 1024,
        "ARGON2_PARALLELISM": 1,
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        "MAIL_OUTBOX": str(instance / "outbox"),
        "SERVER_NAME": None,
        "PUBLIC_URL": "http://localhost",
        "REDIS_URL": None,  # jobs inline; tests/test_jobs.py uses rq on (fake)redis explicitly
        "KATO_PATH": str(KATO_SAMPLE),
        # Pages and tables that may lag by a few seconds in production are exact in tests (tests/petitions
        # turn them on where they test them).
        "PETITIONS_PAGE_CACHE_SECONDS": 0,
        "PETITIONS_BREAKDOWN_CACHE_SECONDS": 0,
    }
    if url:
        from core.config import database_url

        config["SQLALCHEMY_DATABASE_URI"] = database_url(url)
    return config


TEST_JOB_CALLS: list = []


def remember_call(*args):
    TEST_JOB_CALLS.append(args)


def _test_routes():
    """Routes that exist only in tests: an unexpected crash, a domain error, a failed unit of work."""
    from flask import Blueprint

    from core.errors import NotAllowed
    from core.jobs import enqueue_after_commit

    bp = Blueprint("_test", __name__, url_prefix="/_test")

    @bp.get("/crash")
    def crash():
        raise RuntimeError("unexpected")

    @bp.get("/not-allowed")
    def not_allowed():
        raise NotAllowed()

    @bp.get("/queue-then-fail")
    def queue_then_fail():
        enqueue_after_commit(remember_call, "from a failed request")
        raise RuntimeError("the unit of work failed")

    return bp


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    from core.i18n_build import compile_catalogs

    compile_catalogs()
    application = create_app(_test_config(tmp_path_factory))
    application.register_blueprint(_test_routes())
    with application.app_context():
        _db.drop_all()
        _db.create_all()
    yield application
    with application.app_context():
        _db.session.remove()
        if application.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
            _db.drop_all()
        _db.engine.dispose()


@pytest.fixture(scope="session")
def kato(app):
    """The KATO sample and the generated authority ladder, committed once for the whole session."""
    from core.authorities.services import generate_ladder
    from core.territories.services import import_file

    with app.app_context():
        import_file(KATO_SAMPLE)
        generate_ladder()
        _db.session.commit()
        _db.session.remove()
    return KATO_SAMPLE


@pytest.fixture
def db(app):
    """A transaction per test, rolled back at the end; code under test may commit freely."""
    with app.app_context():
        connection = _db.engine.connect()
        outer = connection.begin()
        engines = _db.engines
        original = engines[None]
        engines[None] = connection
        _db.session.remove()
        _db.session.configure(join_transaction_mode="create_savepoint")
        try:
            yield _db
        finally:
            _db.session.remove()
            _db.session.configure(join_transaction_mode="conditional_savepoint")
            engines[None] = original
            if outer.is_active:
                outer.rollback()
            connection.close()


class IsolatedClient(FlaskClient):
    """Each request gets its own app context (fresh ``g``, its own session on the test's connection),
    as in production; the test's own app context is hidden while the request runs."""

    def open(self, *args, **kwargs):
        outer = _cv_app.get(None)
        if outer is not None:
            _db.session.flush()  # the request sees what the test set up
        token = _cv_app.set(None)
        try:
            return super().open(*args, **kwargs)
        finally:
            _cv_app.reset(token)
            if outer is not None:
                _db.session.expire_all()  # and the test sees what the request changed


@pytest.fixture
def client(app, db):
    app.test_client_class = IsolatedClient
    return app.test_client()


@pytest.fixture
def runner(app, db):
    return app.test_cli_runner()


def seed_demo(runner, app, monkeypatch=None, kato_path=None):
    """Run ``flask seed demo`` (on the classifier at ``kato_path`` when given); its result, which succeeded."""
    if kato_path is not None:
        monkeypatch.setitem(app.config, "KATO_PATH", str(kato_path))
    result = runner.invoke(args=["seed", "demo"])
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def seeded(runner, app, db, monkeypatch, outbox):
    """The demo on the full classifier (every story has its places); the outbox."""
    if not KATO_FULL.exists():
        pytest.skip("the full KATO file is not beside the project")
    seed_demo(runner, app, monkeypatch, KATO_FULL)
    return outbox


@pytest.fixture
def outbox(app, tmp_path, monkeypatch):
    """Mail written during the test, parsed, oldest first."""
    folder = tmp_path / "outbox"
    monkeypatch.setitem(app.config, "MAIL_OUTBOX", str(folder))

    class Outbox:
        path = folder

        def messages(self):
            if not folder.exists():
                return []
            return [
                email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                for p in sorted(folder.glob("*.eml"))
            ]

        def __len__(self):
            return len(self.messages())

    return Outbox()


@pytest.fixture
def run_jobs(app, monkeypatch):
    """Send jobs to rq on fakeredis; call the returned function to run them with a SimpleWorker."""
    import fakeredis
    from rq import Queue, SimpleWorker

    connection = fakeredis.FakeStrictRedis()
    queue = Queue("tyndau-test", connection=connection)
    monkeypatch.setitem(app.extensions, "tyndau_queue", queue)

    def run() -> int:
        count = queue.count
        with app.app_context():
            SimpleWorker([queue], connection=connection).work(burst=True)
        return count

    run.queue = queue
    return run


@pytest.fixture
def make_user(db):
    """Create a user: ``make_user(email=..., verified=True, roles=[(Role.OFFICER, authority)])``."""
    from core.accounts.models import User
    from core.accounts.services import grant_role, hash_password

    counter = {"n": 0}

    def make(
        email=None,
        password=PASSWORD,
        display_name="Айгүл Серікова",
        locale="en",
        verified=True,
        roles=(),
        home=None,
        **fields,
    ):
        counter["n"] += 1
        user = User(
            email=email or f"user{counter['n']}@example.kz",
            password_hash=hash_password(password),
            display_name=display_name,
            locale=locale,
            home_territory_code=home,
            **fields,
        )
        if verified:
            from core.db import utcnow

            user.email_verified_at = utcnow()
        db.session.add(user)
        db.session.flush()
        for role in roles:
            role, authority = role if isinstance(role, tuple) else (role, None)
            grant_role(user, role, authority)
        db.session.flush()
        return user

    return make


@pytest.fixture
def login(client):
    """Sign a user in through the real form."""

    def do(user, password=PASSWORD):
        response = client.post("/account/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.data[:500]
        return response

    return do


def count(model) -> int:
    return _db.session.scalar(sa.select(sa.func.count()).select_from(model))
