"""Forms of councils, members and following. Field names are part of the interface (tests rely on them).

The forms check the shape of the input; the services check the rules (``councils.services``).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from councils.models import Affiliation, CouncilKind, MajorityBase, Position
from councils.services import DESCRIPTION_MAX, FULL_NAME_MAX, NAME_MAX, NOTICE_DAYS_MAX, ORGANISATION_MAX
from feedback.forms import STRIP


def _choices(cls):
    def make():
        return [SelectChoice(item.value, item.label) for item in cls]

    return make


def _whole(message):
    return [InputRequired(message), NumberRange(min=1, max=100, message=_l("Enter a whole number from 1 to 100."))]


class CouncilForm(FlaskForm):
    authority = StringField(
        _l("Authority (its number or key)"),
        filters=STRIP,
        validators=[DataRequired(_l("Choose the authority the council works with.")), Length(max=64)],
        description=_l("For example akimat:623600000, as shown on the authority's page, or find it below."),
    )
    kind = SelectField(_l("Kind"), choices=_choices(CouncilKind), validate_choice=True)
    name_kk = StringField(
        _l("Name in Kazakh"),
        filters=STRIP,
        validators=[DataRequired(_l("Give the council's name in Kazakh.")), Length(max=NAME_MAX)],
    )
    name_ru = StringField(
        _l("Name in Russian"),
        filters=STRIP,
        validators=[DataRequired(_l("Give the council's name in Russian.")), Length(max=NAME_MAX)],
    )
    name_en = StringField(_l("Name in English (optional)"), filters=STRIP, validators=[Length(max=NAME_MAX)])
    description = TextAreaField(
        _l("Description (optional)"),
        filters=STRIP,
        validators=[Length(max=DESCRIPTION_MAX)],
        render_kw={"rows": 5},
    )
    term_starts_on = DateField(_l("Term starts on"), validators=[InputRequired(_l("Enter the date the term starts."))])
    term_ends_on = DateField(_l("Term ends on (optional)"), validators=[Optional()])
    quorum_numerator = IntegerField(_l("Quorum: numerator"), validators=_whole(_l("Enter the quorum's numerator.")))
    quorum_denominator = IntegerField(
        _l("Quorum: denominator"), validators=_whole(_l("Enter the quorum's denominator."))
    )
    majority_numerator = IntegerField(
        _l("Majority: numerator"), validators=_whole(_l("Enter the majority's numerator."))
    )
    majority_denominator = IntegerField(
        _l("Majority: denominator"), validators=_whole(_l("Enter the majority's denominator."))
    )
    majority_base = RadioField(
        _l("The majority is counted"), choices=_choices(MajorityBase), default=MajorityBase.PRESENT.value
    )
    notice_days = IntegerField(
        _l("Agenda notice in calendar days"),
        validators=[
            InputRequired(_l("Enter the agenda notice in days.")),
            NumberRange(min=0, max=NOTICE_DAYS_MAX, message=_l("Enter a number of days from 0 to %(max)d.")),
        ],
    )
    submit = SubmitField(_l("Save the council"))

    def service_fields(self) -> dict:
        return {
            name: getattr(self, name).data
            for name in (
                "kind",
                "name_kk",
                "name_ru",
                "name_en",
                "description",
                "term_starts_on",
                "term_ends_on",
                "quorum_numerator",
                "quorum_denominator",
                "majority_numerator",
                "majority_denominator",
                "majority_base",
                "notice_days",
            )
        }


class MemberForm(FlaskForm):
    full_name = StringField(
        _l("Full name"),
        filters=STRIP,
        validators=[DataRequired(_l("Give the member's full name.")), Length(max=FULL_NAME_MAX)],
    )
    position = SelectField(_l("Position"), choices=_choices(Position), default=Position.MEMBER.value)
    affiliation = RadioField(_l("Represents"), choices=_choices(Affiliation), default=Affiliation.CIVIL_SOCIETY.value)
    organisation = StringField(
        _l("Organisation (optional)"),
        filters=STRIP,
        validators=[Length(max=ORGANISATION_MAX)],
        description=_l("The NGO, party, business or state body the member comes from."),
    )
    is_youth = BooleanField(_l("Counts in the youth share (up to 35 years old)"))
    voting_right = BooleanField(_l("Has a voting right"), default=True)
    term_starts_on = DateField(
        _l("Membership starts on"), validators=[InputRequired(_l("Enter the date the membership starts."))]
    )
    term_ends_on = DateField(_l("Membership ends on (optional)"), validators=[Optional()])
    email = StringField(
        _l("Email of the member's account (optional)"),
        filters=STRIP,
        validators=[Optional(), Length(max=254)],
        description=_l("Links the seat to the member's own account, so they can vote from it."),
    )
    submit = SubmitField(_l("Save the member"))

    def service_fields(self) -> dict:
        return {
            "full_name": self.full_name.data,
            "position": self.position.data,
            "affiliation": self.affiliation.data,
            "organisation": self.organisation.data or "",
            "is_youth": bool(self.is_youth.data),
            "voting_right": bool(self.voting_right.data),
            "term_starts_on": self.term_starts_on.data,
            "term_ends_on": self.term_ends_on.data,
            "user": self.email.data or None,
        }


class EndMemberForm(FlaskForm):
    on = DateField(_l("Last day of the membership"), validators=[Optional()])
    submit = SubmitField(_l("End this membership"))


class FollowForm(FlaskForm):
    follow = HiddenField(default="1")
