"""The citizen's first journey, end to end in Chromium against the live server.

Register → verify by mail (the link's page only asks; the button verifies) → sign in → add an IIN
(a wrong checksum is refused, a valid one accepted and never shown) → choose a home settlement
with the step-by-step picker, JavaScript off → switch languages → sign out.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import newest_mail, verification_link

# The place the journey chooses: Ulytau region → Zhanaarka district → Ainabulak rural district → Ainabulak.
REGION = {"kk": "Ұлытау облысы", "ru": "область Ұлытау"}
DISTRICT = {"kk": "Жаңаарқа ауданы", "ru": "Жанааркинский район"}
RURAL_DISTRICT = {"kk": "Айнабұлақ а.о.", "ru": "Айнабулакский с.о."}
SETTLEMENT = {"kk": "Айнабұлақ а.", "ru": "с.Айнабулак"}
SETTLEMENT_CODE = "623633100"

WEIGHTS_1 = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
WEIGHTS_2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)


def iin_check_digit(first11: str) -> int | None:
    """The official control digit of an IIN, or None when no digit makes these 11 digits valid."""
    digits = [int(c) for c in first11]
    check = sum(d * w for d, w in zip(digits, WEIGHTS_1, strict=True)) % 11
    if check == 10:
        check = sum(d * w for d, w in zip(digits, WEIGHTS_2, strict=True)) % 11
        if check == 10:
            return None
    return check


def make_iin(birth: str = "900315", century_sex: int = 4) -> str:
    """A valid IIN for the birth date YYMMDD (7th digit 1–6), trying serial numbers until one checks."""
    for serial in range(1, 10_000):
        first11 = f"{birth}{century_sex}{serial:04d}"
        check = iin_check_digit(first11)
        if check is not None:
            return first11 + str(check)
    raise AssertionError("no valid IIN for this birth date")


def wrong_checksum(iin: str) -> str:
    return iin[:11] + str((int(iin[11]) + 1) % 10)


def test_iin_helper_matches_the_algorithm():
    iin = make_iin()
    assert len(iin) == 12
    assert iin_check_digit(iin[:11]) == int(iin[11])
    assert iin_check_digit(wrong_checksum(iin)[:11]) != int(wrong_checksum(iin)[11])


def html_lang(page) -> str:
    return page.locator("html").get_attribute("lang")


def shows_settlement(page, lang: str) -> bool:
    """The settlement's own name is in the main text (not only its rural district, "Айнабұлақ а.о.")."""
    return re.search(rf"{re.escape(SETTLEMENT[lang])}(?!о)", page.locator("main").inner_text()) is not None


def click_place(page, name: str) -> None:
    """Click a place by its exact name in the picker (a link or a button), waiting for the next step."""
    exact = re.compile(rf"^\s*{re.escape(name)}\s*$")
    target = page.locator("main").locator("a, button").filter(has_text=exact)
    assert target.count() >= 1, f"{name!r} is not offered on {page.url}:\n{page.locator('main').inner_text()}"
    with page.expect_navigation():
        target.first.click()


def test_citizen_journey(new_page, live_url, outbox_dir, register, sign_in, user_row, server_errors):
    page = new_page(lang="kk")

    # 1. Register (the default language is Kazakh); registering signs the new user in.
    page.goto("/")
    assert html_lang(page) == "kk"
    address = register(page, locale="kk")
    assert "/account/register" not in page.url, "the form came back:\n" + page.locator("main").inner_text()
    row = user_row(address)
    assert row is not None, "registration created no user"
    assert row["email_verified_at"] is None
    assert row["locale"] == "kk"

    # 2. The verification mail; its link only asks for confirmation, the button confirms.
    mail = newest_mail(outbox_dir, to=address)
    link = verification_link(mail, live_url)
    response = page.goto(link)
    assert response.status == 200
    confirm = page.locator("main form").filter(has=page.locator("[type=submit]")).locator("[type=submit]")
    assert confirm.count() == 1, "the verification page should show one confirm button"
    assert page.locator("main form").first.get_attribute("method").lower() == "post"
    assert user_row(address)["email_verified_at"] is None, "opening the link verified the address by itself"
    with page.expect_navigation():
        confirm.click()
    assert page.locator(".flash-success, .flash[role=status]").count() >= 1, "no message after verifying"
    assert user_row(address)["email_verified_at"] is not None, "pressing the button did not verify"

    # 3. Sign out, then sign in through the form with "keep me signed in" ticked.
    with page.expect_navigation():
        page.locator('header form[action$="/account/logout"] [type=submit]').click()
    sign_in(page, address, remember=True)
    cookies = {c["name"] for c in page.context.cookies()}
    assert "remember_token" in cookies, f"'remember' set no remember cookie: {sorted(cookies)}"

    # 4. The IIN: a wrong checksum is refused on the same page; a valid one is accepted and never shown.
    iin = make_iin()
    page.goto("/account/iin")
    page.locator("input[name=iin]").fill(wrong_checksum(iin))
    with page.expect_navigation() as navigation:
        page.locator("form:has(input[name=iin]) [type=submit]").first.click()
    assert navigation.value.status < 500, f"a wrong IIN gave {navigation.value.status}"
    assert page.locator("input[name=iin]").count() == 1, "a wrong IIN left the form"
    assert page.locator("input[name=iin]").input_value() == "", "the IIN was echoed back into the form"
    error = page.locator("form:has(input[name=iin]) .error, .error-summary, .flash-error")
    assert error.count() >= 1, "no error for an IIN with a wrong checksum"
    assert user_row(address)["iin_hash"] is None

    page.locator("input[name=iin]").fill(iin)
    with page.expect_navigation():
        page.locator("form:has(input[name=iin]) [type=submit]").first.click()
    assert page.locator(".flash-success").count() >= 1, "no message after adding the IIN"
    row = user_row(address)
    assert row["iin_hash"] is not None, "a valid IIN was not stored"
    assert iin not in row["iin_hash"]
    page.goto("/account/profile")
    assert page.url.endswith("/account/profile")
    profile_html = page.content()
    assert iin not in profile_html, "the profile shows the IIN digits"
    assert iin[:6] not in page.locator("main").inner_text(), "the profile shows part of the IIN"

    # 5. Home territory with JavaScript off, in a new context signed in again through the form.
    nojs = new_page(lang="kk", java_script_enabled=False)
    sign_in(nojs, address)
    nojs.goto("/territories/pick?next=/account/profile")
    assert html_lang(nojs) == "kk"
    click_place(nojs, REGION["kk"])
    click_place(nojs, DISTRICT["kk"])
    click_place(nojs, RURAL_DISTRICT["kk"])
    click_place(nojs, SETTLEMENT["kk"])
    choose = nojs.locator(
        f'form[action*="/account/home-territory"]:has(input[name=territory_code][value="{SETTLEMENT_CODE}"])'
    ).locator("[type=submit]")
    assert choose.count() >= 1, f"no 'Choose this place' for the settlement on {nojs.url}"
    with nojs.expect_navigation():
        choose.first.click()
    assert "/account/profile" in nojs.url, f"choosing the place did not return to the profile: {nojs.url}"
    assert shows_settlement(nojs, "kk"), "the profile does not show the chosen settlement"
    assert user_row(address)["home_territory_code"] == SETTLEMENT_CODE

    # 6. Switch languages from the header (back in the JavaScript page).
    page.goto("/account/profile")
    languages = page.locator('header nav:has(a[hreflang="ru"])')
    with page.expect_navigation():
        languages.locator('a[hreflang="ru"]').click()
    assert html_lang(page) == "ru"
    assert shows_settlement(page, "ru"), "the Russian name of the place is not shown"
    assert not shows_settlement(page, "kk")
    with page.expect_navigation():
        page.locator('a[hreflang="en"]').first.click()
    assert html_lang(page) == "en"
    assert "Sign out" in page.locator("header").inner_text()
    assert "IIN" in page.locator("main").inner_text(), "the profile does not say that the IIN was added"
    page.goto("/account/profile")  # the choice is remembered without ?lang=
    assert html_lang(page) == "en"
    with page.expect_navigation():
        page.locator('a[hreflang="kk"]').first.click()
    assert html_lang(page) == "kk"
    assert shows_settlement(page, "kk")

    # 7. Sign out from the header; the sign-in link is back.
    with page.expect_navigation():
        page.locator('header form[action$="/account/logout"] [type=submit]').click()
    assert page.locator('header form[action$="/account/logout"]').count() == 0
    assert page.locator('header a[href^="/account/login"]').count() == 1
    page.goto("/account/profile")
    assert "/account/login" in page.url, "the profile is still open after signing out"

    assert not server_errors.new(), f"the server raised: {server_errors.new()}"


def test_interface_text_follows_the_language(page):
    """The header's own words (not only place names) change with the language links."""
    page.goto("/")
    texts = {}
    for code in ("kk", "ru", "en"):
        with page.expect_navigation():
            page.locator(f'header nav a[hreflang="{code}"]').click()
        assert html_lang(page) == code
        texts[code] = page.locator("header nav:not(:has(a[hreflang]))").inner_text()
    assert "Sign in" in texts["en"]
    assert texts["kk"] != texts["en"], f"the Kazakh interface shows English: {texts['kk']!r}"
    assert texts["ru"] != texts["en"], f"the Russian interface shows English: {texts['ru']!r}"
    assert texts["kk"] != texts["ru"]


@pytest.mark.parametrize("typed", ["Жаңаар", "жаңаар"])
def test_picker_type_ahead(page, typed, server_errors):
    script_errors: list[str] = []
    page.on("pageerror", lambda exc: script_errors.append(str(exc)))
    page.on("console", lambda m: script_errors.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto("/territories/pick")
    search = page.locator("input[type=search], input[name=q]").first
    with page.expect_response(lambda r: "/api/v1/territories" in r.url and "q=" in r.url) as answer:
        search.fill(typed)
    assert answer.value.status == 200
    result = page.locator("main").locator("a, button").filter(has_text="Жаңаарқа")
    result.first.wait_for(state="visible", timeout=5_000)
    assert not script_errors, f"script errors or CSP violations: {script_errors}"
    assert not server_errors.new(), f"the server raised: {server_errors.new()}"
