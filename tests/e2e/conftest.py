"""Browser tests: a live server in a thread and Debian's Chromium driven by Playwright.

* ``live_server`` — the real application (real CSRF, its own SQLite file and outbox, the KATO
  sample and the authority ladder) served by werkzeug in a daemon thread for the whole session.
  Requests that end in an exception or a 5xx answer are recorded in ``live_server.errors``
  (``server_errors.new()`` in a test).
* ``browser`` — one Chromium for the session; ``page`` (1280×800), ``phone_page`` (360×740,
  touch) and ``new_page(...)`` give each test fresh contexts, closed at the end.
* ``outbox_dir``, ``newest_mail()``, ``mail_text()``, ``verification_link()`` read the mail the
  application wrote; ``user_row(email)`` reads a user from the live database.

Every test here is marked ``e2e`` and skipped when Chromium or Playwright is missing.
Screenshots of failed tests go to ``e2e-artifacts/`` at the repository root (git-ignored).
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
KATO_SAMPLE = ROOT.parent / "shared" / "data" / "kato" / "kato_sample.csv"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "e2e-artifacts"
PASSWORD = "correct horse battery staple"
HERE = Path(__file__).resolve().parent


#: Browser locale per UI language (sent as Accept-Language).
BROWSER_LOCALES = {"kk": "kk-KZ", "ru": "ru-RU", "en": "en-US"}


def _missing_reason() -> str | None:
    if not CHROMIUM.exists():
        return f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "browser tests need Playwright for Python (pip install playwright)"
    return None


def pytest_collection_modifyitems(config, items):
    reason = _missing_reason()
    for item in items:
        if HERE not in Path(str(item.path)).resolve().parents:
            continue
        item.add_marker(pytest.mark.e2e)
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


# --------------------------------------------------------------------------- live server


@dataclass
class LiveServer:
    url: str
    app: object
    outbox: Path
    errors: list = field(default_factory=list)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    from flask import got_request_exception, request, request_finished
    from werkzeug.serving import make_server

    from core.db import db
    from core.i18n_build import compile_catalogs
    from wsgi import create_app

    compile_catalogs()
    instance = tmp_path_factory.mktemp("e2e-instance")
    outbox = instance / "outbox"
    app = create_app(
        {
            "TESTING": False,
            "SECRET_KEY": "e2e-secret-key",
            "IIN_HASH_KEY": "e2e-iin-key",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'e2e.db'}",
            "WTF_CSRF_ENABLED": True,
            "RATELIMIT_ENABLED": False,
            "SESSION_COOKIE_SECURE": False,
            "REMEMBER_COOKIE_SECURE": False,
            "MAIL_OUTBOX": str(outbox),
            "REDIS_URL": None,  # jobs and mail inline, into the outbox
            "SMTP_HOST": None,
            "KATO_PATH": str(KATO_SAMPLE),
            "SERVER_NAME": None,
            "PETITIONS_PAGE_CACHE_SECONDS": 0,  # the journeys read pages right after changing them
        }
    )
    with app.app_context():
        from core.authorities.services import generate_ladder
        from core.territories.services import import_file

        db.create_all()
        import_file(KATO_SAMPLE)
        generate_ladder()
        db.session.commit()
        db.session.remove()

    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_URL"] = url
    live = LiveServer(url=url, app=app, outbox=outbox)

    # The app renders every exception as a friendly 500 page, so watch the responses as well.
    def record(sender, exception, **extra):
        live.errors.append(repr(exception))

    def record_5xx(sender, response, **extra):
        if response.status_code >= 500:
            live.errors.append(f"{response.status_code} on {request.method} {request.full_path}")

    got_request_exception.connect(record, app, weak=False)
    request_finished.connect(record_5xx, app, weak=False)
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    try:
        yield live
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        got_request_exception.disconnect(record, app)
        request_finished.disconnect(record_5xx, app)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(scope="session")
def live_url(live_server) -> str:
    return live_server.url


@pytest.fixture(scope="session")
def outbox_dir(live_server) -> Path:
    return live_server.outbox


@pytest.fixture
def server_errors(live_server):
    """Unhandled exceptions raised in the live server during this test (should stay empty)."""
    start = len(live_server.errors)

    class Errors:
        def new(self) -> list[str]:
            return live_server.errors[start:]

    return Errors()


# --------------------------------------------------------------------------- mail and data helpers


def mail_files(folder: Path) -> list[Path]:
    if not folder.exists():
        return []
    return sorted(folder.glob("*.eml"), key=lambda p: (p.stat().st_mtime_ns, p.name))


def newest_mail(folder: Path, to: str | None = None, after: int = 0, timeout: float = 5.0):
    """The newest message in the outbox (addressed to ``to`` when given), waiting up to ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        messages = [
            email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in mail_files(folder)[after:]
        ]
        if to:
            messages = [m for m in messages if to.lower() in str(m.get("To", "")).lower()]
        if messages:
            return messages[-1]
        if time.monotonic() > deadline:
            raise AssertionError(f"no mail{' to ' + to if to else ''} in {folder}")
        time.sleep(0.1)


def mail_text(message) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, "the mail has no text/plain part"
    return part.get_content()


def link_in(message, path_prefix: str, base_url: str) -> str:
    """The first link in the mail's plain text whose path starts with ``path_prefix``, on ``base_url``."""
    text = mail_text(message)
    for raw in re.findall(r"https?://[^\s<>\"')]+", text):
        parts = urlsplit(raw.rstrip(".,;"))
        if parts.path.startswith(path_prefix):
            return base_url + parts.path + (f"?{parts.query}" if parts.query else "")
    raise AssertionError(f"no {path_prefix} link in the mail:\n{text}")


def verification_link(message, base_url: str) -> str:
    return link_in(message, "/account/verify/", base_url)


@pytest.fixture
def user_row(live_server):
    """Read a user from the live database: a dict of its columns, or None."""

    def read(address: str) -> dict | None:
        import sqlalchemy as sa

        from core.accounts.models import User
        from core.db import db

        with live_server.app.app_context():
            user = db.session.scalar(sa.select(User).where(User.email == address))
            row = None if user is None else {c.key: getattr(user, c.key) for c in User.__mapper__.column_attrs}
            db.session.remove()
        return row

    return read


# --------------------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def playwright_instance():
    reason = _missing_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    manager = sync_playwright().start()
    try:
        yield manager
    finally:
        manager.stop()


@pytest.fixture(scope="session")
def browser(playwright_instance):
    chromium = playwright_instance.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    try:
        yield chromium
    finally:
        chromium.close()


@pytest.fixture
def new_page(browser, live_url, request):
    """Open a page in a fresh context: ``new_page(lang="kk", width=1280, height=800, **context_options)``."""
    contexts = []

    def make(lang: str = "kk", width: int = 1280, height: int = 800, **options):
        options.setdefault("locale", BROWSER_LOCALES.get(lang, lang))
        options.setdefault("viewport", {"width": width, "height": height})
        context = browser.new_context(base_url=live_url, **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make

    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for n, context in enumerate(contexts):
        if failed:
            ARTIFACTS.mkdir(exist_ok=True)
            name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)[-150:]
            for m, pg in enumerate(context.pages):
                # A screenshot is a courtesy, never a second failure.
                with contextlib.suppress(Exception):
                    pg.screenshot(path=str(ARTIFACTS / f"{name}-{n}-{m}.png"), full_page=True)
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture
def phone_page(new_page):
    return new_page(width=360, height=740, is_mobile=True, has_touch=True)


@pytest.fixture(scope="session")
def axe_path() -> Path:
    path = ROOT / "node_modules" / "axe-core" / "axe.min.js"
    if not path.exists():
        pytest.skip(f"axe-core is missing at {path}: run `npm install --no-audit --no-fund --no-save axe-core@4`")
    return path


# --------------------------------------------------------------------------- journeys through the real forms


@pytest.fixture
def register(live_url):
    """Fill and submit /account/register; returns the e-mail address used."""
    counter = {"n": 0}

    def do(
        page,
        address: str | None = None,
        password: str = PASSWORD,
        display_name: str = "Айгүл Серікова",
        locale: str = "kk",
    ) -> str:
        counter["n"] += 1
        address = address or f"e2e-{time.time_ns()}-{counter['n']}@example.kz"
        page.goto("/account/register")
        form = page.locator("form:has(input[name=password_confirm])")
        form.locator("input[name=email]").fill(address)
        form.locator("input[name=display_name]").fill(display_name)
        form.locator("input[name=password]").fill(password)
        form.locator("input[name=password_confirm]").fill(password)
        form.locator("select[name=locale]").select_option(locale)
        with page.expect_navigation():
            form.locator("[type=submit]").first.click()
        return address

    return do


@pytest.fixture
def sign_in(live_url):
    """Sign in through /account/login (``remember`` ticked when asked)."""

    def do(page, address: str, password: str = PASSWORD, remember: bool = False, next_path: str = ""):
        page.goto("/account/login" + (f"?next={next_path}" if next_path else ""))
        form = page.locator("form:has(input[name=password])").filter(has=page.locator("input[name=email]"))
        form.locator("input[name=email]").fill(address)
        form.locator("input[name=password]").fill(password)
        if remember:
            form.locator("input[name=remember]").check()
        with page.expect_navigation():
            form.locator("[type=submit]").first.click()
        assert page.locator('form[action$="/account/logout"]').count() == 1, (
            f"not signed in after the login form; now at {page.url}"
        )

    return do


# --------------------------------------------------------------------------- accounts made in the live database

#: IINs handed out in this session (each account needs its own; the live database lives as long as the session).
_iin_serial = {"n": 0}


def fresh_iin() -> str:
    """A valid IIN (born 5 May 1985, a woman) not handed out before in this session."""
    from core.iin import control_digit

    while True:
        _iin_serial["n"] += 1
        first = f"8505054{_iin_serial['n']:04d}"
        digit = control_digit(first)
        if digit is not None:
            return first + str(digit)


def make_account(
    live_server,
    role_name: str,
    display_name: str,
    *,
    lang: str = "kk",
    home: str | None = None,
    iin: bool = False,
    roles: tuple = (),
) -> str:
    """A verified account in the live database (password ``PASSWORD``), made through the services: with a
    home place (a KATO code) and an IIN when asked, and ``roles`` as (role, authority key or None) pairs,
    e.g. ``(("officer", "akimat:623600000"),)``. Returns its e-mail address."""
    from core.accounts.services import create_user, grant_role, set_home_territory, set_iin
    from core.authorities.services import find_authority
    from core.db import db

    address = f"e2e-{role_name}-{lang}-{time.time_ns()}@example.kz"
    with live_server.app.app_context():
        user = create_user(address, PASSWORD, display_name, locale=lang, verified=True)
        if home:
            set_home_territory(user, home)
        if iin:
            set_iin(user, fresh_iin())
        for role, key in roles:
            authority = find_authority(key) if key else None
            assert key is None or authority is not None, f"the sample has no {key}"
            grant_role(user, role, authority)
        db.session.commit()
        db.session.remove()
    return address
