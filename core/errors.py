"""Domain errors and the error pages, rendered in the user's language (HTML or JSON)."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

from core.db import db


class AppError(Exception):
    """A rule the user broke; shown to them as a clear message, never a 500."""

    status_code = 400
    message = _l("This action cannot be done.")

    def __init__(self, message=None, **details):
        super().__init__(str(message or self.message))
        self.message = message or self.message
        self.details = details


class NotAllowed(AppError):
    status_code = 403
    message = _l("You are not allowed to do this.")


class NotFound(AppError):
    status_code = 404
    message = _l("Not found.")


class Conflict(AppError):
    status_code = 409
    message = _l("This conflicts with the current state.")


bp = Blueprint("errors", __name__)

TITLES = {
    400: _l("Bad request"),
    403: _l("Access denied"),
    404: _l("Page not found"),
    405: _l("Method not allowed"),
    409: _l("Conflict"),
    413: _l("File too large"),
    429: _l("Too many requests"),
    500: _l("Something went wrong"),
}
EXPLANATIONS = {
    400: _l("The request could not be understood. Please go back and try again."),
    403: _l("You do not have permission to open this page or do this action."),
    404: _l("We could not find this page. It may have moved or never existed."),
    405: _l("This address does not accept that kind of request."),
    409: _l("This conflicts with the current state of the record. Reload the page and try again."),
    413: _l("The file you sent is larger than we accept."),
    429: _l("You have made too many attempts. Please wait a little and try again."),
    500: _l("Our server had a problem. Nothing you sent was lost; please try again in a moment."),
}


def wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def render_error(code: int, message: str | None = None):
    code = code if code in TITLES else (500 if code >= 500 else 400)
    title = str(TITLES[code])
    text = str(message or EXPLANATIONS[code])
    if wants_json():
        return jsonify(error={"code": code, "title": title, "message": text}), code
    template = f"errors/{code}.html" if code in (400, 403, 404, 429, 500) else "errors/generic.html"
    return render_template(template, code=code, title=title, message=text), code


@bp.app_errorhandler(AppError)
def handle_app_error(error: AppError):
    db.session.rollback()
    return render_error(error.status_code, str(error.message))


@bp.app_errorhandler(HTTPException)
def handle_http_error(error: HTTPException):
    code = error.code or 500
    message = None
    if code == 400 and getattr(error, "description", None) and "CSRF" in str(error.description):
        from flask_babel import gettext as _

        message = _("Your form expired or was sent from elsewhere. Please reload the page and send it again.")
    return render_error(code, message)


@bp.app_errorhandler(OverflowError)
@bp.app_errorhandler(sa_exc.DataError)
def handle_bad_value(error: Exception):
    """A value the database cannot hold (a number out of range in a query string or form): the
    request was bad, nothing broke."""
    db.session.rollback()
    from flask import current_app

    current_app.logger.warning("bad value in %s %s: %s", request.method, request.path, error)
    return render_error(400)


@bp.app_errorhandler(Exception)
def handle_unexpected(error: Exception):
    db.session.rollback()
    from flask import current_app

    current_app.logger.exception("unhandled error")
    return render_error(500)
