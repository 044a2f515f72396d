"""The core application builder. ``wsgi.create_app`` calls it and plugs in the feature packages."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask

from core import config as config_module
from core.extensions import babel, csrf, db, limiter, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent


def build_app(overrides: dict | None = None, blueprints=(), cli_groups=()) -> Flask:
    app = Flask(
        "tyndau",
        root_path=str(ROOT / "core"),
        instance_path=str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    config_module.configure(app, overrides)
    from core.security import IdConverter

    app.url_map.converters["int"] = IdConverter
    logging.basicConfig(level=app.config.get("LOG_LEVEL", "INFO"))

    _init_extensions(app)
    _register_core(app)
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    for group in cli_groups:
        app.cli.add_command(group)
    hops = int(app.config.get("PROXY_HOPS") or 0)
    if hops > 0:  # behind that many reverse proxies: the client's address and scheme come from their headers
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    return app


def _init_extensions(app: Flask) -> None:
    from core import i18n

    db.init_app(app)
    with app.app_context():
        from core.db import configure_engine

        for engine in db.engines.values():
            configure_engine(engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=i18n.select_locale,
        default_translation_directories=str(ROOT / "translations"),
    )
    limiter.init_app(app)
    i18n.init_app(app)

    from core.accounts.services import load_user

    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.login_view = "accounts.login"
    login_manager.login_message_category = "info"
    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please sign in to open this page.")
    login_manager.needs_refresh_message = _l("Please sign in again to continue.")


def _register_core(app: Flask) -> None:
    # Import models so metadata is complete for migrations and create_all.
    from core import audit, calendar, cli, errors, pages, security  # noqa: F401
    from core.accounts import models as _accounts  # noqa: F401
    from core.accounts.views import admin_bp as accounts_admin_bp
    from core.accounts.views import bp as accounts_bp
    from core.authorities import models as _authorities  # noqa: F401
    from core.authorities.views import bp as authorities_bp
    from core.territories import models as _territories  # noqa: F401
    from core.territories.views import bp as territories_bp

    app.register_blueprint(errors.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(accounts_admin_bp)
    app.register_blueprint(territories_bp)
    app.register_blueprint(authorities_bp)
    app.register_blueprint(calendar.bp)
    app.after_request(security.set_security_headers)
    app.before_request(security.refuse_nul_bytes)
    cli.register(app)

    @app.context_processor
    def _globals():
        from flask_login import current_user

        from core import hooks

        def nav_links() -> list[tuple[str, str]]:
            """Links the feature packages add to the signed-in user's menu."""
            return [link for provider in hooks.get("nav") for link in provider()]

        return {"current_user": current_user, "nav_links": nav_links}
