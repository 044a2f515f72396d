"""The configuration layers: code defaults, ``instance/config.py``, the environment, test overrides."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from flask import Flask

from core import config as config_module
from core.config import database_url, from_environment

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def clean_env(monkeypatch):
    """No setting from the outer environment (CI exports DATABASE_URL and REDIS_URL) leaks in."""
    names = {"DATABASE_URL", *config_module.PLAIN_ENV, *config_module.SMTP_ENV}
    names |= {name for name in os.environ if name.startswith("FLASK_")}
    for name in names:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.fixture
def bare_app(tmp_path, clean_env):
    """A Flask app laid out like the real one, with its own instance folder."""

    def make() -> Flask:
        return Flask(
            "tyndau-config-test",
            root_path=str(ROOT / "core"),
            instance_path=str(tmp_path / "instance"),
            instance_relative_config=True,
        )

    return make


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@db:5432/tyndau", "postgresql+psycopg://u:p@db:5432/tyndau"),
        ("postgresql://u:p@db:5432/tyndau", "postgresql+psycopg://u:p@db:5432/tyndau"),
        ("postgresql+psycopg://u@db/tyndau", "postgresql+psycopg://u@db/tyndau"),
        ("sqlite:////srv/tyndau.db", "sqlite:////srv/tyndau.db"),
    ],
)
def test_database_url_uses_psycopg3(given, expected):
    assert database_url(given) == expected
    assert from_environment({"DATABASE_URL": given})["SQLALCHEMY_DATABASE_URI"] == expected


def test_empty_environment_gives_nothing():
    assert from_environment({}) == {}
    assert from_environment({"DATABASE_URL": "", "REDIS_URL": "", "SMTP_HOST": ""}) == {}


def test_redis_url_also_stores_rate_limits():
    out = from_environment({"REDIS_URL": "redis://cache:6379/2"})
    assert out["REDIS_URL"] == "redis://cache:6379/2"
    assert out["RATELIMIT_STORAGE_URI"] == "redis://cache:6379/2"


def test_explicit_rate_limit_storage_wins_over_redis_url():
    out = from_environment(
        {"REDIS_URL": "redis://cache:6379/2", "FLASK_RATELIMIT_STORAGE_URI": "redis://limits:6379/0"}
    )
    assert "RATELIMIT_STORAGE_URI" not in out


def test_smtp_settings_are_parsed():
    out = from_environment(
        {
            "SMTP_HOST": "smtp.example.kz",
            "SMTP_PORT": "465",
            "SMTP_USERNAME": "tyndau",
            "SMTP_PASSWORD": "s3cret",
            "SMTP_STARTTLS": "false",
            "SMTP_SSL": "yes",
        }
    )
    assert out == {
        "SMTP_HOST": "smtp.example.kz",
        "SMTP_PORT": 465,
        "SMTP_USERNAME": "tyndau",
        "SMTP_PASSWORD": "s3cret",
        "SMTP_STARTTLS": False,
        "SMTP_SSL": True,
    }


@pytest.mark.parametrize(("raw", "value"), [("1", True), ("true", True), ("On", True), ("0", False), ("no", False)])
def test_smtp_booleans(raw, value):
    assert from_environment({"SMTP_STARTTLS": raw})["SMTP_STARTTLS"] is value


def test_plain_names_are_read():
    env = {
        "SECRET_KEY": "k1",
        "IIN_HASH_KEY": "k2",
        "PUBLIC_URL": "https://tyndau.kz",
        "MAIL_FROM": "Tyndau <hello@tyndau.kz>",
        "KATO_PATH": "/srv/kato.csv",
    }
    assert from_environment(env) == env


def test_embedded_default_needs_no_environment(bare_app, tmp_path):
    app = bare_app()
    config_module.configure(app)
    instance = tmp_path / "instance"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'tyndau.db'}"
    assert app.config["MAIL_OUTBOX"] == str(instance / "outbox")
    assert app.config["REDIS_URL"] is None
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["BABEL_DEFAULT_LOCALE"] == "kk"
    assert app.config["KATO_PATH"] == str(ROOT.parent / "shared" / "data" / "kato" / "kato.csv")


def test_instance_secrets_are_created_once_and_kept(bare_app, tmp_path):
    first = bare_app()
    config_module.configure(first)
    instance = tmp_path / "instance"
    for name in ("secret_key", "iin_hash_key"):
        path = instance / name
        assert path.is_file()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert len(path.read_text().strip()) >= 32
    assert first.config["SECRET_KEY"] != first.config["IIN_HASH_KEY"]

    second = bare_app()
    config_module.configure(second)
    assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"]
    assert second.config["IIN_HASH_KEY"] == first.config["IIN_HASH_KEY"]


def test_secrets_from_environment_create_no_files(bare_app, tmp_path, clean_env):
    clean_env.setenv("SECRET_KEY", "from-env")
    clean_env.setenv("IIN_HASH_KEY", "iin-from-env")
    app = bare_app()
    config_module.configure(app)
    assert app.config["SECRET_KEY"] == "from-env"
    assert app.config["IIN_HASH_KEY"] == "iin-from-env"
    assert not (tmp_path / "instance" / "secret_key").exists()
    assert not (tmp_path / "instance" / "iin_hash_key").exists()


def test_layers_in_order(bare_app, tmp_path, clean_env):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text(
        'MAIL_FROM = "file"\nPUBLIC_URL = "https://file.example"\nJOBS_QUEUE_NAME = "from-file"\n'
    )
    clean_env.setenv("MAIL_FROM", "env")
    clean_env.setenv("PUBLIC_URL", "https://env.example")
    clean_env.setenv("DATABASE_URL", "postgres://tyndau@db/tyndau")
    clean_env.setenv("REDIS_URL", "redis://cache:6379/0")
    clean_env.setenv("FLASK_SESSION_COOKIE_SECURE", "false")
    clean_env.setenv("FLASK_PASSWORD_MIN_LENGTH", "12")
    app = bare_app()
    config_module.configure(app, {"PUBLIC_URL": "https://override.example"})

    assert app.config["JOBS_QUEUE_NAME"] == "from-file"  # instance/config.py over the defaults
    assert app.config["MAIL_FROM"] == "env"  # the environment over instance/config.py
    assert app.config["PUBLIC_URL"] == "https://override.example"  # overrides over everything
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://tyndau@db/tyndau"
    assert app.config["REDIS_URL"] == "redis://cache:6379/0"
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://cache:6379/0"
    # FLASK_<NAME> values are JSON: make run relies on this for cookies over plain http.
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert app.config["PASSWORD_MIN_LENGTH"] == 12


def test_overrides_win_over_environment_and_defaults(bare_app, clean_env):
    clean_env.setenv("DATABASE_URL", "postgresql://tyndau@db/tyndau")
    clean_env.setenv("SECRET_KEY", "env-secret")
    app = bare_app()
    config_module.configure(
        app,
        {"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "override", "RATELIMIT_ENABLED": False},
    )
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite://"
    assert app.config["SECRET_KEY"] == "override"
    assert app.config["RATELIMIT_ENABLED"] is False
