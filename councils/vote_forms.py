"""Forms of votes, decisions, minutes and option sets. Field names are part of the interface (the endpoint
contract and the tests rely on them): ``question``, ``choice``, ``member_id``, ``text``,
``recommendations-<n>-authority`` / ``-authority_key`` / ``-text``, and one field per item kind."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Form, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields import FieldList, FormField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from councils.models import LABELS, ItemKind
from councils.voting import DECISION_MAX, QUESTION_MAX, RECOMMENDATION_MAX, RECOMMENDATIONS_MAX
from feedback.forms import STRIP


class OpenVoteForm(FlaskForm):
    question = StringField(
        _l("Question put to the vote"),
        filters=STRIP,
        validators=[Optional(), Length(max=QUESTION_MAX, message=_l("At most %(max)d characters."))],
        description=_l("Leave empty to vote on the item's title."),
    )


class BallotForm(FlaskForm):
    choice = RadioField(_l("Your vote"), validators=[InputRequired(_l("Choose an option."))], validate_choice=True)


class RecordBallotForm(FlaskForm):
    member_id = SelectField(
        _l("Member"), coerce=int, validators=[InputRequired(_l("Choose the member."))], validate_choice=True
    )
    choice = SelectField(_l("Their vote"), validators=[InputRequired(_l("Choose an option."))], validate_choice=True)


class RecommendationForm(Form):
    authority = SelectField(_l("Addressed to"), coerce=str, validate_choice=False)
    authority_key = StringField(
        _l("or the authority's number or key"),
        filters=STRIP,
        validators=[Optional(), Length(max=100)],
        description=_l("For an authority not in the list, e.g. 42 or akimat:623600000."),
    )
    text = TextAreaField(
        _l("Recommendation"),
        filters=STRIP,
        validators=[Optional(), Length(max=RECOMMENDATION_MAX, message=_l("At most %(max)d characters."))],
    )


class DecisionForm(FlaskForm):
    text = TextAreaField(
        _l("Decision"),
        filters=STRIP,
        validators=[
            DataRequired(_l("Write the decision.")),
            Length(max=DECISION_MAX, message=_l("At most %(max)d characters.")),
        ],
    )
    recommendations = FieldList(
        FormField(RecommendationForm), min_entries=RECOMMENDATIONS_MAX, max_entries=RECOMMENDATIONS_MAX
    )


class MinutesForm(FlaskForm):
    text = TextAreaField(
        _l("Text of the minutes"),
        filters=STRIP,
        validators=[DataRequired(_l("The minutes cannot be empty.")), Length(max=200_000)],
    )


class OptionSetsForm(FlaskForm):
    """One comma-separated list of option keys per agenda item kind (fields named after the kinds)."""


for _kind in ItemKind:
    setattr(
        OptionSetsForm,
        _kind.value,
        StringField(LABELS[ItemKind][_kind], filters=STRIP, validators=[DataRequired(_l("List the options."))]),
    )
