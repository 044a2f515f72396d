"""Public councils: the blueprint. Its routes live in the modules imported at the bottom."""

from flask import Blueprint

from councils import models as _models  # noqa: F401  (tables known to migrations and create_all)

bp = Blueprint("councils", __name__, url_prefix="/councils")
