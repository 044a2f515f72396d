"""Layered configuration: code defaults, then ``instance/config.py``, then the environment.

The embedded default needs no environment at all: SQLite under ``instance/``, jobs inline,
mail written to ``instance/outbox``, rate limits in memory. Production sets the variables
documented in the README (``DATABASE_URL``, ``REDIS_URL``, ``SMTP_*``, ``SECRET_KEY``,
``IIN_HASH_KEY``); any other setting can be given as ``FLASK_<NAME>``.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

DEFAULTS: dict[str, object] = {
    "SQLALCHEMY_DATABASE_URI": None,  # filled from instance_path when not given
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "REDIS_URL": None,
    "JOBS_QUEUE_NAME": "tyndau",
    "MAIL_OUTBOX": None,  # folder; defaults to instance/outbox
    "MAIL_FROM": "Tyndau <no-reply@tyndau.kz>",
    "SMTP_HOST": None,
    "SMTP_PORT": 587,
    "SMTP_USERNAME": None,
    "SMTP_PASSWORD": None,
    "SMTP_STARTTLS": True,
    "SMTP_SSL": False,
    "PUBLIC_URL": None,  # e.g. https://tyndau.kz; used for links in mail sent from jobs
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host are trusted (0: none).
    "PROXY_HOPS": 0,
    "BABEL_DEFAULT_LOCALE": "kk",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Almaty",
    "LANGUAGES": ("kk", "ru", "en"),
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": True,
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_SECURE": True,
    "WTF_CSRF_TIME_LIMIT": 3600 * 8,
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": True,
    "RATELIMIT_AUTH": "10 per minute;60 per hour",
    "EMAIL_TOKEN_MAX_AGE": 3 * 24 * 3600,
    "PASSWORD_RESET_MAX_AGE": 2 * 3600,
    "PASSWORD_MIN_LENGTH": 10,
    # Domains refused at registration (one a line, '#' comments); None: the shipped core/data/disposable_domains.txt.
    "DISPOSABLE_EMAIL_DOMAINS_FILE": None,
    # argon2id cost; the defaults are argon2-cffi's recommended ones (RFC 9106 low-memory profile).
    "ARGON2_TIME_COST": 3,
    "ARGON2_MEMORY_COST": 65536,
    "ARGON2_PARALLELISM": 4,
    "IIN_HASH_KEY": None,
    "KATO_PATH": None,  # the full classifier for `flask seed demo`; defaults to ../shared/data/kato/kato.csv
    "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,
}

#: Environment variables read by their plain names (production conventions).
PLAIN_ENV = ("SECRET_KEY", "IIN_HASH_KEY", "REDIS_URL", "PUBLIC_URL", "MAIL_FROM", "KATO_PATH")
SMTP_ENV = ("SMTP_HOST", "SMTP_PORT", "SMTP_USERNAME", "SMTP_PASSWORD", "SMTP_STARTTLS", "SMTP_SSL")


def database_url(url: str) -> str:
    """Normalise a ``DATABASE_URL`` so SQLAlchemy uses psycopg 3 for PostgreSQL."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _env_bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def from_environment(environ: os._Environ | dict[str, str]) -> dict[str, object]:
    """The settings the environment gives by their conventional names."""
    out: dict[str, object] = {}
    if environ.get("DATABASE_URL"):
        out["SQLALCHEMY_DATABASE_URI"] = database_url(environ["DATABASE_URL"])
    for name in PLAIN_ENV:
        if environ.get(name):
            out[name] = environ[name]
    for name in SMTP_ENV:
        if environ.get(name):
            value: object = environ[name]
            if name == "SMTP_PORT":
                value = int(environ[name])
            elif name in ("SMTP_STARTTLS", "SMTP_SSL"):
                value = _env_bool(environ[name])
            out[name] = value
    if environ.get("REDIS_URL") and not environ.get("FLASK_RATELIMIT_STORAGE_URI"):
        out["RATELIMIT_STORAGE_URI"] = environ["REDIS_URL"]
    return out


def _instance_secret(instance_path: Path, name: str) -> str:
    """A secret kept in the instance folder, created on first use (embedded default only)."""
    path = instance_path / name
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def configure(app, overrides: dict | None = None) -> None:
    """Apply the layers in order; ``overrides`` (tests) win over everything."""
    app.config.update(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(from_environment(os.environ))
    app.config.from_prefixed_env()
    if overrides:
        app.config.update(overrides)

    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'tyndau.db'}"
    if not app.config.get("MAIL_OUTBOX"):
        app.config["MAIL_OUTBOX"] = str(instance / "outbox")
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(instance, "secret_key")
    if not app.config.get("IIN_HASH_KEY"):
        app.config["IIN_HASH_KEY"] = _instance_secret(instance, "iin_hash_key")
    if not app.config.get("KATO_PATH"):
        app.config["KATO_PATH"] = str(Path(app.root_path).parent.parent / "shared" / "data" / "kato" / "kato.csv")
