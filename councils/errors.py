"""The councils' domain error: a rule the user broke, shown on the page in their language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.errors import AppError


class CouncilError(AppError):
    status_code = 400
    message = _l("This cannot be done with the council now.")
