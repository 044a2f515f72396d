"""Account security: safe redirects, CSRF, rate limits, remember-me and session invalidation."""

from __future__ import annotations

import os
import uuid

import pytest

from core.accounts import services
from core.accounts.models import User
from core.audit import AuditEntry
from core.db import commit
from tests.conftest import PASSWORD, count


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/territories/", "/territories/"),
        ("//evil.com", "/account/profile"),
        ("https://evil.com", "/account/profile"),
        ("/\\evil.com", "/account/profile"),
        ("\\\\evil.com", "/account/profile"),
        ("javascript:alert(1)", "/account/profile"),
        ("", "/account/profile"),
    ],
)
def test_login_next_is_kept_on_site(client, db, make_user, target, expected):
    user = make_user()
    response = client.post(
        "/account/login", query_string={"next": target}, data={"email": user.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_signed_in_user_visiting_login_goes_to_a_safe_next(client, db, make_user, login):
    login(make_user())
    response = client.get("/account/login?next=//evil.com")
    assert response.headers["Location"] == "/account/profile"


def test_csrf_failure_is_a_friendly_400_and_saves_nothing(app, client, db, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    users, audits = count(User), count(AuditEntry)
    response = client.post(
        "/account/register?lang=en",
        data={
            "email": "csrf@example.kz",
            "display_name": "X",
            "password": PASSWORD,
            "password_confirm": PASSWORD,
            "locale": "en",
        },
    )
    assert response.status_code == 400
    assert b"Your form expired or was sent from elsewhere" in response.data
    assert (count(User), count(AuditEntry)) == (users, audits)


def test_forms_carry_a_csrf_token_when_enabled(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    for path in ("/account/login", "/account/register", "/account/reset"):
        assert b'name="csrf_token"' in client.get(path).data


@pytest.fixture(params=["memory", "redis"])
def limit_storage(request):
    """Rate-limit storage: memory (the embedded default) and Redis (production) when REDIS_URL is set."""
    if request.param == "memory":
        return "memory://"
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("needs a real Redis (REDIS_URL)")
    return url


def test_auth_posts_are_rate_limited_with_a_page_in_the_users_language(app, tmp_path, monkeypatch, limit_storage):
    """A fresh app with limits on (the shared test app has them off); the 429 page is in Russian."""
    from core.db import db as _db
    from core.extensions import limiter
    from wsgi import create_app

    monkeypatch.setattr(limiter, "enabled", limiter.enabled)
    monkeypatch.setattr(limiter, "initialized", limiter.initialized)
    config = {
        key: app.config[key]
        for key in ("TESTING", "SECRET_KEY", "IIN_HASH_KEY", "WTF_CSRF_ENABLED", "SESSION_COOKIE_SECURE")
    }
    config.update(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'limits.db'}",
        MAIL_OUTBOX=str(tmp_path / "outbox"),
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI=limit_storage,
        RATELIMIT_KEY_PREFIX=f"tyndau-test-{uuid.uuid4().hex}",
        RATELIMIT_AUTH="2 per minute",
    )
    fresh = create_app(config)
    with fresh.app_context():
        _db.create_all()
    try:
        client = fresh.test_client()
        for _ in range(2):
            assert client.post("/account/reset?lang=ru", data={"email": ""}).status_code == 200
        limited = client.post("/account/reset?lang=ru", data={"email": ""})
        assert limited.status_code == 429
        page = limited.get_data(as_text=True)
        assert '<html lang="ru">' in page
        assert "429" in page
        assert "Слишком много запросов" in page
        assert client.get("/account/reset").status_code == 200  # only POSTs count
        login_posts = [client.post("/account/login", data={}).status_code for _ in range(3)]
        assert login_posts[-1] == 429
    finally:
        limiter.reset()
        with fresh.app_context():
            _db.session.remove()
            _db.engine.dispose()


def forget_request_state() -> None:
    """The ``db`` fixture keeps one app context (and so one ``g``) across a test's requests;
    drop Flask-Login's per-request cache so the next request loads the user from its cookies."""
    from flask import g

    g.pop("_login_user", None)


def test_remember_me_cookie_survives_the_session_and_dies_with_a_reset(app, client, db, make_user):
    user = make_user()
    response = client.post("/account/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    assert response.status_code == 302
    assert client.get_cookie("remember_token") is not None

    client.delete_cookie("session")
    forget_request_state()
    assert client.get("/account/profile").status_code == 200  # restored from the remember cookie

    with app.test_request_context():
        token = services.reset_token(user)
    services.reset_password(token, "a completely new passphrase")
    commit()
    client.delete_cookie("session")
    forget_request_state()
    response = client.get("/account/profile")
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


def test_without_remember_there_is_no_remember_cookie(client, db, make_user, login):
    login(make_user())
    assert client.get_cookie("remember_token") is None


def test_password_reset_ends_the_open_session(app, client, db, make_user, login):
    user = make_user()
    login(user)
    assert client.get("/account/profile").status_code == 200
    with app.test_request_context():
        token = services.reset_token(user)
    new = "a completely new passphrase"
    assert client.post(f"/account/reset/{token}", data={"password": new, "password_confirm": new}).status_code == 302
    assert client.get("/account/profile").status_code == 302
    assert client.post("/account/login", data={"email": user.email, "password": PASSWORD}).status_code == 401
    assert client.post("/account/login", data={"email": user.email, "password": new}).status_code == 302


def test_iin_is_never_rendered(client, db, make_user, login):
    user = make_user()
    login(user)
    client.post("/account/iin", data={"iin": "900101300126"})
    for path in ("/account/profile", "/account/iin"):
        page = client.get(path).get_data(as_text=True)
        assert "900101300126" not in page
        assert user.iin_hash not in page


def test_authenticated_pages_are_not_cached(client, db, make_user, login):
    login(make_user())
    assert client.get("/account/profile").headers["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/authorities/3000000000", 404),  # beyond PostgreSQL's integer: not found, not a crash
        ("/cases/99999999999999999999999", 404),
        ("/cases/?authority=99999999999999999999999", 400),
        ("/cases/?q=%00", 400),
        ("/territories/%00", 400),
    ],
)
def test_out_of_range_numbers_and_nul_bytes_are_bad_requests(client, kato, path, status):
    response = client.get(path)
    assert response.status_code == status
