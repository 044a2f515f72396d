"""Security headers and safe redirects."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, request
from werkzeug.routing import IntegerConverter

#: The largest id a URL may carry: PostgreSQL's ``integer``. A larger number is not found, not a crash.
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<int:…>`` in routes: non-negative and at most ``MAX_ID`` (anything else is a 404)."""

    def __init__(self, url_map, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_ID) -> None:
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max)


def refuse_nul_bytes():
    """No database stores a NUL in text (PostgreSQL refuses it): a request carrying one is malformed."""
    if "\x00" in request.path or any(
        "\x00" in value for source in (request.args, request.form) for value in source.values()
    ):
        abort(400)


CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def safe_next(target: str | None, default: str = "/") -> str:
    """A redirect target only if it stays on this site (a path, never ``//host`` or a scheme)."""
    if not target:
        return default
    target = target.strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return default
    return target


def set_security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "geolocation=(), camera=(), microphone=()")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if "Cache-Control" not in response.headers and request.endpoint and request.method == "GET":
        from flask_login import current_user

        if getattr(current_user, "is_authenticated", False):
            response.headers["Cache-Control"] = "private, no-store"
    return response
