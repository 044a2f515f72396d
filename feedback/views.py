"""The Hearing State loop (cases, deadlines, answers, escalation): arrives with its own issue."""

from flask import Blueprint

bp = Blueprint("feedback", __name__, url_prefix="/cases")
