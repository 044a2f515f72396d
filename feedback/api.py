"""Open data of the loop: JSON API, CSV exports, league tables (being built)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("feedback_api", __name__)
