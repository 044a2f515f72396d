"""axe-core on the public pages, in Kazakh and Russian: no serious or critical violations.

axe is injected as a script file; the app's Content-Security-Policy forbids such scripts, so the
axe contexts bypass CSP (the pages themselves are unchanged). The loop's pages need cases: a path
with ``{placeholders}`` is filled from ``loop_data`` (created once per live server).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from tests.e2e.conftest import PASSWORD, fresh_iin, make_account

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


# --------------------------------------------------------------------------- petitions

#: Public petition pages; ``{placeholders}`` are filled from ``petition_data``.
PETITION_PAGES = {
    "petitions": ("/petitions/", 200),
    "petitions-filtered": ("/petitions/?territory=620000000&sort=new", 200),
    "petition-collecting": ("/petitions/{collecting}", 200),
    "petition-answered": ("/petitions/{answered}", 200),
    "petition-pending-404": ("/petitions/{pending}", 404),
}
PETITION_CASES = [
    pytest.param(name, lang, id=f"{name}-{lang}")
    for name in PETITION_PAGES
    for lang in (("kk", "ru") if name in {"petitions", "petition-collecting", "petition-answered"} else ("kk",))
]
#: Homes of the signers of the collecting petition (to the Government, so anyone may sign): settlements of
#: Ulytau region and districts of Astana, so that both charts have several bars.
SIGNER_HOMES = ["623633105", "623637100", "621039100", "711110000", "711210000"]

_petition_data: dict[str, dict] = {}


def petition_data(live_server) -> dict:
    """Petitions made once per live server through the services, by a citizen of Ainabulak: ``collecting``
    (to the Government, listed, with signers from two regions), ``answered`` (to the district akimat, whose
    threshold is set to 3: reached, a case answered "partly" with a measure), ``pending`` (in moderation)
    and ``draft``; and the accounts (e-mail addresses; password ``PASSWORD``): the ``author``, a ``signer``
    of the collecting petition, a ``moderator``, an ``admin``, an ``officer`` of the Government (paper
    signatures of the collecting petition) and a ``district_officer``."""
    if live_server.url in _petition_data:
        return _petition_data[live_server.url]
    import sqlalchemy as sa

    from core.accounts.models import User
    from core.authorities.services import find_authority
    from core.db import commit, db
    from feedback import services as loop
    from petitions import rules, services

    def account(kind: str, name: str, **options) -> str:
        return make_account(live_server, f"a11y-{kind}", name, **options)

    author = account("author", "Дана Ахметова", home="623633100", iin=True)
    signers = [account(f"signer{n}", f"Сигнер{n} Тестов", home=h, iin=True) for n, h in enumerate(SIGNER_HOMES)]
    data = {
        "author": author,
        "signer": signers[-1],
        "moderator": account("moderator", "Мадина Модератор", roles=(("moderator", None),)),
        "admin": account("admin", "Әсет Админ", roles=(("admin", None),)),
        "officer": account("officer", "Ерлан Үкімет", roles=(("officer", "government"),)),
        "district_officer": account("district", "Ерлан Аудан", roles=(("officer", "akimat:623600000"),)),
    }
    body = (
        "Ауылдағы жолдар **көктемнен бері** бұзылған.\n\n- Жолды жөндеу\n- Жарық орнату\n\n"
        "Мұны аудан әкімдігінен және Үкіметтен сұраймыз."
    )
    with live_server.app.app_context():

        def user(address: str) -> User:
            return db.session.scalar(sa.select(User).where(User.email == address))

        moderator = user(data["moderator"])
        district = find_authority("akimat:623600000")
        rules.set_rule("", fixed=3, authority=district)

        def published(authority_key: str, title: str):
            petition = services.create_draft(
                user(author), "623633100", find_authority(authority_key), "roads_transport", title, body
            )
            services.submit(petition, user(author), acknowledged=True)
            services.take(petition, moderator)
            services.publish(petition, moderator)
            return petition

        collecting = published("government", "Ауыл жолдарын жөндеуге республикалық қаражат бөлу")
        for address in [author, *signers]:
            services.sign(collecting.id, user(address))
        services.list_publicly(collecting.id)

        answered = published("akimat:623600000", "Аудан орталығына автобус қатынасын ашу")
        for address in [author, *signers[:2]]:
            services.sign(answered.id, user(address))
        case = services.after_signing(answered.id).reached
        assert case is not None, "the answered petition did not reach its threshold"
        measure = loop.MeasureInput("Автобус бағытын ашу", "Жаңаарқа ауданының әкімдігі", loop.today())
        loop.publish_answer(
            case, "partly", "Автобус аптасына екі рет жүреді.", [measure], user(data["district_officer"])
        )

        pending = services.create_draft(
            user(author), "623633100", district, "water_supply", "Ауылға ауыз су құбырын тарту", body
        )
        services.submit(pending, user(author), acknowledged=True)
        draft = services.create_draft(
            user(author), "623633100", district, "education", "Ауыл мектебіне спорт залын салу", body
        )
        commit()
        data.update(collecting=collecting.id, answered=answered.id, pending=pending.id, draft=draft.id)
        db.session.remove()
    _petition_data[live_server.url] = data
    return data


def petition_page_path(name: str, live_server) -> tuple[str, int]:
    """The path of a page of ``PETITION_PAGES`` (placeholders filled from ``petition_data``) and its status."""
    path, status = PETITION_PAGES[name]
    return path.format(**petition_data(live_server)), status


def paper_rows() -> str:
    """A paper batch with a good row, a bad IIN, an unknown settlement and the good row again."""
    iin = fresh_iin()
    return "\n".join(
        [
            f"{iin}; Серік Қағазов; 711210000",
            "123456789012; Бағдат Қате; 711210000",
            f"{fresh_iin()}; Нұржан Белгісіз; Жоқ ауыл",
            f"{iin}; Серік Қағазов; 711210000",
        ]
    )


@pytest.mark.parametrize(("name", "lang"), PETITION_CASES)
def test_petition_pages_have_no_serious_axe_violations(new_page, axe_path, live_server, name, lang, server_errors):
    path, status = petition_page_path(name, live_server)
    page = new_page(lang=lang, bypass_csp=True)
    response = page.goto(f"{path}{'&' if '?' in path else '?'}lang={lang}")
    assert response.status == status, f"{path} answered {response.status}"
    assert page.locator("html").get_attribute("lang") == lang
    if name == "petitions":
        assert page.locator("ol.petition-list > li").count() >= 2, "the list has no petitions"
    elif name == "petition-collecting":
        assert page.locator("ul.signers li").count() >= 2 and page.locator("figure.chart svg").count() == 2
    elif name == "petition-answered":
        assert page.locator(".case-panel .decision-partly").count() == 1
    assert_no_blocking(page, axe_path, f"{path} ({lang})")
    assert not server_errors.new(), f"the server raised: {server_errors.new()}"


def submit_without_checks(page, form) -> None:
    """Submit a form with the browser's own checks off, so the server's messages are shown."""
    form.evaluate("f => { f.noValidate = true; }")
    with page.expect_navigation():
        form.locator("[type=submit]").first.click()


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_petition_pages_signed_in(new_page, axe_path, live_server, sign_in, lang, server_errors):
    """Filing (both steps, with errors), the preview, my petitions and signing as the citizen; the queue and
    the review as a moderator; paper signatures (with row problems) as an officer; thresholds as an admin."""
    data = petition_data(live_server)

    citizen = new_page(lang=lang, bypass_csp=True)
    sign_in(citizen, data["author"])
    citizen.goto(f"/petitions/new?lang={lang}")
    assert citizen.locator("form.topic-step").count() == 1
    assert_no_blocking(citizen, axe_path, "/petitions/new (the place and the topic)")
    citizen.goto("/petitions/new?territory=623633100&topic=roads_transport")
    form = citizen.locator('form[method="post"][action="/petitions/new"]')
    assert form.locator("input[name=authority]").count() >= 3
    assert_no_blocking(citizen, axe_path, "/petitions/new (the addressee and the text)")
    form.locator('input[name="title"]').fill("<b>x</b>")
    submit_without_checks(citizen, form)
    assert citizen.locator("[aria-invalid=true]").count() >= 1
    assert_no_blocking(citizen, axe_path, "/petitions/new with errors")
    citizen.goto(f"/petitions/{data['draft']}/preview")
    assert citizen.locator("ul.excluded li").count() >= 1
    assert_no_blocking(citizen, axe_path, "the preview")
    submit_without_checks(citizen, citizen.locator(f'form[action^="/petitions/{data["draft"]}/submit"]'))
    assert citizen.locator("#send .error").count() == 1
    assert_no_blocking(citizen, axe_path, "the preview without the acknowledgement")
    for path in ("/petitions/mine", f"/petitions/{data['pending']}", f"/petitions/{data['collecting']}"):
        citizen.goto(path)
        assert_no_blocking(citizen, axe_path, f"{path} (the author)")

    signer = new_page(lang=lang, bypass_csp=True)
    sign_in(signer, data["signer"])
    signer.goto(f"/petitions/{data['answered']}")
    assert_no_blocking(signer, axe_path, "a reached petition (a signer)")

    moderator = new_page(lang=lang, bypass_csp=True)
    sign_in(moderator, data["moderator"])
    moderator.goto("/petitions/moderation")
    assert moderator.locator(f'a[href="/petitions/moderation/{data["pending"]}"]').count() == 1
    assert_no_blocking(moderator, axe_path, "the moderation queue")
    moderator.goto(f"/petitions/moderation/{data['pending']}")
    take = moderator.locator(f'form[action^="/petitions/moderation/{data["pending"]}/take"]')
    if take.count():
        assert_no_blocking(moderator, axe_path, "the review page, before taking")
        with moderator.expect_navigation():
            take.locator("[type=submit]").click()
    reject = moderator.locator(f'form[action^="/petitions/moderation/{data["pending"]}/reject"]')
    assert reject.count() == 1, "the moderator holding the petition has no decision forms"
    assert_no_blocking(moderator, axe_path, "the review page with the decision forms")
    submit_without_checks(moderator, reject)
    assert moderator.locator("[aria-invalid=true]").count() >= 1
    assert_no_blocking(moderator, axe_path, "the reject form with errors")

    officer = new_page(lang=lang, bypass_csp=True)
    sign_in(officer, data["officer"])
    officer.goto(f"/petitions/{data['collecting']}/paper")
    assert_no_blocking(officer, axe_path, "the paper signatures page")
    paper = officer.locator(".paper-form")
    paper.locator("textarea[name=rows]").fill(paper_rows())
    submit_without_checks(officer, paper)
    result = officer.locator(".paper-result")
    assert result.locator(".row-problems li").count() == 3, result.inner_text()
    assert_no_blocking(officer, axe_path, "the paper signatures page with a batch's row problems")

    admin = new_page(lang=lang, bypass_csp=True)
    sign_in(admin, data["admin"])
    admin.goto("/petitions/rules")
    assert admin.locator("table.thresholds").count() == 2
    assert_no_blocking(admin, axe_path, "the threshold rules")
    rule = admin.locator('form[action$="/petitions/rules#set-rule"]')
    rule.locator("input[name=fixed]").fill("0")
    submit_without_checks(admin, rule)
    assert admin.locator("[aria-invalid=true]").count() >= 1
    assert_no_blocking(admin, axe_path, "the threshold rules with errors")
    assert not server_errors.new(), f"the server raised: {server_errors.new()}"
