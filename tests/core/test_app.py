import re
from pathlib import Path

import pytest

from core.security import safe_next

TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates"


def test_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_templates_have_no_inline_script_or_handlers():
    """The CSP forbids inline script; make sure no template relies on it."""
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text):
            offenders.append(f"{path.name}: inline <script>")
        if re.search(r"\son[a-z]+\s*=", text):
            offenders.append(f"{path.name}: inline event handler")
        if re.search(r"\sstyle\s*=", text):
            offenders.append(f"{path.name}: inline style attribute")
    assert not offenders


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/account/profile", "/account/profile"),
        ("/territories/?q=a", "/territories/?q=a"),
        ("//evil.example", "/"),
        ("https://evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("", "/"),
        (None, "/"),
        ("relative/path", "/"),
    ],
)
def test_safe_next(target, expected):
    assert safe_next(target) == expected


def test_health(client):
    assert client.get("/healthz").json == {"status": "ok"}


def test_unexpected_error_is_a_friendly_500_in_the_users_language(client):
    response = client.get("/_test/crash?lang=ru")
    assert response.status_code == 500
    assert "Что-то пошло не так" in response.get_data(as_text=True)


def test_app_error_renders_its_message(client):
    response = client.get("/_test/not-allowed?lang=en")
    assert response.status_code == 403
    assert "You are not allowed to do this." in response.get_data(as_text=True)


def test_session_cookie_is_hardened_by_default():
    from core.config import DEFAULTS

    assert DEFAULTS["SESSION_COOKIE_SECURE"] is True
    assert DEFAULTS["SESSION_COOKIE_HTTPONLY"] is True
    assert DEFAULTS["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_home_shows_the_ladder_above_the_users_home(client, kato, make_user, login):
    citizen = make_user(home="623633100")  # a village of Ainabulak rural district, Zhanaarka district
    login(citizen)
    page = client.get("/?lang=ru").get_data(as_text=True)
    expected = ["Айнабулакский", "Жанааркинский район", "область Ұлытау", "Правительство", "Национальный курултай"]
    positions = [page.index(name) for name in expected]
    assert positions == sorted(positions)


def test_home_without_a_home_place_offers_the_picker(client, make_user, login):
    login(make_user())
    page = client.get("/?lang=en").get_data(as_text=True)
    assert "/territories/pick?next=" in page
