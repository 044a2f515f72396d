"""Open data of public councils: the JSON API."""

from __future__ import annotations

from flask import Blueprint

from feedback.api import _open_data_headers

bp = Blueprint("councils_api", __name__)
bp.after_request(_open_data_headers)
