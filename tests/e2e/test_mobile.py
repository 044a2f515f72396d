"""A 360 px phone: no horizontal scrolling, the header stays usable, the registration form works."""

from __future__ import annotations

import re

import pytest

from tests.e2e.test_accessibility import (
    PAGES,
    PETITION_PAGES,
    loop_data,
    page_path,
    paper_rows,
    petition_data,
    petition_page_path,
)

CYRILLIC = re.compile(r"[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]")


def horizontal_overflow(page) -> dict:
    return page.evaluate(
        """() => {
            const root = document.documentElement;
            const wide = [...document.querySelectorAll('body *')]
                .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1)
                .slice(0, 5)
                .map(el => el.tagName.toLowerCase()
                           + (el.className ? '.' + String(el.className).trim().replace(/ +/g, '.') : '')
                           + ' right=' + Math.round(el.getBoundingClientRect().right));
            return {scrollWidth: root.scrollWidth, innerWidth: window.innerWidth, wide};
        }"""
    )


@pytest.mark.parametrize("name", list(PAGES))
def test_no_horizontal_scroll_and_header_usable(phone_page, live_server, name, server_errors):
    path, status = page_path(name, live_server)
    script_errors: list[str] = []
    phone_page.on("pageerror", lambda exc: script_errors.append(str(exc)))
    phone_page.on("console", lambda m: script_errors.append(m.text) if "Content Security Policy" in m.text else None)
    response = phone_page.goto(path)
    assert response.status == status
    assert not script_errors, f"script errors or CSP violations on {path}: {script_errors}"
    sizes = horizontal_overflow(phone_page)
    assert sizes["scrollWidth"] <= sizes["innerWidth"] + 1, f"{path} scrolls sideways at 360 px: {sizes}"
    languages = phone_page.locator("header nav:has(a[hreflang])")
    assert languages.is_visible(), "the language switch is hidden"
    for code in ("kk", "ru", "en"):
        assert languages.locator(f'a[hreflang="{code}"]').is_visible(), f"the {code} link is hidden"
    main_nav = phone_page.locator("header nav:not(:has(a[hreflang]))").first
    assert main_nav.is_visible(), "the main navigation is hidden"
    assert main_nav.locator('a[href^="/account/login"]').is_visible()
    assert main_nav.locator('a[href^="/account/register"]').is_visible()
    assert not server_errors.new(), f"the server raised: {server_errors.new()}"


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_registration_errors_on_empty_submit(new_page, lang, server_errors):
    page = new_page(lang=lang, width=360, height=740, is_mobile=True, has_touch=True)
    page.goto(f"/account/register?lang={lang}")
    form = page.locator("form:has(input[name=password_confirm])")
    # Skip the browser's own required-field bubbles so the server's messages are shown.
    form.evaluate("f => { f.noValidate = true; }")
    with page.expect_navigation():
        form.locator("[type=submit]").first.tap()
    assert page.locator("html").get_attribute("lang") == lang
    errors = page.locator("form:has(input[name=password_confirm]) .error")
    assert errors.count() >= 1, "no field errors after an empty submit"
    text = " ".join(errors.all_inner_texts())
    if lang == "en":
        assert not CYRILLIC.search(text), f"English page shows non-English errors: {text}"
    else:
        assert CYRILLIC.search(text), f"the {lang} page shows untranslated errors: {text}"
    assert page.locator("[aria-invalid=true]").count() >= 1
    sizes = horizontal_overflow(page)
    assert sizes["scrollWidth"] <= sizes["innerWidth"] + 1, f"errors widen the page: {sizes}"
    assert not server_errors.new(), f"the server raised: {server_errors.new()}"


def test_registration_on_a_phone(new_page, register, user_row, server_errors):
    page = new_page(lang="kk", width=360, height=740, is_mobile=True, has_touch=True)
    address = register(page, locale="ru")
    assert user_row(address) is not None, "no user created: " + page.locator("main").inner_text()
    assert user_row(address)["locale"] == "ru"
    sizes = horizontal_overflow(page)
    assert sizes["scrollWidth"] <= sizes["innerWidth"] + 1, f"{page.url} scrolls sideways: {sizes}"
    assert not server_errors.new(), f"the server raised: {server_errors.new()}"


def test_loop_pages_signed_in_on_a_phone(new_page, live_server, sign_in, server_errors):
    """Filing, rating and the officer's inbox and forms fit a 360 px screen."""
    data = loop_data(live_server)
    phone = {"width": 360, "height": 740, "is_mobile": True, "has_touch": True}
    pages = {
        data["citizen"]: ["/cases/new", "/cases/mine", f"/cases/{data['answered']}"],
        data["officer"]: ["/cases/inbox", f"/cases/{data['open']}", f"/cases/{data['chain']}"],
    }
    for address, paths in pages.items():
        page = new_page(lang="kk", **phone)
        sign_in(page, address)
        for path in paths:
            response = page.goto(path)
            assert response.status == 200, f"{path} answered {response.status}"
            for details in page.locator("main details").all():
                details.evaluate("d => { d.open = true; }")
            sizes = horizontal_overflow(page)
            assert sizes["scrollWidth"] <= sizes["innerWidth"] + 1, f"{path} scrolls sideways at 360 px: {sizes}"
    assert not server_errors.new(), f"the server raised: {server_errors.new()}"


# --------------------------------------------------------------------------- petitions


def assert_fits(page, what: str) -> None:
    for details in page.locator("main details").all():
        details.evaluate("d => { d.open = true; }")
    sizes = horizontal_overflow(page)
    assert sizes["scrollWidth"] <= sizes["innerWidth"] + 1, f"{what} scrolls sideways at 360 px: {sizes}"


@pytest.mark.parametrize("name", list(PETITION_PAGES))
def test_petition_pages_fit_a_phone(phone_page, live_server, name, server_errors):
    path, status = petition_page_path(name, live_server)
    script_errors: list[str] = []
    phone_page.on("pageerror", lambda exc: script_errors.append(str(exc)))
    phone_page.on("console", lambda m: script_errors.append(m.text) if "Content Security Policy" in m.text else None)
    response = phone_page.goto(path)
    assert response.status == status
    assert not script_errors, f"script errors or CSP violations on {path}: {script_errors}"
    assert_fits(phone_page, path)
    assert phone_page.locator("header nav:not(:has(a[hreflang]))").first.is_visible(), "the main navigation is hidden"
    assert not server_errors.new(), f"the server raised: {server_errors.new()}"


def test_petition_pages_signed_in_on_a_phone(new_page, live_server, sign_in, server_errors):
    """Filing (with errors), the preview, my petitions, moderation, paper signatures (with row problems) and
    the threshold rules fit a 360 px screen."""
    data = petition_data(live_server)
    phone = {"width": 360, "height": 740, "is_mobile": True, "has_touch": True}
    pages = {
        data["author"]: [
            "/petitions/new",
            "/petitions/new?territory=623633100&topic=roads_transport",
            f"/petitions/{data['draft']}/preview",
            "/petitions/mine",
            f"/petitions/{data['pending']}",
            f"/petitions/{data['collecting']}",
            f"/petitions/{data['answered']}",
        ],
        data["moderator"]: ["/petitions/moderation", f"/petitions/moderation/{data['pending']}"],
        data["officer"]: [f"/petitions/{data['collecting']}/paper"],
        data["admin"]: ["/petitions/rules"],
    }
    for address, paths in pages.items():
        page = new_page(lang="kk", **phone)
        sign_in(page, address)
        for path in paths:
            response = page.goto(path)
            assert response.status == 200, f"{path} answered {response.status}"
            assert_fits(page, path)

    # The forms with their messages.
    page = new_page(lang="ru", **phone)
    sign_in(page, data["author"])
    page.goto("/petitions/new?territory=623633100&topic=roads_transport")
    form = page.locator('form[method="post"][action="/petitions/new"]')
    form.locator('input[name="title"]').fill("Коротко")
    with page.expect_navigation():
        form.locator("[type=submit]").first.tap()
    assert page.locator("[aria-invalid=true]").count() >= 1
    assert_fits(page, "/petitions/new with errors")
    page.goto(f"/petitions/{data['draft']}/preview")
    with page.expect_navigation():
        page.locator(f'form[action^="/petitions/{data["draft"]}/submit"] [type=submit]').tap()
    assert page.locator("#send .error").count() == 1
    assert_fits(page, "the preview without the acknowledgement")

    officer = new_page(lang="ru", **phone)
    sign_in(officer, data["officer"])
    officer.goto(f"/petitions/{data['collecting']}/paper")
    paper = officer.locator(".paper-form")
    paper.locator("textarea[name=rows]").fill(paper_rows())
    with officer.expect_navigation():
        paper.locator("[type=submit]").tap()
    assert officer.locator(".paper-result .row-problems li").count() == 3
    assert_fits(officer, "the paper signatures with row problems")
    assert not server_errors.new(), f"the server raised: {server_errors.new()}"
