"""Small helpers every package's views share (the house view order: load, authorize, validate, call one
service, commit, redirect or render)."""

from __future__ import annotations

from datetime import date

from flask import request
from flask_babel import format_date

from core.db import db
from core.errors import AppError


def page_number() -> int:
    """The ``page`` query argument, at least 1."""
    return max(request.args.get("page", 1, type=int) or 1, 1)


def service_error(form, exc: AppError) -> int:
    """Undo the failed unit of work and put the service's message on the form; returns the status."""
    db.session.rollback()
    form.form_errors.append(str(exc.message))
    return exc.status_code


def format_day(value: date | None) -> str:
    """A date in the current language's medium format ("" for none)."""
    return format_date(value, "medium") if value else ""
