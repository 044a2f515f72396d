"""Public councils: arrive with their own issue."""

from flask import Blueprint

bp = Blueprint("councils", __name__, url_prefix="/councils")
