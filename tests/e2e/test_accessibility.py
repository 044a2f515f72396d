"""axe-core on the public pages, in Kazakh and Russian: no serious or critical violations.

axe is injected as a script file; the app's Content-Security-Policy forbids such scripts, so the
axe contexts bypass CSP (the pages themselves are unchanged).
"""

from __future__ import annotations

import pytest

PAGES = {
    "home": ("/", 200),
    "register": ("/account/register", 200),
    "login": ("/account/login", 200),
    "territories": ("/territories/", 200),
    "territory": ("/territories/710000000", 200),
    "picker": ("/territories/pick", 200),
    "picker-step": ("/territories/pick?code=623633000&next=/account/profile", 200),
    "authorities": ("/authorities/", 200),
    "territory-404": ("/territories/999999999", 404),
    "page-404": ("/nonexistent", 404),
}
BOTH_LANGUAGES = {"home", "register"}
CASES = [
    pytest.param(name, lang, id=f"{name}-{lang}")
    for name in PAGES
    for lang in (("kk", "ru") if name in BOTH_LANGUAGES else ("kk",))
]
BLOCKING = {"serious", "critical"}


def run_axe(page, axe_path) -> list[dict]:
    page.add_script_tag(path=str(axe_path))
    return page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ['violations']});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 160)})),
            }));
        }"""
    )


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} [{v['impact']}]: {v['help']}")
        lines.extend(f"    {n['target']}  {n['html']}" for n in v["nodes"][:8])
    return "\n".join(lines)


@pytest.mark.parametrize(("name", "lang"), CASES)
def test_no_serious_axe_violations(new_page, axe_path, name, lang, server_errors):
    path, status = PAGES[name]
    page = new_page(lang=lang, bypass_csp=True)
    response = page.goto(f"{path}{'&' if '?' in path else '?'}lang={lang}")
    assert response.status == status, f"{path} answered {response.status}"
    assert page.locator("html").get_attribute("lang") == lang
    violations = run_axe(page, axe_path)
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, f"axe on {path} ({lang}):\n{describe(blocking)}"
    assert not server_errors.new(), f"the server raised: {server_errors.new()}"


def test_axe_harness_reports_violations(new_page, axe_path):
    """Guard against a silently broken harness: a page with an unlabelled field must fail."""
    page = new_page(bypass_csp=True)
    page.goto("/")
    page.evaluate("() => { document.querySelector('main').insertAdjacentHTML('beforeend', '<input id=bad>'); }")
    ids = {v["id"] for v in run_axe(page, axe_path)}
    assert "label" in ids, ids


def assert_no_blocking(page, axe_path, what: str) -> None:
    blocking = [v for v in run_axe(page, axe_path) if v["impact"] in BLOCKING]
    assert not blocking, f"axe on {what}:\n{describe(blocking)}"


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_forms_with_errors_and_signed_in_pages(new_page, axe_path, register, lang, server_errors):
    page = new_page(lang=lang, bypass_csp=True)
    page.goto(f"/account/register?lang={lang}")
    form = page.locator("form:has(input[name=password_confirm])")
    form.evaluate("f => { f.noValidate = true; }")
    with page.expect_navigation():
        form.locator("[type=submit]").first.click()
    assert page.locator("[aria-invalid=true]").count() >= 1
    assert_no_blocking(page, axe_path, "the registration form with errors")

    register(page, locale=lang)
    for path in ("/account/profile", "/account/iin", "/territories/pick?code=623633100"):
        page.goto(path)
        assert page.locator('header form[action$="/account/logout"]').count() == 1
        assert_no_blocking(page, axe_path, path)

    page.goto("/account/iin")
    page.locator("input[name=iin]").fill("123456789012")
    with page.expect_navigation():
        page.locator("form:has(input[name=iin]) [type=submit]").first.click()
    assert page.locator("[aria-invalid=true]").count() >= 1
    assert_no_blocking(page, axe_path, "the IIN form with an error")
    assert not server_errors.new(), f"the server raised: {server_errors.new()}"
