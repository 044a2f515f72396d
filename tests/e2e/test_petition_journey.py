"""A petition end to end in Chromium, in each language (the petitions issue, "Done when").

A citizen of Ainabulak village (623633100) starts a petition to the district akimat (akimat:623600000):
the place and topic step, the addressee and the text, the preview with the excluded topics and the
acknowledgement, and off to moderation. A moderator takes it from the queue and publishes it (the author
is told in their language). Residents of the district sign it; a resident of another district is refused
with the reason, naming the district, and the count does not move. Past its initial supporters the
petition appears in the public list (until then only its link leads to it); at the threshold it becomes a
case, and the petition and the case link to each other. The district officer answers "not supported"; the
participants get the answer by mail in their language and rate it "not satisfied"; the loop's sweep
carries the case to the regional akimat, which the petition page then shows.

The accounts, the small threshold of the district akimat (3) and the initial supporters (2) are set up in
the live server directly; the sweep runs in the test process as in test_loop_journey. Every human step
goes through the real forms.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import mail_text, make_account
from tests.e2e.test_loop_journey import (
    CYRILLIC,
    assert_at,
    chain_of,
    mail_to,
    path_of,
    publish_answer,
    real_today,
    run_sweep,
    signed_in_page,
    squeeze,
    submit,
    translate,
)

VILLAGE = "623633100"
DISTRICT = "akimat:623600000"
REGION = "akimat:620000000"
DISTRICT_TERRITORY = "623600000"
#: Residents of the district who sign: villages of three rural districts of Zhanaarka district.
RESIDENT_HOMES = ["623633105", "623637100", "623645100"]
#: A village of another district of the same region (Kengir, Zhezkazgan city administration).
OUTSIDER_HOME = "621039100"
TOPIC = "roads_transport"
THRESHOLD = 3
INITIAL_SUPPORTERS = 2

AUTHOR_NAME = {"kk": "Айгүл Серікова", "ru": "Айгуль Серикова", "en": "Aigul Serikova"}
SIGNER_NAMES = {
    "kk": ["Бауыржан Оспанов", "Гүлнар Әлиева", "Нұрлан Жақсыбеков"],
    "ru": ["Бауыржан Оспанов", "Гульнар Алиева", "Нурлан Жаксыбеков"],
    "en": ["Baurzhan Ospanov", "Gulnar Aliyeva", "Nurlan Zhaksybekov"],
}
TITLE = {
    "kk": "Жаңаарқа ауданында Айнабұлақ жолын жөндеу",
    "ru": "Отремонтировать дорогу на Айнабулак в Жанааркинском районе",
    "en": "Repair the road to Ainabulak in Zhanaarka district",
}
BODY = {
    "kk": "Айнабұлақ ауылына апаратын жол көктемнен бері ойылып жатыр. Аудан әкімдігінен жолды жөндеуді сұраймыз.",
    "ru": "Дорога в аул Айнабулак разбита с весны. Просим акимат района отремонтировать её до осени.",
    "en": "The road to Ainabulak village has been broken since spring. We ask the district akimat to repair it.",
}
ANSWER = {
    "kk": "Биылғы бюджетте бұл жолды жөндеуге қаражат қарастырылмаған, сондықтан қолдау табылмады.",
    "ru": "В бюджете этого года средств на ремонт этой дороги не предусмотрено, поэтому не поддержано.",
    "en": "This year's budget has no funds to repair this road, so the petition is not supported.",
}

# Mail subjects, as msgids of templates/mail/*.subject.txt.
PUBLISHED = "Your petition is published: %(title)s"
REACHED = "The petition reached its threshold: %(title)s"
ANSWERED = "Your case has an answer: %(title)s"
ESCALATED = "Your case went up to %(authority)s: %(title)s"


# --------------------------------------------------------------------------- set-up in the live app


def set_up_thresholds(live_server, monkeypatch) -> None:
    """A demo threshold for the district akimat and few initial supporters (restored after the test)."""
    from core.authorities.services import find_authority
    from core.db import commit, db
    from petitions import rules

    monkeypatch.setitem(live_server.app.config, "PETITIONS_INITIAL_SUPPORTERS", INITIAL_SUPPORTERS)
    with live_server.app.app_context():
        rules.set_rule("", fixed=THRESHOLD, authority=find_authority(DISTRICT))
        commit()
        db.session.remove()


def names(live_server, lang: str) -> dict:
    """How the pages name the places and authorities of the journey in ``lang``."""
    from flask_babel import force_locale

    from core.authorities.services import find_authority
    from core.db import db
    from core.i18n import localized
    from core.territories.models import Territory

    with live_server.app.test_request_context(), force_locale(lang):
        found = {
            "district": localized(db.session.get(Territory, DISTRICT_TERRITORY)),
            "outsider_home": localized(db.session.get(Territory, OUTSIDER_HOME)),
            "village": localized(db.session.get(Territory, VILLAGE)),
        }
        for key in (DISTRICT, REGION):
            authority = find_authority(key)
            found[key] = {"id": authority.id, "name": localized(authority)}
        db.session.remove()
    return found


def petition_row(live_server, petition_id: int) -> dict:
    from core.db import db
    from petitions import services
    from petitions.models import Petition

    with live_server.app.app_context():
        petition = db.session.get(Petition, petition_id)
        row = {
            "state": petition.state.value,
            "threshold": petition.threshold,
            "initial_supporters": petition.initial_supporters,
            "listed": petition.listed_at is not None,
            "case_id": petition.case_id,
            "count": services.counts(petition_id).total,
        }
        db.session.remove()
    return row


def rating_closes_on(live_server, case_id: int):
    from core.db import db
    from feedback.models import Case

    with live_server.app.app_context():
        closes = db.session.get(Case, case_id).rating_closes_on
        db.session.remove()
    return closes


# --------------------------------------------------------------------------- browser helpers


def flash_text(page, category: str) -> str:
    flashes = page.locator(f".flashes .flash-{category}")
    assert flashes.count() >= 1, f"no {category} message on {page.url}:\n{page.locator('main').inner_text()}"
    return " ".join(flashes.all_inner_texts())


def signature_count(page) -> int:
    return int(page.locator(".signatures-panel [data-signatures]").get_attribute("data-signatures"))


def open_petition(page, petition_id: int, lang: str):
    response = page.goto(f"/petitions/{petition_id}")
    assert response.status == 200, f"/petitions/{petition_id} answered {response.status}"
    assert page.locator("html").get_attribute("lang") == lang
    return page


def sign(page, petition_id: int, lang: str) -> str:
    """Sign through the petition page's button; returns the message shown after."""
    open_petition(page, petition_id, lang)
    form = page.locator(f'form[action="/petitions/{petition_id}/sign"]')
    assert form.count() == 1, f"no sign button:\n{page.locator('#sign').inner_text()}"
    submit(page, form)
    assert path_of(page) == f"/petitions/{petition_id}"
    return flash_text(page, "success")


def listed_in_search(page, title: str, petition_id: int) -> bool:
    """Search the public list for the title through its filter form; is the petition among the results?"""
    page.goto("/petitions/")
    filters = page.locator("form.petition-filters")
    filters.locator("#q").fill(title)
    submit(page, filters)
    return page.locator(f'ol.petition-list a[href="/petitions/{petition_id}"]').count() == 1


class Mail:
    """Mail to one address, checked step by step in the address's language."""

    def __init__(self, live_server, address: str, lang: str, name: str):
        self.live_server, self.address, self.lang = live_server, address, lang
        self.greeting = translate(live_server, lang, "Hello, %(name)s!", name=name)
        self.seen = 0

    def subject(self, msgid: str, **values) -> str:
        return translate(self.live_server, self.lang, msgid, **values)

    def expect(self, step: str, msgid: str, link: str, **values) -> None:
        """Among the mail that came since the last step, one with this subject, in the right language,
        greeting by name and linking to ``link``."""
        messages = mail_to(self.live_server.outbox, self.address)
        new, self.seen = messages[self.seen :], len(messages)
        wanted = squeeze(self.subject(msgid, **values))
        found = [m for m in new if squeeze(str(m["Subject"])) == wanted]
        got = [" ".join(str(m["Subject"]).split()) for m in new]
        assert found, f"after “{step}” {self.address} has no “{self.subject(msgid, **values)}”; got {got}"
        message = found[-1]
        assert message["Content-Language"] == self.lang, f"{message['Subject']}: {message['Content-Language']}"
        text = mail_text(message)
        assert self.greeting in text, f"the mail after “{step}” does not greet in {self.lang}:\n{text}"
        assert link in text, f"the mail after “{step}” has no link to {link}:\n{text}"
        if self.lang != "en":
            assert CYRILLIC.search(self.greeting), f"the {self.lang} mails greet in English: {self.greeting}"
            english = translate(self.live_server, "en", msgid, **values)
            assert squeeze(str(message["Subject"])) != squeeze(english), f"not translated: {english}"


# --------------------------------------------------------------------------- the journey


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_petition_from_filing_to_escalation(live_server, new_page, sign_in, monkeypatch, lang, server_errors):
    set_up_thresholds(live_server, monkeypatch)
    named = names(live_server, lang)
    district, region = named[DISTRICT], named[REGION]
    author = make_account(live_server, "author", AUTHOR_NAME[lang], lang=lang, home=VILLAGE, iin=True)
    signers = [
        make_account(live_server, f"signer{n}", SIGNER_NAMES[lang][n], lang=lang, home=home, iin=True)
        for n, home in enumerate(RESIDENT_HOMES)
    ]
    outsider = make_account(live_server, "outsider", "Outsider", lang=lang, home=OUTSIDER_HOME, iin=True)
    moderator = make_account(live_server, "moderator", "Moderator", lang=lang, roles=(("moderator", None),))
    officer = make_account(live_server, "officer", "District officer", lang=lang, roles=(("officer", DISTRICT),))
    title = TITLE[lang]
    author_mail = Mail(live_server, author, lang, AUTHOR_NAME[lang])
    signer_mails = [Mail(live_server, s, lang, SIGNER_NAMES[lang][n]) for n, s in enumerate(signers)]

    # 1. The author starts a petition: the place (their home) and the topic, then the addressee and the text.
    citizen = signed_in_page(new_page, sign_in, lang, author)
    citizen.goto("/petitions/new")
    assert named["village"] in citizen.locator("#place-heading + p").inner_text()
    step = citizen.locator("form.topic-step")
    assert step.count() == 1, "the first step has no topic form"
    step.locator("select[name=topic]").select_option(TOPIC)
    submit(citizen, step)
    assert path_of(citizen) == "/petitions/new" and f"territory={VILLAGE}" in citizen.url, citizen.url
    form = citizen.locator('form[method="post"][action="/petitions/new"]')
    assert form.locator("select[name=topic]").input_value() == TOPIC
    choice = form.locator(f'input[name="authority"][value="{district["id"]}"]')
    assert choice.count() == 1, "the district akimat is not offered"
    label = form.locator(f'label[for="{choice.get_attribute("id")}"]').inner_text().strip()
    assert label == district["name"], label
    choice.check()
    form.locator('input[name="title"]').fill(title)
    form.locator('textarea[name="body"]').fill(BODY[lang])
    submit(citizen, form)
    match = re.fullmatch(r"/petitions/(\d+)/preview", path_of(citizen))
    assert match, f"saving did not lead to the preview: {citizen.url}\n{citizen.locator('main').inner_text()}"
    petition_id = int(match.group(1))

    # 2. The preview: the petition as it will look, the excluded topics, the acknowledgement.
    assert citizen.locator("#preview-title").inner_text().strip() == title
    assert district["name"] in citizen.locator(".petition-preview dl.facts").inner_text()
    assert citizen.locator("ul.excluded li").count() >= 3, "the excluded topics are not listed"
    send = citizen.locator(f'form[action^="/petitions/{petition_id}/submit"]')
    submit(citizen, send)  # without the acknowledgement: refused, nothing sent
    assert citizen.locator("input[name=acknowledge][aria-describedby]").count() == 1
    assert citizen.locator("#send .error").count() == 1
    assert petition_row(live_server, petition_id)["state"] == "draft"
    send = citizen.locator(f'form[action^="/petitions/{petition_id}/submit"]')
    send.locator("input[name=acknowledge]").check()
    submit(citizen, send)
    assert path_of(citizen) == f"/petitions/{petition_id}"
    flash_text(citizen, "success")
    assert citizen.locator(".author-panel").count() == 1
    assert petition_row(live_server, petition_id)["state"] == "pending"
    visitor = new_page(lang=lang)
    assert visitor.goto(f"/petitions/{petition_id}").status == 404, "a petition in moderation is public"

    # 3. A moderator takes it from the queue and publishes it; the author is told.
    mod = signed_in_page(new_page, sign_in, lang, moderator)
    mod.goto("/petitions/moderation")
    link = mod.locator(f'table.moderation-queue a[href="/petitions/moderation/{petition_id}"]')
    assert link.count() == 1, f"the petition is not in the queue:\n{mod.locator('main').inner_text()}"
    with mod.expect_navigation():
        link.click()
    assert mod.locator("h1").inner_text().strip() == title
    submit(mod, mod.locator(f'form[action^="/petitions/moderation/{petition_id}/take"]'))
    assert mod.locator(".held-by").count() == 1
    submit(mod, mod.locator(f'form[action^="/petitions/moderation/{petition_id}/publish"]'))
    assert path_of(mod) == "/petitions/moderation"
    flash_text(mod, "success")
    row = petition_row(live_server, petition_id)
    assert row["state"] == "collecting" and row["threshold"] == THRESHOLD, row
    assert row["initial_supporters"] == INITIAL_SUPPORTERS and not row["listed"], row
    author_mail.expect("publishing", PUBLISHED, f"/petitions/{petition_id}", title=title)

    # 4. Published but below its initial supporters: not in the list, yet open to anyone with the link.
    assert not listed_in_search(visitor, title, petition_id), "listed before its initial supporters"
    open_petition(visitor, petition_id, lang)
    assert visitor.locator("h1").inner_text().strip() == title
    assert visitor.locator(".signatures-panel .note").count() == 1, "no word that the petition is not listed yet"
    assert signature_count(visitor) == 0

    # 5. A resident signs.
    first = signed_in_page(new_page, sign_in, lang, signers[0])
    sign(first, petition_id, lang)
    assert signature_count(first) == 1
    assert first.locator(f'form[action="/petitions/{petition_id}/unsign"]').count() == 1

    # 6. A resident of another district is refused, with the reason naming the district.
    stranger = signed_in_page(new_page, sign_in, lang, outsider)
    open_petition(stranger, petition_id, lang)
    problem = stranger.locator("#sign .sign-problem")
    assert problem.count() == 1, f"no reason shown:\n{stranger.locator('#sign').inner_text()}"
    reason = problem.inner_text()
    assert named["district"] in reason and named["outsider_home"] in reason, reason
    assert lang == "en" or "Only residents" not in reason, f"the reason is not translated: {reason}"
    assert stranger.locator(f'form[action="/petitions/{petition_id}/sign"]').count() == 0
    # ...and a signature sent anyway (a form made in the page with the session's CSRF token) is refused.
    stranger.evaluate(
        """id => {
            const token = document.querySelector('input[name=csrf_token]').value;
            const form = document.createElement('form');
            form.method = 'post';
            form.action = `/petitions/${id}/sign`;
            form.innerHTML = `<input type="hidden" name="csrf_token" value="${token}">`;
            document.body.append(form);
        }""",
        petition_id,
    )
    with stranger.expect_navigation():
        stranger.evaluate("() => document.querySelector('body > form:last-of-type').submit()")
    assert path_of(stranger) == f"/petitions/{petition_id}"
    refused = flash_text(stranger, "error")
    assert named["district"] in refused, refused
    assert signature_count(stranger) == 1, "the outsider's signature was counted"
    assert petition_row(live_server, petition_id)["count"] == 1

    # 7. The second resident's signature brings the initial supporters: the petition is listed.
    second = signed_in_page(new_page, sign_in, lang, signers[1])
    sign(second, petition_id, lang)
    assert signature_count(second) == 2
    assert petition_row(live_server, petition_id)["listed"]
    assert listed_in_search(visitor, title, petition_id), "not listed after its initial supporters"

    # 8. The third reaches the threshold: the petition becomes a case; each links to the other.
    third = signed_in_page(new_page, sign_in, lang, signers[2])
    decisive = sign(third, petition_id, lang)
    assert decisive == translate(
        live_server,
        lang,
        "Thank you! Your signature made the petition reach its threshold: it is now sent to the authority.",
    )
    row = petition_row(live_server, petition_id)
    assert row["state"] == "reached" and row["case_id"], row
    case_id = row["case_id"]
    open_petition(visitor, petition_id, lang)
    assert visitor.locator(f'.case-panel a[href="/cases/{case_id}"]').count() == 1, "the petition has no case link"
    assert visitor.locator(f"#sign form[action='/petitions/{petition_id}/sign']").count() == 0
    visitor.goto(f"/cases/{case_id}")
    back = visitor.locator(f'.case-origin a[href="/petitions/{petition_id}"]')
    assert back.count() == 1, "the case does not link back to the petition"
    assert title in back.inner_text()
    assert_at(visitor, district)
    for mail in [*signer_mails, author_mail]:
        mail.expect("the threshold", REACHED, f"/cases/{case_id}", title=title)

    # 9. The district officer answers on the case page: not supported.
    answering = signed_in_page(new_page, sign_in, lang, officer)
    answering.goto(f"/cases/{case_id}")
    publish_answer(answering, case_id, "not_supported", ANSWER[lang])
    assert answering.locator(".decision-not_supported").count() >= 1

    # 10. Every participant got the answer in their language, and rates it "not satisfied".
    for mail in [*signer_mails, author_mail]:
        mail.expect("the answer", ANSWERED, f"/cases/{case_id}", title=title)
    for page in (first, second, third, citizen):
        page.goto(f"/cases/{case_id}")
        rate = page.locator(f'form[action^="/cases/{case_id}/rate"]')
        assert rate.count() == 1, f"a participant cannot rate:\n{page.locator('main').inner_text()}"
        rate.locator('input[name="rate-satisfied"][value="no"]').check()
        submit(page, rate)
        assert path_of(page) == f"/cases/{case_id}"
        assert page.locator('input[name="rate-satisfied"][value="no"]').is_checked()
    open_petition(visitor, petition_id, lang)
    assert ANSWER[lang] in visitor.locator(".case-panel").inner_text(), "the petition page does not show the answer"

    # 11. The sweep: everyone has rated, a dissatisfied majority → the regional akimat.
    run_sweep(live_server, real_today(live_server))
    steps = chain_of(live_server, case_id)
    assert [s["key"] for s in steps] == [DISTRICT, REGION], steps
    assert steps[0]["state"] == "escalated" and steps[0]["reason"] == "dissatisfied", steps
    top = steps[1]["id"]
    for mail in [*signer_mails, author_mail]:
        mail.expect("the escalation", ESCALATED, f"/cases/{top}", title=title, authority=region["name"])
    open_petition(visitor, petition_id, lang)
    panel = visitor.locator(".case-panel")
    assert region["name"] in panel.locator("dl.facts").inner_text(), panel.inner_text()
    assert panel.locator(f'a[href="/cases/{top}"]').count() == 1, "the petition does not lead to the case above"
    visitor.goto(f"/cases/{case_id}")
    chain = visitor.locator("ol.chain")
    assert chain.locator(f'a[href="/authorities/{region["id"]}"]').count() == 1, chain.inner_text()
    visitor.goto(f"/cases/{top}")
    assert_at(visitor, region)
    assert visitor.locator(f'.case-origin a[href="/petitions/{petition_id}"]').count() == 1
    assert not server_errors.new(), f"the server raised: {server_errors.new()}"
