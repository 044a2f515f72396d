"""Account forms. Field names are part of the interface (browser tests rely on them)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, ValidationError

from core.accounts.models import Role
from core.i18n import LANGUAGE_NAMES


def language_choices() -> list[SelectChoice]:
    return [SelectChoice(code, name, render_kw={"lang": code}) for code, name in LANGUAGE_NAMES.items()]


class PasswordPolicy:
    """Runs the service's password rules so the message appears next to the field."""

    def __init__(self, email_field: str | None = None):
        self.email_field = email_field

    def __call__(self, form, field):
        from core.accounts.services import password_problem

        email = form[self.email_field].data if self.email_field and self.email_field in form else None
        problem = password_problem(field.data or "", email or getattr(form, "account_email", None))
        if problem:
            raise ValidationError(problem)


class ValidEmail:
    def __call__(self, form, field):
        from core.accounts.services import InvalidEmail, normalize_email

        try:
            field.data = normalize_email(field.data or "")
        except InvalidEmail as exc:
            raise ValidationError(str(exc.message)) from exc


REQUIRED_EMAIL = _l("Please enter your email address.")
REQUIRED_PASSWORD = _l("Please enter your password.")
PASSWORDS_DIFFER = _l("The two passwords do not match.")


class RegisterForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(REQUIRED_EMAIL), Length(max=254), ValidEmail()])
    display_name = StringField(
        _l("Your name"),
        validators=[DataRequired(_l("Please enter your name.")), Length(max=120)],
        description=_l("Shown publicly as your first name and the initial of your last name."),
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired(_l("Please choose a password.")), PasswordPolicy("email")]
    )
    password_confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(_l("Please repeat the password.")), EqualTo("password", PASSWORDS_DIFFER)],
    )
    locale = SelectField(_l("Language for messages"), choices=language_choices, default="kk")
    submit = SubmitField(_l("Create account"))


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(REQUIRED_EMAIL), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(REQUIRED_PASSWORD)])
    remember = BooleanField(_l("Keep me signed in on this device"))
    submit = SubmitField(_l("Sign in"))


class ConfirmEmailForm(FlaskForm):
    submit = SubmitField(_l("Confirm my email address"))


class ResendVerificationForm(FlaskForm):
    submit = SubmitField(_l("Send the confirmation link again"))


class ResetRequestForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(REQUIRED_EMAIL), Length(max=254)])
    submit = SubmitField(_l("Send me a reset link"))


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"), validators=[DataRequired(_l("Please choose a password.")), PasswordPolicy()]
    )
    password_confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(_l("Please repeat the password.")), EqualTo("password", PASSWORDS_DIFFER)],
    )
    submit = SubmitField(_l("Set the new password"))


class ProfileForm(FlaskForm):
    display_name = StringField(
        _l("Your name"), validators=[DataRequired(_l("Please enter your name.")), Length(max=120)]
    )
    locale = SelectField(_l("Language"), choices=language_choices)
    submit = SubmitField(_l("Save"))


class IINForm(FlaskForm):
    iin = StringField(
        _l("IIN"),
        validators=[DataRequired(_l("Please enter your IIN."))],
        description=_l("Your 12-digit individual identification number. We keep only a secure fingerprint of it."),
    )
    submit = SubmitField(_l("Add my IIN"))


class HomeTerritoryForm(FlaskForm):
    territory_code = HiddenField(validators=[DataRequired(_l("Please choose a place."))])
    submit = SubmitField(_l("Make this my home"))


ROLE_LABELS = {
    Role.MODERATOR: _l("Moderator"),
    Role.ADMIN: _l("Administrator"),
    Role.OFFICER: _l("Officer of an authority"),
    Role.HEAD: _l("Head of an authority"),
}


def role_choices() -> list[SelectChoice]:
    return [SelectChoice(role.value, str(label)) for role, label in ROLE_LABELS.items()]


class GrantRoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=role_choices, validators=[InputRequired()])
    authority = StringField(
        _l("Authority (for officer and head)"),
        validators=[Length(max=64)],
        description=_l("The authority's key, e.g. akimat:710000000, or its number. Search for it below."),
    )
    submit = SubmitField(_l("Grant role"))


def optional_role_choices() -> list[SelectChoice]:
    return [SelectChoice("", str(_l("No role (citizen)"))), *role_choices()]


class NewUserForm(FlaskForm):
    """An administrator creates an account, optionally with a role (``flask users create`` on a page)."""

    email = EmailField(_l("Email"), validators=[DataRequired(REQUIRED_EMAIL), Length(max=254), ValidEmail()])
    display_name = StringField(
        _l("Name"), validators=[DataRequired(_l("Please enter the person's name.")), Length(max=120)]
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired(_l("Please choose a password.")), PasswordPolicy("email")]
    )
    locale = SelectField(_l("Language for messages"), choices=language_choices, default="kk")
    verified = BooleanField(_l("The email address is confirmed"), default=True)
    role = SelectField(_l("Role"), choices=optional_role_choices, default="")
    authority = StringField(
        _l("Authority (for officer and head)"),
        validators=[Length(max=64)],
        description=_l("The authority's key, e.g. akimat:710000000, or its number."),
    )
    submit = SubmitField(_l("Create user"))


class RevokeRoleForm(FlaskForm):
    grant_id = HiddenField(validators=[DataRequired()])
    submit = SubmitField(_l("Revoke"))


class ActiveForm(FlaskForm):
    active = HiddenField(validators=[DataRequired()])
    submit = SubmitField(_l("Save"))
