"""The composition root: builds the core app and plugs in the feature packages.

gunicorn 'wsgi:create_app()'  ·  flask --app wsgi run
"""

from __future__ import annotations

from core.app import build_app


def create_app(overrides: dict | None = None):
    from councils.api import bp as councils_api_bp
    from councils.views import bp as councils_bp
    from feedback.api import bp as feedback_api_bp
    from feedback.views import bp as feedback_bp
    from petitions.api import bp as petitions_api_bp
    from petitions.moderation import bp as petitions_moderation_bp
    from petitions.views import bp as petitions_bp

    return build_app(
        overrides,
        blueprints=(
            feedback_bp,
            feedback_api_bp,
            petitions_bp,
            petitions_moderation_bp,
            petitions_api_bp,
            councils_bp,
            councils_api_bp,
        ),
    )
