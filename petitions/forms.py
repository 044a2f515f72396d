"""Forms of petitions. Field names are part of the interface (tests and browser journeys rely on them)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DecimalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from feedback.forms import STRIP
from petitions import rules
from petitions.services import BODY_MAX, NOTE_MAX, PAPER_BATCH_MAX, TITLE_MAX, TITLE_MIN, PaperRow


def topic_choices():
    return [("", _l("Choose a topic"))] + [(t.code, t.name) for t in rules.topics()]


# -- filing ---------------------------------------------------------------------------------------------


class PetitionForm(FlaskForm):
    territory = HiddenField()
    topic = SelectField(
        _l("Topic"), choices=topic_choices, validators=[DataRequired(_l("Choose a topic from the list."))]
    )
    authority = RadioField(
        _l("Address it to"),
        coerce=int,
        validators=[InputRequired(_l("Choose the addressee."))],
        validate_choice=True,
    )
    title = StringField(
        _l("Title"),
        filters=STRIP,
        validators=[
            DataRequired(_l("Give the petition a title.")),
            Length(min=TITLE_MIN, max=TITLE_MAX, message=_l("The title must be %(min)d to %(max)d characters long.")),
        ],
        description=_l("What you ask for, in one line, e.g. “Repair the road from Turgen to Batan”."),
    )
    body = TextAreaField(
        _l("Text of the petition"),
        filters=STRIP,
        validators=[
            DataRequired(_l("Explain the petition.")),
            Length(max=BODY_MAX, message=_l("The text can have at most %(max)d characters.")),
        ],
        description=_l(
            "What is wrong, what you ask the authority to do, and why. You may use **bold**, *italics*, "
            "lists (lines starting with “- ”) and links. Do not write other people's personal data."
        ),
        render_kw={"rows": 12},
    )
    submit = SubmitField(_l("Save and preview"))


class SubmitForm(FlaskForm):
    acknowledge = BooleanField(
        _l("I have read the list of excluded topics: my petition is not about any of them."),
        validators=[DataRequired(_l("Confirm that the petition is not about one of the excluded topics."))],
    )
    submit = SubmitField(_l("Send to moderation"))


class WithdrawForm(FlaskForm):
    submit = SubmitField(_l("Withdraw the petition"))


# -- signing --------------------------------------------------------------------------------------------


class SignForm(FlaskForm):
    submit = SubmitField(_l("Sign this petition"))


class UnsignForm(FlaskForm):
    submit = SubmitField(_l("Withdraw my signature"))


# -- moderation -----------------------------------------------------------------------------------------


class TakeForm(FlaskForm):
    submit = SubmitField(_l("Take it"))


class ReleaseForm(FlaskForm):
    submit = SubmitField(_l("Release it"))


class PublishForm(FlaskForm):
    submit = SubmitField(_l("Publish"))


class ReturnForm(FlaskForm):
    note = TextAreaField(
        _l("What should the author change?"),
        filters=STRIP,
        validators=[
            DataRequired(_l("Tell the author what to change.")),
            Length(max=NOTE_MAX, message=_l("The note can have at most %(max)d characters.")),
        ],
        render_kw={"rows": 4},
    )
    submit = SubmitField(_l("Return to the author"))


def reason_choices():
    return [("", _l("Choose a reason"))] + [(r.code, r.name) for r in rules.reject_reasons()]


class RejectForm(FlaskForm):
    reason = SelectField(
        _l("Reason"), choices=reason_choices, validators=[DataRequired(_l("Choose a reason from the list."))]
    )
    note = TextAreaField(
        _l("Note to the author (optional)"),
        filters=STRIP,
        validators=[Optional(), Length(max=NOTE_MAX, message=_l("The note can have at most %(max)d characters."))],
        render_kw={"rows": 3},
    )
    submit = SubmitField(_l("Reject"))


# -- paper signatures -----------------------------------------------------------------------------------


class PaperBatchForm(FlaskForm):
    rows = TextAreaField(
        _l("Signatures, one per line: IIN; full name; settlement"),
        filters=STRIP,
        validators=[DataRequired(_l("Enter at least one signature."))],
        description=_l(
            "Separate the three parts with a semicolon or a tab. The settlement is its KATO code or its name. "
            "At most %(n)d lines at a time.",
            n=PAPER_BATCH_MAX,
        ),
        render_kw={"rows": 10},
    )
    note = StringField(
        _l("Where the sheets come from (optional)"), filters=STRIP, validators=[Optional(), Length(max=300)]
    )
    submit = SubmitField(_l("Enter the signatures"))

    def paper_rows(self) -> list[PaperRow]:
        """The lines as rows; a line without three parts becomes a row that fails its checks."""
        out = []
        for line in (self.rows.data or "").splitlines():
            if not line.strip():
                continue
            separator = "\t" if "\t" in line else ";"
            parts = [p.strip() for p in line.split(separator)]
            parts += [""] * (3 - len(parts))
            out.append(PaperRow(iin=parts[0], name=parts[1], settlement=";".join(parts[2:]).strip("; ")))
        return out


# -- threshold rules ------------------------------------------------------------------------------------


def scope_choices():
    return [(s, label) for s, label in rules.SCOPE_LABELS.items()]


class ThresholdForm(FlaskForm):
    scope = SelectField(_l("Addressee"), choices=scope_choices, validate_choice=True)
    fixed = IntegerField(
        _l("Fixed number of signatures"),
        validators=[Optional(), NumberRange(min=1, max=100_000_000, message=_l("Between %(min)s and %(max)s."))],
    )
    percent = DecimalField(
        _l("Share of residents, %"),
        places=3,
        validators=[Optional(), NumberRange(min=0.001, max=100, message=_l("Between %(min)s and %(max)s."))],
    )
    large_from = IntegerField(
        _l("The fixed number applies above this population"),
        validators=[Optional(), NumberRange(min=1, max=100_000_000, message=_l("Between %(min)s and %(max)s."))],
    )
    fallback = IntegerField(
        _l("Where the population is not known"),
        validators=[Optional(), NumberRange(min=1, max=100_000_000, message=_l("Between %(min)s and %(max)s."))],
    )
    authority = StringField(
        _l("One authority only (key or number, optional)"),
        filters=STRIP,
        validators=[Optional(), Length(max=64)],
        description=_l("When given, the rule covers this authority alone and the addressee kind is ignored."),
    )
    note = StringField(_l("Note"), filters=STRIP, validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("Save the rule"))


class DeleteThresholdForm(FlaskForm):
    submit = SubmitField(_l("Remove"))
