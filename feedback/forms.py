"""Forms of the loop. Field names are part of the interface (tests and browser journeys rely on them).

Several forms share the case page, so each has a prefix there (``assign-``, ``extend-``, …): the fields'
names and ids stay unique on the page.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from core.authorities.models import AuthorityKind
from feedback.models import CaseSource, DeadlineScope, Decision
from feedback.services import BODY_MAX, TEXT_MAX, TITLE_MAX

MEASURE_ROWS = 5


class _Strip:
    """Strip surrounding white space from text input (WTForms filter)."""

    def __call__(self, value):
        return value.strip() if isinstance(value, str) else value


STRIP = [_Strip()]


# -- filing ---------------------------------------------------------------------------------------------


class ProposalForm(FlaskForm):
    territory = HiddenField()
    authority = RadioField(
        _l("Address it to"),
        coerce=int,
        validators=[InputRequired(_l("Choose the authority to address."))],
        validate_choice=True,
    )
    title = StringField(
        _l("Title"),
        filters=STRIP,
        validators=[
            DataRequired(_l("Give your proposal a title.")),
            Length(min=5, max=TITLE_MAX, message=_l("The title must be 5 to %(max)d characters long.")),
        ],
        description=_l("A short summary, e.g. “No drinking water in the village since May”."),
    )
    body = TextAreaField(
        _l("Your proposal"),
        filters=STRIP,
        validators=[
            DataRequired(_l("Describe the matter.")),
            Length(min=20, max=BODY_MAX, message=_l("Describe the matter in %(min)d to %(max)d characters.")),
        ],
        description=_l("What is wrong, where, since when, and what you propose. Do not write personal data."),
        render_kw={"rows": 8},
    )
    submit = SubmitField(_l("File the proposal"))


class KurultaiProposalForm(FlaskForm):
    title = ProposalForm.title
    body = ProposalForm.body
    submit = SubmitField(_l("Send to the National Kurultai"))


# -- officers -------------------------------------------------------------------------------------------


class AssignForm(FlaskForm):
    assignee = SelectField(_l("Officer in charge"), coerce=int, validate_choice=True)
    submit = SubmitField(_l("Assign"))


class ExtendForm(FlaskForm):
    new_due = DateField(_l("New due date"), validators=[InputRequired(_l("Enter the new due date."))])
    reason = TextAreaField(
        _l("Reason for the extension"),
        filters=STRIP,
        validators=[
            DataRequired(_l("Give the reason for the extension.")),
            Length(min=10, max=2000, message=_l("The reason must be %(min)d to %(max)d characters long.")),
        ],
        description=_l("Shown publicly and sent to the participants."),
    )
    submit = SubmitField(_l("Extend the deadline"))


class RedirectForm(FlaskForm):
    target = SelectField(_l("Competent authority"), coerce=str, validate_choice=False)
    target_key = StringField(
        _l("…or its key or number"),
        filters=STRIP,
        validators=[Optional(), Length(max=64)],
        description=_l("For example akimat:623600000, as shown on the authority's page."),
    )
    reason = TextAreaField(
        _l("Why it is not in our competence"),
        filters=STRIP,
        validators=[
            DataRequired(_l("Give the reason for the redirect.")),
            Length(min=10, max=2000, message=_l("The reason must be %(min)d to %(max)d characters long.")),
        ],
        description=_l("Shown publicly and sent to the participants."),
    )
    submit = SubmitField(_l("Redirect the case"))

    def validate_target(self, field) -> None:
        if not (field.data or "").strip() and not self.target_key.data:
            raise ValidationError(_l("Choose the authority to redirect the case to."))


class MeasureForm(Form):
    """One row of the measures table; an empty row is ignored."""

    description = TextAreaField(_l("Measure"), filters=STRIP, validators=[Optional(), Length(max=2000)])
    responsible = StringField(_l("Responsible body"), filters=STRIP, validators=[Optional(), Length(max=300)])
    due_on = DateField(_l("Due date"), validators=[Optional()])

    @property
    def is_empty(self) -> bool:
        typed_date = any((v or "").strip() for v in (self.due_on.raw_data or []))
        return not self.description.data and not self.responsible.data and not typed_date

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if not ok or self.is_empty:
            return ok
        missing = [f for f in (self.description, self.responsible) if not f.data]
        if self.due_on.data is None:
            missing.append(self.due_on)
        for f in missing:
            f.errors = [*f.errors, str(_l("Each measure needs a description, a responsible body and a due date."))]
        return not missing


class AnswerForm(FlaskForm):
    decision = RadioField(
        _l("Decision"),
        validators=[InputRequired(_l("Choose the decision."))],
        validate_choice=True,
    )
    text = TextAreaField(
        _l("Answer"),
        filters=STRIP,
        validators=[
            DataRequired(_l("Write the answer.")),
            Length(min=20, max=TEXT_MAX, message=_l("The answer must be %(min)d to %(max)d characters long.")),
        ],
        render_kw={"rows": 8},
    )
    measures = FieldList(FormField(MeasureForm), min_entries=MEASURE_ROWS, max_entries=MEASURE_ROWS)
    submit = SubmitField(_l("Publish the answer"))

    def measure_inputs(self) -> list:
        from feedback.services import MeasureInput

        return [
            MeasureInput(row.form.description.data or "", row.form.responsible.data or "", row.form.due_on.data)
            for row in self.measures
            if not row.form.is_empty
        ]


def decision_choices(allow_referred: bool) -> list[SelectChoice]:
    return [SelectChoice(d.value, d.label) for d in Decision if allow_referred or d != Decision.REFERRED]


class ShortlistForm(FlaskForm):
    session = StringField(
        _l("Kurultai session"),
        filters=STRIP,
        validators=[
            DataRequired(_l("Name the Kurultai session.")),
            Length(min=3, max=200, message=_l("The name must be %(min)d to %(max)d characters long.")),
        ],
        description=_l("For example “Fifth session, March 2026”."),
    )
    submit = SubmitField(_l("Shortlist for the session"))


# -- participants ---------------------------------------------------------------------------------------


class RateForm(FlaskForm):
    satisfied = RadioField(
        _l("Are you satisfied with the answer?"),
        choices=[SelectChoice("yes", _l("Satisfied")), SelectChoice("no", _l("Not satisfied"))],
        validators=[InputRequired(_l("Choose whether you are satisfied."))],
    )
    comment = TextAreaField(
        _l("Comment (optional)"),
        filters=STRIP,
        validators=[Optional(), Length(max=2000, message=_l("At most %(max)d characters."))],
    )
    submit = SubmitField(_l("Save my rating"))


class WithdrawForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason (optional)"),
        filters=STRIP,
        validators=[Optional(), Length(max=2000, message=_l("At most %(max)d characters."))],
    )
    submit = SubmitField(_l("Withdraw my proposal"))


# -- rules ----------------------------------------------------------------------------------------------


SCOPE_LABELS = {
    DeadlineScope.ANY.value: _l("Any authority"),
    DeadlineScope.LOCAL.value: _l("Local bodies"),
    DeadlineScope.CENTRAL.value: _l("Central bodies"),
}


def source_label(value: str) -> str:
    return CaseSource(value).label if value else str(_l("Any source"))


def scope_label(value: str) -> str:
    if value in SCOPE_LABELS:
        return str(SCOPE_LABELS[value])
    try:
        return AuthorityKind(value).label
    except ValueError:
        return value


def source_choices() -> list[SelectChoice]:
    return [SelectChoice("", source_label(""))] + [SelectChoice(s.value, s.label) for s in CaseSource]


def scope_choices() -> list[SelectChoice]:
    return [SelectChoice(s.value, scope_label(s.value)) for s in DeadlineScope] + [
        SelectChoice(k.value, k.label) for k in AuthorityKind
    ]


class RuleForm(FlaskForm):
    source = SelectField(_l("Source"), choices=source_choices, validate_choice=True)
    scope = SelectField(_l("Authorities covered"), choices=scope_choices, validate_choice=True)
    working_days = IntegerField(
        _l("Working days to answer"),
        validators=[
            InputRequired(_l("Enter the number of working days.")),
            NumberRange(min=1, max=250, message=_l("A deadline is between %(min)s and %(max)s working days.")),
        ],
    )
    authority = StringField(
        _l("One authority only (key or number, optional)"),
        filters=STRIP,
        validators=[Optional(), Length(max=64)],
        description=_l("When given, the rule covers this authority alone and the scope is ignored."),
    )
    note = StringField(_l("Note"), filters=STRIP, validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("Save the rule"))


class DeleteRuleForm(FlaskForm):
    submit = SubmitField(_l("Remove"))
