"""Every user-visible string is translated into Kazakh, Russian and English.

The messages are extracted from the sources exactly as ``make translations`` does (babel.cfg),
so a new ``_('...')`` without a translation in every catalog fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ("kk", "ru", "en")


def _extracted() -> set:
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    ids = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT),
        method_map,
        options_map,
        keywords={
            "_": None,
            "_l": None,
            "gettext": None,
            "lazy_gettext": None,
            "ngettext": (1, 2),
            "lazy_ngettext": (1, 2),
        },
    ):
        ids.add(message[0] if isinstance(message, tuple) else message)
    return ids


def test_no_translation_call_inside_an_f_string():
    """Babel's extractor cannot see a gettext call inside an f-string, so its message would never be
    translated (and the catalog test above would not notice)."""
    pattern = re.compile(r"""\bf(["'])[^"'\n]*\{\s*(_|_l|gettext|lazy_gettext|ngettext)\(""")
    hidden = [
        f"{path.relative_to(ROOT)}:{number}"
        for package in ("core", "feedback", "petitions", "councils")
        for path in sorted((ROOT / package).rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if pattern.search(line)
    ]
    assert hidden == []


@pytest.fixture(scope="module")
def extracted():
    return _extracted()


def _catalog(locale):
    path = ROOT / "translations" / locale / "LC_MESSAGES" / "messages.po"
    assert path.exists(), f"missing catalog {path}"
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_translates_every_message(extracted, locale):
    catalog = _catalog(locale)
    missing, empty, fuzzy = [], [], []
    for msgid in sorted(extracted):
        message = catalog.get(msgid)
        if message is None:
            missing.append(msgid)
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            empty.append(msgid)
        if message.fuzzy:
            fuzzy.append(msgid)
    problems = [f"missing: {m!r}" for m in missing] + [f"untranslated: {m!r}" for m in empty]
    problems += [f"fuzzy: {m!r}" for m in fuzzy]
    assert not problems, f"{locale} catalog incomplete ({len(problems)}):\n" + "\n".join(problems[:40])


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_placeholders_match(locale):
    catalog = _catalog(locale)
    errors = [(message.id, [str(e) for e in errs]) for message, errs in catalog.check()]
    assert not errors, errors[:20]


@pytest.fixture
def kazakh_default(app, monkeypatch):
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_LOCALE", "kk")


def test_kazakh_is_the_shipped_default():
    from core.config import DEFAULTS

    assert DEFAULTS["BABEL_DEFAULT_LOCALE"] == "kk"


def test_kazakh_is_the_default_language(client, kazakh_default):
    page = client.get("/", headers={"Accept-Language": ""})
    assert b'<html lang="kk">' in page.data


@pytest.mark.parametrize(("lang", "marker"), [("kk", "Аумақтар"), ("ru", "Территории"), ("en", "Territories")])
def test_pages_render_in_each_language(client, lang, marker):
    page = client.get(f"/?lang={lang}")
    assert f'<html lang="{lang}">'.encode() in page.data
    assert marker in page.get_data(as_text=True)


def test_language_is_remembered_in_the_session(client):
    client.get("/?lang=ru")
    assert b'<html lang="ru">' in client.get("/").data
    client.get("/?lang=en")
    assert b'<html lang="en">' in client.get("/").data


def test_browser_language_is_used_when_nothing_was_chosen(client):
    page = client.get("/", headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    assert b'<html lang="ru">' in page.data


def test_unknown_language_is_ignored(client, kazakh_default):
    page = client.get("/?lang=de", headers={"Accept-Language": ""})
    assert b'<html lang="kk">' in page.data


def test_error_page_in_the_users_language(client):
    page = client.get("/no-such-page?lang=ru")
    assert page.status_code == 404
    assert "Страница не найдена" in page.get_data(as_text=True)


def test_api_errors_are_json(client):
    response = client.get("/api/v1/nothing-here?lang=en")
    assert response.status_code == 404
    assert response.json["error"]["code"] == 404
