"""Online petitions: arrive with their own issue."""

from flask import Blueprint

bp = Blueprint("petitions", __name__, url_prefix="/petitions")
