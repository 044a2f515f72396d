"""The hot path: what a petition going viral asks of the server, served in front of the Flask app.

Two requests make up nearly all of that load: an anonymous reader opening the petition's page, and a signed-in
citizen pressing "Sign". This WSGI middleware answers the common, successful case of each with the least work
that keeps every rule, and hands everything else — any doubt at all — to the full Flask path, untouched:

* **Reading** ``GET /petitions/<id>`` (no account in the session, no flash waiting, no query but an already
  remembered ``lang``): the page comes from the view's page cache with the count part for the exact count
  (one autocommit statement, ``services.page_head``). When either part is not cached, the view renders it.
* **Signing** ``POST /petitions/<id>/sign`` on PostgreSQL: the session cookie and the CSRF token are checked
  exactly as Flask and Flask-WTF check them, the account and address rate limits are counted
  (``petitions.limits``, the same counters the view uses), then ``services.sign_in_autocommit`` reads the
  account, the petition and the home chain in one statement, applies the same signing rules as the view, and
  inserts in a second. A new signature answers with the same redirect the view gives; any other outcome
  (not allowed, already signed, an expired form, no session) goes to the view, which explains it.

So the hot path never refuses anything itself and never says anything: a request it cannot serve costs it
only its own checks. Responses carry the same security headers as the app's (``core.security``).
"""

from __future__ import annotations

import hmac
import io
import logging
import re
from urllib.parse import parse_qs

from flask import Flask, Response
from flask_wtf.csrf import same_origin
from itsdangerous import BadData, URLSafeTimedSerializer
from werkzeug.http import parse_cookie

from core.i18n import choose_locale
from core.security import MAX_ID, set_security_headers

log = logging.getLogger(__name__)

_PAGE = re.compile(r"/petitions/([1-9][0-9]{0,9})")
_SIGN = re.compile(r"/petitions/([1-9][0-9]{0,9})/sign")
_LANG = re.compile(r"lang=([a-z]{2})")
_USER_ID = re.compile(r"([1-9][0-9]{0,9})\.([1-9][0-9]{0,9})")
MAX_FORM = 4096

#: Set in the WSGI environ when the hot path has counted a signing request against the rate limits, so the view
#: (when the request falls through to it) does not count it twice; the value says whether it was within them.
LIMITS_COUNTED = "tyndau.sign_limits_counted"
#: A petition page's head (``services.page_head``) as ``views.cached_page`` read it for this request: when the
#: hot path hands the request on, the view uses it (read moments before) instead of reading it again.
PAGE_HEAD = "tyndau.petition_page_head"


class HotPath:
    def __init__(self, app: Flask, wsgi_app) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self._session_serializer = None
        self._csrf_serializer = None
        self._headers: dict[bool, list[tuple[str, str]]] = {}

    @classmethod
    def install(cls, app: Flask) -> None:
        app.wsgi_app = cls(app, app.wsgi_app)

    def __call__(self, environ, start_response):
        response = None
        if self.app.config.get("PETITIONS_HOT_PATH"):
            method, path = environ.get("REQUEST_METHOD"), environ.get("PATH_INFO", "")
            try:
                if method == "GET" and (match := _PAGE.fullmatch(path)):
                    response = self._page(environ, _id(match))
                elif method == "POST" and (match := _SIGN.fullmatch(path)):
                    response = self._sign(environ, _id(match))
            except Exception:  # the full path serves the request, and reports the failure properly
                log.exception("the hot path failed; the request goes to the full path")
                response = None
        if response is None:
            return self.wsgi_app(environ, start_response)
        status, headers, body = response
        start_response(status, headers)
        return [body]

    # -- reading -------------------------------------------------------------------------------------------

    def _page(self, environ, petition_id: int | None):
        config = self.app.config
        if petition_id is None or float(config.get("PETITIONS_PAGE_CACHE_SECONDS") or 0) <= 0:
            return None
        cookies = parse_cookie(environ)
        if config.get("REMEMBER_COOKIE_NAME", "remember_token") in cookies:
            return None
        session = self._session(cookies)
        if session is None or "_user_id" in session or "_flashes" in session:
            return None
        supported = tuple(config["LANGUAGES"])
        asked = None
        if query := environ.get("QUERY_STRING"):
            match = _LANG.fullmatch(query)
            # ?lang= that is not yet the session's would be remembered in it: the full path writes the cookie
            if match is None or match.group(1) not in supported or session.get("lang") != match.group(1):
                return None
            asked = match.group(1)
        locale = choose_locale(
            asked,
            session.get("lang"),
            None,
            environ.get("HTTP_ACCEPT_LANGUAGE"),
            supported,
            config["BABEL_DEFAULT_LOCALE"],
        )
        from petitions.views import cached_page

        with self.app.app_context():
            html = cached_page(petition_id, locale, environ=environ)
        if html is None:
            return None
        body = html.encode()
        headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))]
        return "200 OK", headers + self._security_headers(environ) + [("Vary", "Cookie")], body

    # -- signing -------------------------------------------------------------------------------------------

    def _sign(self, environ, petition_id: int | None):
        config = self.app.config
        if petition_id is None or not str(config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("postgresql"):
            return None
        body = _read_form(environ)
        if body is None:
            return None
        session = self._session(parse_cookie(environ))
        match = _USER_ID.fullmatch(str((session or {}).get("_user_id", "")))
        if match is None:
            return None
        user_id, version = int(match.group(1)), int(match.group(2))
        if user_id > MAX_ID or version > MAX_ID or not self._csrf_valid(environ, session, body):
            return None
        if getattr(self.app.login_manager, "session_protection", None) == "strong":
            return None  # Flask-Login would check the session's origin (we run "basic", which does not refuse)

        from petitions import limits, services

        within = limits.sign_allowed(self.app, f"{user_id}.{version}", environ.get("REMOTE_ADDR"))
        environ[LIMITS_COUNTED] = within
        if not within:
            return None  # the view answers 429
        with self.app.app_context():
            signed = services.sign_in_autocommit(petition_id, user_id, version)
            if signed is None:
                return None
            reached = signed.check_needed and _after_signing(petition_id)
        location = f"{environ.get('SCRIPT_NAME', '')}/petitions/{petition_id}?signed={'reached' if reached else 1}#sign"
        body = b"<!doctype html>\n<title>Redirecting</title>\n"
        headers = [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(body))),
            ("Location", location),
        ]
        return "302 FOUND", headers + self._security_headers(environ) + [("Vary", "Cookie")], body

    # -- what Flask and Flask-WTF check, checked the same way ---------------------------------------------

    def _session(self, cookies) -> dict | None:
        """The Flask session in the cookie: {} without one, None when it does not verify (the full path then
        starts a fresh session, and answers)."""
        raw = cookies.get(self.app.config["SESSION_COOKIE_NAME"])
        if not raw:
            return {}
        if self._session_serializer is None:
            self._session_serializer = self.app.session_interface.get_signing_serializer(self.app)
        if self._session_serializer is None:
            return None
        try:
            data = self._session_serializer.loads(raw, max_age=int(self.app.permanent_session_lifetime.total_seconds()))
        except BadData:
            return None
        return data if isinstance(data, dict) else None

    def _csrf_valid(self, environ, session: dict, body: bytes) -> bool:
        """Flask-WTF's check (``flask_wtf.csrf.validate_csrf`` and, over HTTPS, the strict referrer check)."""
        config = self.app.config
        field = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
        try:
            form = parse_qs(body.decode("ascii"), keep_blank_values=True, max_num_fields=8)
        except (UnicodeDecodeError, ValueError):
            return False
        token, expected = (form.get(field) or [None])[0], session.get(field)
        if not token or not isinstance(expected, str) or any("\x00" in v for vs in form.values() for v in vs):
            return False  # (a NUL anywhere is refused by the full path, core.security.refuse_nul_bytes)
        if self._csrf_serializer is None:
            secret = config.get("WTF_CSRF_SECRET_KEY") or self.app.secret_key
            self._csrf_serializer = URLSafeTimedSerializer(secret, salt="wtf-csrf-token")
        try:
            value = self._csrf_serializer.loads(token, max_age=config.get("WTF_CSRF_TIME_LIMIT", 3600))
        except BadData:
            return False
        if not isinstance(value, str) or not hmac.compare_digest(expected, value):
            return False
        if environ.get("wsgi.url_scheme") == "https" and config.get("WTF_CSRF_SSL_STRICT", True):
            referrer, host = environ.get("HTTP_REFERER"), environ.get("HTTP_HOST")
            return bool(referrer and host and same_origin(referrer, f"https://{host}/"))
        return True

    def _security_headers(self, environ) -> list[tuple[str, str]]:
        """The headers ``core.security.set_security_headers`` gives an anonymous GET or any POST (built once)."""
        secure = environ.get("wsgi.url_scheme") == "https"
        if secure not in self._headers:
            with self.app.test_request_context("/", base_url=f"{'https' if secure else 'http'}://localhost"):
                response = set_security_headers(Response())
            self._headers[secure] = [
                (name, value)
                for name, value in response.headers.items()
                if name not in ("Content-Type", "Content-Length")
            ]
        return self._headers[secure]


def _id(match) -> int | None:
    value = int(match.group(1))
    return value if value <= MAX_ID else None


def _read_form(environ) -> bytes | None:
    """The urlencoded body of a small form; the WSGI input is replaced by a copy, for the full path to read."""
    if not environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        return None
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if not 0 < length <= MAX_FORM:
        return None
    body = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)
    return body if len(body) == length else None


def _after_signing(petition_id: int) -> bool:
    """List or hand over the petition where this signature may have made the difference; whether it reached the
    threshold. A failure here leaves the signature counted; the next signer's check or the sweep does the rest."""
    from core.db import commit, db
    from petitions import services

    try:
        outcome = services.after_signing(petition_id)
        if outcome.listed or outcome.reached is not None:
            commit()
        else:
            db.session.rollback()
        return outcome.reached is not None
    except Exception:
        db.session.rollback()
        log.exception("after signing petition %s", petition_id)
        return False
