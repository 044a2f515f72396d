"""Account rules: registration, tokens, sign-in, profile, IIN, home territory and roles.

Services take plain values and model objects, raise ``AppError`` subclasses with messages
for the user, and ``flush()``; the caller (a view, a CLI command) commits.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload

from core import audit
from core.accounts.models import Role, RoleGrant, User
from core.db import db, utcnow
from core.errors import AppError, Conflict, NotFound
from core.i18n import LANGUAGE_NAMES
from core.iin import iin_hash, is_valid_iin, normalize

# --- errors -------------------------------------------------------------------------------


class InvalidEmail(AppError):
    message = _l("Please enter a valid email address.")


class DisposableEmail(InvalidEmail):
    message = _l("Addresses of disposable mail services are not accepted. Use an address you will keep.")


class EmailTaken(Conflict):
    message = _l("An account with this email address already exists. Sign in or reset your password.")


class WeakPassword(AppError):
    message = _l("Please choose a stronger password.")


class LoginFailed(AppError):
    status_code = 401
    message = _l("The email or password is not correct.")


class AccountDisabled(AppError):
    status_code = 403
    message = _l("This account has been deactivated. Please contact the administrators.")


class InvalidToken(AppError):
    message = _l("This link is not valid. Please check that you copied the whole link, or ask for a new one.")


class ExpiredToken(InvalidToken):
    message = _l("This link has expired. Please ask for a new one.")


class InvalidIIN(AppError):
    message = _l("This is not a valid IIN. Please check the 12 digits.")


class IINTaken(Conflict):
    message = _l("This IIN is already linked to another account. If it is yours, please contact the administrators.")


class IINAlreadySet(Conflict):
    message = _l("Your IIN has already been added. Only an administrator can change it.")


class InvalidTerritory(AppError):
    message = _l("Please choose a rural district, town, settlement or city district as your home.")


class InvalidRole(AppError):
    message = _l("This role cannot be granted like that.")


LANGUAGE_CODES = tuple(LANGUAGE_NAMES)

#: The shipped list of disposable mail domains (the ``DISPOSABLE_EMAIL_DOMAINS_FILE`` setting replaces it).
DISPOSABLE_DOMAINS_FILE = Path(__file__).resolve().parent.parent / "data" / "disposable_domains.txt"

#: Passwords too common to accept whatever their length (compared case-insensitively).
COMMON_PASSWORDS = frozenset(
    {
        "password",
        "password1",
        "password12",
        "password123",
        "password1234",
        "passw0rd123",
        "qwertyuiop",
        "qwerty1234",
        "qwerty12345",
        "qwerty123456",
        "1q2w3e4r5t",
        "1q2w3e4r5t6y",
        "q1w2e3r4t5",
        "asdfghjkl1",
        "zaq12wsxcde",
        "iloveyou12",
        "letmein123",
        "welcome123",
        "admin12345",
        "administrator",
        "abcdefghij",
        "abcdef123456",
        "aaaaaaaaaa",
        "qazwsxedcrfv",
        "superman123",
        "football123",
        "kazakhstan",
        "kazakhstan1",
        "qazaqstan",
        "astana2024",
        "almaty2024",
        "tyndau1234",
        "йцукенгшщз",
        "пароль1234",
        "парольпароль",
    }
)


@lru_cache(maxsize=4)
def _hasher_for(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def _hasher() -> PasswordHasher:
    """argon2id with the configured cost (production: the library's defaults; tests: cheap)."""
    cfg = current_app.config
    return _hasher_for(cfg["ARGON2_TIME_COST"], cfg["ARGON2_MEMORY_COST"], cfg["ARGON2_PARALLELISM"])


# --- passwords ----------------------------------------------------------------------------


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def check_password(user: User, password: str) -> bool:
    """Verify ``password``; upgrade the stored hash when the parameters have changed."""
    try:
        _hasher().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = _hasher().hash(password)
    return True


def password_problem(password: str, email: str | None = None) -> str | None:
    """Why ``password`` is not acceptable (translated), or ``None``."""
    min_length = int(current_app.config["PASSWORD_MIN_LENGTH"])
    if len(password) < min_length:
        return _("The password must be at least %(n)s characters long.", n=min_length)
    if password.isdigit():
        return _("The password cannot be only digits.")
    lowered = password.casefold()
    if lowered in COMMON_PASSWORDS or len(set(lowered)) <= 2:
        return _("This password is too common. Please choose another one.")
    if email and lowered == email.strip().casefold():
        return _("The password cannot be your email address.")
    return None


def check_password_policy(password: str, email: str | None = None) -> None:
    problem = password_problem(password, email)
    if problem:
        raise WeakPassword(problem)


def normalize_email(value: str) -> str:
    """A syntactically valid address, lower-cased; ``InvalidEmail`` otherwise."""
    try:
        result = validate_email((value or "").strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidEmail() from exc
    return result.normalized.lower()


@lru_cache(maxsize=8)
def _disposable_domains(path: str, mtime_ns: int) -> frozenset[str]:
    """The domains listed in ``path`` (one a line, ``#`` comments); cached until the file changes."""
    domains = set()
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        domain = line.split("#", 1)[0].strip().lower().rstrip(".")
        if domain:
            domains.add(domain)
    return frozenset(domains)


def disposable_domains() -> frozenset[str]:
    path = Path(current_app.config.get("DISPOSABLE_EMAIL_DOMAINS_FILE") or DISPOSABLE_DOMAINS_FILE)
    return _disposable_domains(str(path), path.stat().st_mtime_ns)


def is_disposable(domain: str) -> bool:
    """Whether ``domain`` (or an address) belongs to a listed disposable mail service or a subdomain of one."""
    domain = (domain or "").rpartition("@")[2].strip().lower().rstrip(".")
    if not domain:
        return False
    listed = disposable_domains()
    labels = domain.split(".")
    return any(".".join(labels[i:]) in listed for i in range(len(labels)))


def get_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == (email or "").strip().lower()))


# --- tokens -------------------------------------------------------------------------------

VERIFY_SALT = "tyndau.email-verify"
RESET_SALT = "tyndau.password-reset"


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _load(salt: str, token: str, max_age: int) -> dict:
    try:
        data = _serializer(salt).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise ExpiredToken() from exc
    except BadSignature as exc:
        raise InvalidToken() from exc
    if not isinstance(data, dict):
        raise InvalidToken()
    return data


def _password_fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:24]


def verification_token(user: User) -> str:
    return _serializer(VERIFY_SALT).dumps({"uid": user.id, "email": user.email})


def user_for_verification(token: str) -> User:
    """The user a verification token names, without applying it (safe for a GET)."""
    data = _load(VERIFY_SALT, token, int(current_app.config["EMAIL_TOKEN_MAX_AGE"]))
    user = db.session.get(User, data.get("uid")) if isinstance(data.get("uid"), int) else None
    if user is None or user.email != data.get("email"):
        raise InvalidToken()
    return user


def verify_email(token: str) -> User:
    """Mark the address verified; applying the same token again changes nothing."""
    user = user_for_verification(token)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        audit.record("user.email_verified", user, user)
    db.session.flush()
    return user


def reset_token(user: User) -> str:
    return _serializer(RESET_SALT).dumps({"uid": user.id, "fp": _password_fingerprint(user)})


def user_for_reset(token: str) -> User:
    """The user a reset token names, if the token is still unused (the password unchanged)."""
    data = _load(RESET_SALT, token, int(current_app.config["PASSWORD_RESET_MAX_AGE"]))
    user = db.session.get(User, data.get("uid")) if isinstance(data.get("uid"), int) else None
    if user is None or not user.active or data.get("fp") != _password_fingerprint(user):
        raise InvalidToken(_("This link has already been used or is no longer valid. Please ask for a new one."))
    return user


def send_verification(user: User) -> None:
    from core.mail import external_url, queue_mail

    link = external_url("accounts.verify", token=verification_token(user))
    queue_mail(user, "verify_email", link=link)


# --- registration and sign-in -------------------------------------------------------------


def create_user(
    email: str,
    password: str,
    display_name: str,
    locale: str = "kk",
    verified: bool = False,
    actor=None,
    refuse_disposable: bool = False,
) -> User:
    """A new account (audited). Raises on an invalid or taken email or a weak password.

    ``refuse_disposable`` (self-registration) also refuses addresses of disposable mail services;
    administrators and the CLI may still create such accounts, and existing ones sign in as usual.
    """
    email = normalize_email(email)
    if refuse_disposable and is_disposable(email):
        raise DisposableEmail()
    display_name = (display_name or "").strip()
    if not display_name:
        raise AppError(_("Please enter your name."))
    if locale not in LANGUAGE_CODES:
        raise AppError(_("Please choose one of the offered languages."))
    check_password_policy(password, email)
    if get_by_email(email) is not None:
        raise EmailTaken()
    user = User(
        email=email,
        password_hash=hash_password(password),
        display_name=display_name,
        locale=locale,
        email_verified_at=utcnow() if verified else None,
    )
    try:
        with db.session.begin_nested():
            db.session.add(user)
            db.session.flush()
    except IntegrityError as exc:
        raise EmailTaken() from exc
    audit.record("user.registered", user, actor if actor is not None else user, locale=locale, verified=verified)
    return user


def register(email: str, password: str, display_name: str, locale: str = "kk") -> User:
    """Self-registration: create the account and send the verification mail after commit."""
    user = create_user(email, password, display_name, locale, refuse_disposable=True)
    send_verification(user)
    return user


def resend_verification(user: User) -> bool:
    """Send the verification mail again; ``False`` when the address is already verified."""
    if user.is_verified:
        return False
    send_verification(user)
    return True


def authenticate(email: str, password: str) -> User:
    """The user for these credentials; the message never tells whether the email exists."""
    user = get_by_email(email)
    if user is None:
        _hasher().hash(password or "x")  # spend the same time as a real check
        raise LoginFailed()
    if not check_password(user, password or ""):
        raise LoginFailed()
    if not user.active:
        raise AccountDisabled()
    user.last_login_at = utcnow()
    db.session.flush()
    return user


def request_password_reset(email: str) -> User | None:
    """Mail a reset link if an active account has this address; say nothing either way."""
    from core.mail import external_url, queue_mail

    user = get_by_email(email)
    if user is None or not user.active:
        return None
    link = external_url("accounts.reset_password", token=reset_token(user))
    queue_mail(user, "reset_password", link=link)
    return user


def reset_password(token: str, new_password: str) -> User:
    """Set a new password from a reset link; the link and remembered sessions stop working."""
    user = user_for_reset(token)
    check_password_policy(new_password, user.email)
    user.password_hash = hash_password(new_password)
    user.session_version = (user.session_version or 1) + 1
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()  # the link reached this mailbox
    audit.record("user.password_reset", user, user)
    return user


@lru_cache(maxsize=1)
def _user_for_session():
    """The signed-in user's row, built once. Roles and the home place load when something asks for them:
    most requests (reading, signing) never do."""
    return (
        sa.select(User)
        .where(User.id == sa.bindparam("id"))
        .options(lazyload(User.grants), lazyload(User.home_territory))
    )


def load_user(user_id: str):
    """Flask-Login's loader: ``<id>.<session_version>``; never raises."""
    try:
        raw_id, _sep, version = str(user_id).partition(".")
        user = db.session.execute(_user_for_session(), {"id": int(raw_id)}).scalar_one_or_none()
    except Exception:  # noqa: BLE001 - a bad cookie or a database hiccup must not become a 500
        db.session.rollback()
        return None
    if user is None or str(user.session_version) != version or not user.active:
        return None
    return user


# --- profile ------------------------------------------------------------------------------


def set_locale(user: User, locale: str) -> None:
    if locale not in LANGUAGE_CODES:
        raise AppError(_("Please choose one of the offered languages."))
    user.locale = locale
    db.session.flush()


def update_profile(user: User, display_name: str, locale: str) -> User:
    display_name = (display_name or "").strip()
    if not display_name:
        raise AppError(_("Please enter your name."))
    changed = [
        name
        for name, old, new in (("display_name", user.display_name, display_name), ("locale", user.locale, locale))
        if old != new
    ]
    user.display_name = display_name
    set_locale(user, locale)
    if changed:
        audit.record("user.profile_updated", user, user, fields=changed)
    return user


def set_iin(user: User, iin: str, actor=None) -> User:
    """Link an IIN (stored only as an HMAC). Once set, only an administrator can change it."""
    iin = normalize(iin)
    if not is_valid_iin(iin):
        raise InvalidIIN()
    if user.has_iin:
        raise IINAlreadySet()
    digest = iin_hash(iin, current_app.config["IIN_HASH_KEY"])
    holder = db.session.scalar(sa.select(User.id).where(User.iin_hash == digest, User.id != user.id))
    if holder is not None:
        raise IINTaken()
    try:
        with db.session.begin_nested():
            user.iin_hash = digest
            user.iin_added_at = utcnow()
            db.session.flush()
    except IntegrityError as exc:
        raise IINTaken() from exc
    audit.record("user.iin_added", user, actor if actor is not None else user)
    return user


def can_be_home(territory) -> bool:
    """Home is a rural district, town or settlement (level 3+), or a leaf such as a city district."""
    from core.territories.models import Territory

    if territory.level >= 3:
        return True
    has_children = db.session.scalar(
        sa.select(sa.literal(True)).where(Territory.parent_code == territory.code).limit(1)
    )
    return not has_children


def set_home_territory(user: User, code: str) -> User:
    from core.territories.models import Territory

    territory = db.session.get(Territory, (code or "").strip()) if code else None
    if territory is None:
        raise NotFound(_("We could not find this place. Please choose it again."))
    if not can_be_home(territory):
        raise InvalidTerritory()
    user.home_territory_code = territory.code
    user.home_territory = territory
    db.session.flush()
    audit.record("user.home_territory_set", user, user, territory=territory.code)
    return user


def set_active(user: User, active: bool, actor=None) -> User:
    """Activate or deactivate an account; deactivation also ends its remembered sessions."""
    if actor is not None and getattr(actor, "id", actor) == user.id and not active:
        raise AppError(_("You cannot deactivate your own account."))
    if user.active == active:
        return user
    user.active = active
    if not active:
        user.session_version = (user.session_version or 1) + 1
    db.session.flush()
    audit.record("user.activated" if active else "user.deactivated", user, actor)
    return user


# --- roles --------------------------------------------------------------------------------


def parse_role(role) -> Role:
    if isinstance(role, Role):
        return role
    try:
        return Role(str(role).strip().lower())
    except ValueError as exc:
        raise InvalidRole(_("Unknown role: %(role)s.", role=role)) from exc


def _authority_id(authority) -> int | None:
    if authority is None:
        return None
    return getattr(authority, "id", authority)


def _check_role_authority(role: Role, authority_id: int | None) -> None:
    if role.needs_authority and authority_id is None:
        raise InvalidRole(_("An officer or head role must name an authority."))
    if not role.needs_authority and authority_id is not None:
        raise InvalidRole(_("A moderator or administrator role is not tied to an authority."))


def find_grant(user: User, role: Role, authority_id: int | None) -> RoleGrant | None:
    return next((g for g in user.grants if g.role == role and g.authority_id == authority_id), None)


def grant_role(user: User, role, authority=None, actor=None) -> RoleGrant:
    """Give ``user`` a role (for ``authority`` when officer or head). Granting twice is harmless."""
    role = parse_role(role)
    authority_id = _authority_id(authority)
    _check_role_authority(role, authority_id)
    if authority_id is not None:
        from core.authorities.models import Authority

        if db.session.get(Authority, authority_id) is None:
            raise NotFound(_("This authority does not exist."))
    existing = find_grant(user, role, authority_id)
    if existing is not None:
        return existing
    grant = RoleGrant(role=role, authority_id=authority_id, granted_by_id=getattr(actor, "id", actor))
    user.grants.append(grant)
    db.session.flush()
    audit.record("user.role_granted", user, actor, role=role.value, authority_id=authority_id)
    return grant


def revoke_role(user: User, role, authority=None, actor=None) -> bool:
    """Take a role away; ``False`` when the user did not hold it."""
    role = parse_role(role)
    authority_id = _authority_id(authority)
    grant = find_grant(user, role, authority_id)
    if grant is None:
        return False
    if role == Role.ADMIN and actor is not None and getattr(actor, "id", actor) == user.id:
        raise InvalidRole(_("You cannot remove your own administrator role."))
    user.grants.remove(grant)
    db.session.flush()
    audit.record("user.role_revoked", user, actor, role=role.value, authority_id=authority_id)
    return True


def find_authority(key_or_id: str):
    """An authority by numeric id or by key (``akimat:710000000``); a clear error if there is none."""
    from core.authorities import services as authorities

    value = (key_or_id or "").strip()
    if not value:
        raise NotFound(_("Please name an authority."))
    authority = authorities.find_authority(value)
    if authority is None:
        raise NotFound(_("There is no authority %(key)s.", key=value))
    return authority


def search_authorities(query: str, limit: int = 20) -> list:
    """Authorities whose key or name (any language) contains ``query``."""
    from core.authorities import services as authorities

    if not (query or "").strip():
        return []
    return authorities.search_authorities(query, per_page=limit).items


def users_query(search: str | None = None):
    """Users, newest first, optionally filtered by email or name."""
    stmt = sa.select(User).order_by(User.created_at.desc(), User.id.desc())
    search = (search or "").strip()
    if search:
        pattern = f"%{search}%"
        stmt = stmt.where(sa.or_(User.email.ilike(pattern), User.display_name.ilike(pattern)))
    return stmt
