"""Forms of meetings, agenda items, materials, attendance and citizens' proposals. Field names are part of the
interface (tests and browser journeys rely on them)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from councils.meetings import (
    DESCRIPTION_MAX,
    PLACE_MAX,
    PROPOSAL_BODY_MAX,
    RAPPORTEUR_MAX,
    REASON_MAX,
    TITLE_MAX,
    URL_MAX,
)
from councils.models import ItemKind, MeetingFormat
from feedback.forms import STRIP


def format_choices():
    return [(f.value, f.label) for f in MeetingFormat]


def kind_choices():
    return [(k.value, k.label) for k in ItemKind]


class MeetingForm(FlaskForm):
    starts_at = DateTimeLocalField(
        _l("Date and time (Almaty time)"),
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        validators=[InputRequired(_l("Give the meeting's date and time."))],
    )
    format = SelectField(_l("Format"), choices=format_choices, validators=[DataRequired()])
    place = StringField(
        _l("Venue"),
        filters=STRIP,
        validators=[Length(max=PLACE_MAX)],
        description=_l("The address and the room, for a meeting in person."),
    )
    online_url = StringField(
        _l("Link to join online"),
        filters=STRIP,
        validators=[Length(max=URL_MAX)],
        description=_l("For an online or hybrid meeting, starting with https://."),
    )


class CancelForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason for cancelling"),
        filters=STRIP,
        validators=[DataRequired(_l("Give the reason for cancelling the meeting.")), Length(max=REASON_MAX)],
        render_kw={"rows": 3},
    )


class ItemForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=kind_choices, validators=[DataRequired()])
    title = StringField(
        _l("Title"),
        filters=STRIP,
        validators=[DataRequired(_l("Give the item a title.")), Length(max=TITLE_MAX)],
    )
    description = TextAreaField(
        _l("Description"), filters=STRIP, validators=[Length(max=DESCRIPTION_MAX)], render_kw={"rows": 6}
    )
    rapporteur = StringField(
        _l("Rapporteur"),
        filters=STRIP,
        validators=[Length(max=RAPPORTEUR_MAX)],
        description=_l("Who presents the item: name and position."),
    )
    case_number = IntegerField(
        _l("Case number"),
        validators=[Optional(), NumberRange(min=1, max=2**31 - 1, message=_l("Give the number of an existing case."))],
        description=_l("For a citizens' case: its number, as shown on the case page."),
    )
    secret_ballot = BooleanField(_l("Secret ballot (no roll call is shown)"))


class PublishForm(FlaskForm):
    late_reason = TextAreaField(
        _l("Reason for publishing late"),
        filters=STRIP,
        validators=[Length(max=REASON_MAX)],
        description=_l("Shown publicly on the meeting's page."),
        render_kw={"rows": 3},
    )


class ProposalForm(FlaskForm):
    title = StringField(
        _l("Title"),
        filters=STRIP,
        validators=[DataRequired(_l("Give your proposal a title.")), Length(max=TITLE_MAX)],
        description=_l("The question the council should discuss, in one line."),
    )
    body = TextAreaField(
        _l("Your proposal"),
        filters=STRIP,
        validators=[
            DataRequired(_l("Explain what the council should discuss and why.")),
            Length(max=PROPOSAL_BODY_MAX),
        ],
        render_kw={"rows": 8},
    )
