"""Three languages: Kazakh (default), Russian, English.

The locale comes from ``?lang=`` (remembered in the session and, for a signed-in user, the
profile), then the session, then the user's profile, then the browser, then Kazakh.
Names of territories and authorities are stored per language and chosen with ``localized``.
"""

from __future__ import annotations

from flask import current_app, request, session
from flask_babel import format_date, format_datetime, format_decimal, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

LANGUAGE_NAMES = {"kk": "Қазақша", "ru": "Русский", "en": "English"}
LANGUAGE_LABELS = {"kk": _l("Kazakh"), "ru": _l("Russian"), "en": _l("English")}


def languages() -> tuple[str, ...]:
    return tuple(current_app.config["LANGUAGES"])


def select_locale() -> str:
    supported = languages()
    if not request:
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    profile = current_user.locale if getattr(current_user, "is_authenticated", False) else None
    return choose_locale(
        request.args.get("lang"),
        session.get("lang"),
        profile,
        request.headers.get("Accept-Language"),
        supported,
        current_app.config["BABEL_DEFAULT_LOCALE"],
    )


def choose_locale(
    asked: str | None,
    remembered: str | None,
    profile: str | None,
    accept_language: str | None,
    supported: tuple[str, ...],
    default: str,
) -> str:
    """The rule on plain values (the petitions' hot path uses it without a request): ``?lang=``, the session's
    language, the profile's, the browser's best match, the default."""
    for chosen in (asked, remembered, profile):
        if chosen in supported:
            return chosen
    if accept_language:
        return parse_accept_header(accept_language, LanguageAccept).best_match(supported) or default
    return default


def remember_language() -> None:
    """``?lang=xx`` switches the language for the session and the signed-in user's profile."""
    asked = request.args.get("lang")
    if asked not in languages():
        return
    session["lang"] = asked
    if getattr(current_user, "is_authenticated", False) and current_user.locale != asked:
        from core.accounts.services import set_locale
        from core.db import commit

        set_locale(current_user, asked)
        commit()


def current_language() -> str:
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def localized(obj, field: str = "name") -> str:
    """The value of ``<field>_<lang>`` for the current language, falling back to Russian then Kazakh."""
    lang = current_language()
    for code in (lang, "ru", "kk"):
        value = getattr(obj, f"{field}_{code}", None)
        if value:
            return value
    return ""


def url_with_lang(lang: str) -> str:
    args = request.args.to_dict(flat=False)
    args["lang"] = [lang]
    from urllib.parse import urlencode

    return request.path + "?" + urlencode(args, doseq=True)


def init_app(app) -> None:
    app.jinja_env.globals.update(
        localized=localized,
        url_with_lang=url_with_lang,
        LANGUAGE_NAMES=LANGUAGE_NAMES,
        current_language=current_language,
    )
    app.jinja_env.filters.update(
        date=lambda value, fmt="medium": format_date(value, fmt) if value else "",
        datetime=lambda value, fmt="medium": format_datetime(value, fmt) if value else "",
        number=lambda value: format_decimal(value) if value is not None else "",
    )
    app.before_request(remember_language)
