"""axe-core on the public pages, in Kazakh and Russian: no serious or critical violations.

axe is injected as a script file; the app's Content-Security-Policy forbids such scripts, so the
axe contexts bypass CSP (the pages themselves are unchanged). The loop's pages need cases: a path
with ``{placeholders}`` is filled from ``loop_data`` (created once per live server).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from tests.e2e.conftest import PASSWORD

PAGES = {
    "home": ("/", 200),
    "register": ("/account/register", 200),
    "login": ("/account/login", 200),
    "territories": ("/territories/", 200),
    "territory": ("/territories/710000000", 200),
    "picker": ("/territories/pick", 200),
    "picker-step": ("/territories/pick?code=623633000&next=/account/profile", 200),
    "authorities": ("/authorities/", 200),
    "cases": ("/cases/", 200),
    "case-answered": ("/cases/{answered}", 200),
    "case-chain": ("/cases/{chain}", 200),
    "case-open": ("/cases/{open}", 200),
    "league": ("/cases/league", 200),
    "authority": ("/authorities/{rural}", 200),
    "territory-404": ("/territories/999999999", 404),
    "page-404": ("/nonexistent", 404),
}
BOTH_LANGUAGES = {"home", "register", "cases", "case-answered"}
CASES = [
    pytest.param(name, lang, id=f"{name}-{lang}")
    for name in PAGES
    for lang in (("kk", "ru") if name in BOTH_LANGUAGES else ("kk",))
]
BLOCKING = {"serious", "critical"}

_loop_data: dict[str, dict] = {}


def loop_data(live_server) -> dict:
    """Cases at the rural akim's office of Ainabulak, made once per live server through the services:
    ``answered`` (partly supported, with a measure; its rating is open), ``chain`` (referred up to the
    district akimat), ``open`` (not answered yet); the ``rural`` authority's id; and the ``citizen``
    who filed them and an ``officer`` of that office (their e-mail addresses; password ``PASSWORD``)."""
    if live_server.url in _loop_data:
        return _loop_data[live_server.url]
    from core.accounts.models import Role
    from core.accounts.services import create_user, grant_role, set_home_territory
    from core.authorities.services import find_authority
    from core.db import commit, db
    from feedback import services
    from feedback.services import MeasureInput

    tag = uuid.uuid4().hex[:10]
    with live_server.app.app_context():
        rural = find_authority("akim:623633000")
        citizen = create_user(f"a11y-citizen-{tag}@example.kz", PASSWORD, "Дана Ахметова", locale="kk", verified=True)
        set_home_territory(citizen, "623633100")
        officer = create_user(f"a11y-officer-{tag}@example.kz", PASSWORD, "Ерлан Officer", locale="kk", verified=True)
        grant_role(officer, Role.OFFICER, rural)

        def file(title: str):
            body = "Ауылдағы көшелер жарықтандырылмаған, кешке жүру қауіпті. Шамдар орнатуды ұсынамын."
            return services.file_proposal(citizen, rural, title, body, "623633100")

        answered = file("Көше жарығы жоқ")
        due = services.today() + timedelta(days=60)
        measure = MeasureInput("Көшеге он шам орнату", "Айнабұлақ ауылдық округі әкімінің аппараты", due)
        services.publish_answer(answered, "partly", "Шамдардың жартысы биыл орнатылады.", [measure], officer)
        chain = file("Жолды жөндеу керек")
        services.publish_answer(chain, "referred", "Аудан бюджетінен қаржы қажет, жоғарыға жіберілді.", [], officer)
        opened = file("Балабақшада орын жоқ")
        commit()
        data = {
            "answered": answered.id,
            "chain": chain.id,
            "open": opened.id,
            "rural": rural.id,
            "citizen": citizen.email,
            "officer": officer.email,
        }
        db.session.remove()
    _loop_data[live_server.url] = data
    return data


def page_path(name: str, live_server) -> tuple[str, int]:
    """The path of a page of ``PAGES`` (placeholders filled from ``loop_data``) and its status."""
    path, status = PAGES[name]
    if "{" in path:
        path = path.format(**loop_data(live_server))
    return path, status


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
def test_no_serious_axe_violations(new_page, axe_path, live_server, name, lang, server_errors):
    path, status = page_path(name, live_server)
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


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_loop_pages_signed_in(new_page, axe_path, live_server, sign_in, lang, server_errors):
    """The loop's pages as the citizen (filing, my cases, rating) and as the officer (inbox, forms)."""
    data = loop_data(live_server)
    page = new_page(lang=lang, bypass_csp=True)
    sign_in(page, data["citizen"])
    page.goto(f"/cases/new?lang={lang}")
    assert page.locator("input[name=authority]:checked").count() == 1
    assert_no_blocking(page, axe_path, "/cases/new")
    form = page.locator('form[action="/cases/new"][method="post"]')
    form.evaluate("f => { f.noValidate = true; }")
    with page.expect_navigation():
        form.locator("[type=submit]").first.click()
    assert page.locator("[aria-invalid=true]").count() >= 1
    assert_no_blocking(page, axe_path, "/cases/new with errors")
    for path in ("/cases/mine", f"/cases/{data['answered']}"):
        page.goto(path)
        assert_no_blocking(page, axe_path, f"{path} (the citizen)")

    officer = new_page(lang=lang, bypass_csp=True)
    sign_in(officer, data["officer"])
    officer.goto(f"/cases/inbox?lang={lang}")
    assert officer.url.endswith(f"/cases/inbox/{data['rural']}"), officer.url
    assert_no_blocking(officer, axe_path, "the inbox")
    officer.goto(f"/cases/{data['open']}")
    answer = officer.locator(f'form[action^="/cases/{data["open"]}/answer"]')
    assert answer.count() == 1
    assert_no_blocking(officer, axe_path, "a case with the officer's forms")
    answer.evaluate("f => { f.noValidate = true; }")
    answer.locator('textarea[name="answer-measures-0-description"]').fill("x")
    with officer.expect_navigation():
        answer.locator("[type=submit]").first.click()
    assert officer.locator("[aria-invalid=true]").count() >= 1
    assert_no_blocking(officer, axe_path, "the answer form with errors")
    assert not server_errors.new(), f"the server raised: {server_errors.new()}"
