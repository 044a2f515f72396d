"""Forms of the territory pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length, Optional


class PlaceSearchForm(FlaskForm):
    """The picker's search box (GET, so no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField(_l("Search for a place"), validators=[Optional(), Length(max=100)])
