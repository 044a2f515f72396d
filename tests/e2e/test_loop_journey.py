"""The Hearing State loop end to end in Chromium, in each language (issue 3, "Done when").

A village citizen of Ainabulak (623633100) files a proposal; the rural akim's office answers "not
supported"; the citizen is not satisfied, so the sweep carries the case to the district akimat; that
officer lets it go overdue and the sweep carries it to the regional akimat; the regional officer refers
it to the Government; the Government lets it go overdue and the sweep carries it to the National
Kurultai, whose secretariat shortlists it for a session and records the outcome with a measure. The
citizen sees the whole chain and the outcome on the village case's page, and got a mail in their
language at every step. Only the sweep runs in the test process (on dates that only move forward);
every human step goes through the real forms.
"""

from __future__ import annotations

import email
import email.policy
import re
import uuid
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import PASSWORD, mail_files, mail_text

VILLAGE = "623633100"
#: The ladder above the village, lowest first.
LADDER = ["akim:623633000", "akimat:623600000", "akimat:620000000", "government", "kurultai"]
CITIZEN_NAME = {"kk": "Айгүл Серікова", "ru": "Айгуль Серикова", "en": "Aigul Serikova"}
SURNAME = {"kk": "Серікова", "ru": "Серикова", "en": "Serikova"}
TITLE = {
    "kk": "Айнабұлақ ауылында ауыз су жоқ",
    "ru": "В ауле Айнабулак нет питьевой воды",
    "en": "No drinking water in Ainabulak",
}
BODY = {
    "kk": "Мамыр айынан бері ауылдың су құбыры жұмыс істемейді. Құбырды жөндеуді ұсынамын.",
    "ru": "С мая в ауле не работает водопровод. Предлагаю отремонтировать водопровод до осени.",
    "en": "The village water main has not worked since May. I propose repairing it before autumn.",
}
OUTCOME = {
    "kk": "Үкіметке Айнабұлақ ауылының су құбырын жөндеуді тапсыру туралы шешім қабылданды.",
    "ru": "Правительству поручено отремонтировать водопровод аула Айнабулак в этом году.",
    "en": "The Government is instructed to repair the Ainabulak water main this year.",
}
MEASURE = {
    "kk": "Айнабұлақ ауылының су құбырын жөндеу",
    "ru": "Ремонт водопровода аула Айнабулак",
    "en": "Repair of the Ainabulak water main",
}
CYRILLIC = re.compile(r"[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]")

# Mail subjects the citizen gets, as msgids of templates/mail/case_*.subject.txt.
FILED = "Your proposal was filed: %(title)s"
ANSWERED = "Your case has an answer: %(title)s"
ESCALATED = "Your case went up to %(authority)s: %(title)s"
OVERDUE = "The answer to your case is late: %(title)s"
SHORTLISTED = "Your case is on the National Kurultai shortlist: %(title)s"
OUTCOME_MAIL = "The National Kurultai on «%(title)s»"

#: The sweep's clock for the whole session: each run is on a later day than the one before.
_clock = {"last": None}


# --------------------------------------------------------------------------- helpers in the live app


def in_app(live_server):
    return live_server.app.app_context()


def run_sweep(live_server, at_least: date):
    """Run the sweep in the test process on ``at_least`` or, if the clock is already past it, the day
    after its last run; commit (which sends the mail inline). Returns (the day, the result)."""
    from core.db import commit, db
    from feedback.services import sweep

    last = _clock["last"]
    day = at_least if last is None or at_least > last else last + timedelta(days=1)
    _clock["last"] = day
    with in_app(live_server):
        result = sweep(on=day)
        commit()
        db.session.remove()
    return day, result


def real_today(live_server) -> date:
    from feedback.services import today

    with in_app(live_server):
        return today()


def make_people(live_server, lang: str) -> dict:
    """A verified citizen of the village and an officer for every level of the ladder (by key)."""
    from core.accounts.models import Role
    from core.accounts.services import create_user, grant_role, set_home_territory
    from core.authorities.services import find_authority
    from core.db import db

    tag = uuid.uuid4().hex[:10]
    with in_app(live_server):
        citizen = create_user(
            f"loop-citizen-{lang}-{tag}@example.kz", PASSWORD, CITIZEN_NAME[lang], locale=lang, verified=True
        )
        set_home_territory(citizen, VILLAGE)
        officers = {}
        for n, key in enumerate(LADDER):
            authority = find_authority(key)
            assert authority is not None, f"the ladder has no {key}"
            officer = create_user(
                f"loop-officer-{n}-{lang}-{tag}@example.kz", PASSWORD, f"Officer {n} {lang}", locale=lang, verified=True
            )
            grant_role(officer, Role.OFFICER, authority)
            officers[key] = officer.email
        db.session.commit()
        people = {"citizen": citizen.email, "officers": officers}
        db.session.remove()
    return people


def ladder_info(live_server, lang: str) -> dict:
    """id and name (as ``localized`` shows it in ``lang``) of every authority on the ladder, by key."""
    from core.authorities.services import find_authority
    from core.db import db

    info = {}
    with in_app(live_server):
        lowest = find_authority(LADDER[0])
        assert [a.key for a in lowest.ladder()] == LADDER, "the sample ladder changed"
        for a in lowest.ladder():
            name = next(v for v in (getattr(a, f"name_{c}") for c in (lang, "ru", "kk")) if v)
            info[a.key] = {"id": a.id, "name": name}
        db.session.remove()
    return info


def chain_of(live_server, root_id: int) -> list[dict]:
    """The cases of the chain started by ``root_id``, lowest first."""
    import sqlalchemy as sa

    from core.db import db
    from feedback.models import Case

    with in_app(live_server):
        rows = db.session.scalars(
            sa.select(Case).where(sa.or_(Case.id == root_id, Case.root_id == root_id)).order_by(Case.level)
        ).all()
        found = [
            {
                "id": c.id,
                "key": c.authority.key,
                "state": c.state.value,
                "due_on": c.due_on,
                "reason": c.escalation_reason.value if c.escalation_reason else None,
            }
            for c in rows
        ]
        db.session.remove()
    return found


def escalate_after(live_server) -> int:
    from feedback import rules

    with in_app(live_server):
        return rules.escalate_after_overdue_days()


def overdue_enough(live_server, due_on: date) -> date:
    """A day on which a case due on ``due_on`` is overdue by more than the escalation threshold."""
    from core.calendar import add_working_days

    with in_app(live_server):
        return add_working_days(due_on, escalate_after(live_server) + 2)


def translate(live_server, lang: str, msgid: str, **values) -> str:
    from flask_babel import force_locale, gettext

    with live_server.app.test_request_context(), force_locale(lang):
        return gettext(msgid, **values)


# --------------------------------------------------------------------------- mail


def squeeze(text: str) -> str:
    return "".join(text.split())


def mail_to(outbox, address: str) -> list:
    messages = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in mail_files(outbox)]
    return [m for m in messages if address.lower() in str(m.get("To", "")).lower()]


class Mailbox:
    """The citizen's mail, step by step: ``expect(subject, ...)`` checks what arrived since the last step."""

    def __init__(self, live_server, lang: str, address: str, name: str, title: str):
        self.live_server, self.lang, self.address, self.title = live_server, lang, address, title
        self.seen = 0
        self.greeting = translate(live_server, lang, "Hello, %(name)s!", name=name)
        self.subjects: list[str] = []
        self.mangled: list[tuple[str, str]] = []

    def expect(self, step: str, *subjects: str) -> None:
        messages = mail_to(self.live_server.outbox, self.address)[self.seen :]
        got = [" ".join(str(m["Subject"]).split()) for m in messages]
        # Compared without white space first: the step's mail is there, in this language...
        assert [squeeze(g) for g in got] == [squeeze(s) for s in subjects], (
            f"mail to the citizen after “{step}”: expected {list(subjects)}, got {got}"
        )
        # ...and the exact subjects are checked at the end (see ``mangled``).
        self.mangled.extend((g, s) for g, s in zip(got, subjects, strict=True) if g != s)
        for message in messages:
            assert message["Content-Language"] == self.lang, f"{message['Subject']}: {message['Content-Language']}"
            text = mail_text(message)
            assert self.greeting in text, f"the mail after “{step}” does not greet in {self.lang}:\n{text}"
            assert "/cases/" in text, f"the mail after “{step}” has no link to the case:\n{text}"
        self.seen += len(messages)
        self.subjects.extend(got)

    def subject(self, msgid: str, **values) -> str:
        return translate(self.live_server, self.lang, msgid, title=self.title, **values)


# --------------------------------------------------------------------------- browser helpers


def signed_in_page(new_page, sign_in, lang: str, address: str):
    page = new_page(lang=lang)
    sign_in(page, address)
    page.goto(f"/?lang={lang}")
    assert page.locator("html").get_attribute("lang") == lang
    return page


def path_of(page) -> str:
    return urlsplit(page.url).path


def open_case(page, case_id: int, lang: str):
    response = page.goto(f"/cases/{case_id}")
    assert response.status == 200, f"/cases/{case_id} answered {response.status}"
    assert page.locator("html").get_attribute("lang") == lang
    return page


def open_from_inbox(page, case_id: int, lang: str):
    """The officer's inbox lists the new case; open it from there."""
    page.goto("/cases/inbox")
    assert re.search(r"/cases/inbox/\d+", page.url), f"the inbox did not open: {page.url}"
    link = page.locator(f'main a[href="/cases/{case_id}"]').first
    assert link.count() == 1, f"case {case_id} is not in the inbox:\n{page.locator('main').inner_text()}"
    with page.expect_navigation():
        link.click()
    assert path_of(page) == f"/cases/{case_id}"
    assert page.locator("html").get_attribute("lang") == lang
    return page


def submit(page, form) -> None:
    with page.expect_navigation():
        form.locator("[type=submit]").first.click()


def publish_answer(page, case_id: int, decision: str, text: str, measure: tuple[str, str, date] | None = None):
    form = page.locator(f'form[action^="/cases/{case_id}/answer"]')
    assert form.count() == 1, "the officer has no answer form"
    form.locator(f'input[name="answer-decision"][value="{decision}"]').check()
    form.locator('textarea[name="answer-text"]').fill(text)
    if measure is not None:
        description, responsible, due = measure
        form.locator('textarea[name="answer-measures-0-description"]').fill(description)
        form.locator('input[name="answer-measures-0-responsible"]').fill(responsible)
        form.locator('input[name="answer-measures-0-due_on"]').fill(due.isoformat())
    submit(page, form)
    assert path_of(page) == f"/cases/{case_id}", f"the answer was not accepted: {page.url}"
    problems = page.locator(".error-summary, .error")
    assert problems.count() == 0, problems.all_inner_texts()


def chain_authority_ids(page) -> list[int]:
    links = page.locator("ol.chain > li > a[href^='/authorities/']")
    return [int(h.rsplit("/", 1)[1]) for h in links.evaluate_all("els => els.map(e => e.getAttribute('href'))")]


def assert_at(page, authority: dict) -> None:
    """The case page says the case is addressed to this authority."""
    facts = page.locator("dl.facts").first
    link = facts.locator(f'a[href="/authorities/{authority["id"]}"]')
    assert link.count() == 1, f"the case is not addressed to {authority['name']}:\n{facts.inner_text()}"
    assert link.inner_text().strip() == authority["name"]


# --------------------------------------------------------------------------- the journey


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_from_the_village_to_the_kurultai(live_server, new_page, sign_in, lang, server_errors):
    people = make_people(live_server, lang)
    ladder = ladder_info(live_server, lang)
    rural, district, region, government, kurultai = (ladder[k] for k in LADDER)
    officers = people["officers"]
    today = real_today(live_server)
    mailbox = Mailbox(live_server, lang, people["citizen"], CITIZEN_NAME[lang], TITLE[lang])
    threshold = escalate_after(live_server)
    assert threshold >= 1

    # 1. The citizen files a proposal; the rural akim's office is suggested and chosen.
    citizen = new_page(lang=lang)
    sign_in(citizen, people["citizen"])
    citizen.goto(f"/cases/new?lang={lang}")
    assert citizen.locator("html").get_attribute("lang") == lang
    form = citizen.locator('form[action="/cases/new"][method="post"]')
    choices = form.locator('input[name="authority"]')
    assert choices.count() >= 4, "the ladder above the village is not offered"
    assert choices.first.get_attribute("value") == str(rural["id"]), "the lowest authority is not offered first"
    checked = form.locator('input[name="authority"]:checked')
    assert checked.count() == 1 and checked.get_attribute("value") == str(rural["id"]), "not pre-selected"
    assert form.locator(f'label[for="{choices.first.get_attribute("id")}"]').inner_text().strip() == rural["name"]
    assert str(kurultai["id"]) not in [c.get_attribute("value") for c in choices.all()]
    form.locator('input[name="title"]').fill(TITLE[lang])
    form.locator('textarea[name="body"]').fill(BODY[lang])
    submit(citizen, form)
    match = re.fullmatch(r"/cases/(\d+)", path_of(citizen))
    assert match, f"filing did not lead to the case page: {citizen.url}\n{citizen.locator('main').inner_text()}"
    root_id = int(match.group(1))
    assert citizen.locator("h1").inner_text().strip() == TITLE[lang]
    assert_at(citizen, rural)
    assert citizen.locator(".case-meta .state-opened").count() == 1
    mailbox.expect("filing", mailbox.subject(FILED))

    # 2. The rural officer finds it in the inbox and answers "not supported".
    rural_officer = signed_in_page(new_page, sign_in, lang, officers[LADDER[0]])
    open_from_inbox(rural_officer, root_id, lang)
    assert rural_officer.locator(".officer-panel").count() == 1
    assert rural_officer.locator(".participants").inner_text().count(people["citizen"]) == 1
    publish_answer(rural_officer, root_id, "not_supported", BODY[lang] + " — " + "not supported " * 3)
    assert rural_officer.locator(".decision-not_supported").count() >= 1
    assert rural_officer.locator(".case-meta .state-answered").count() == 1
    mailbox.expect("the rural answer", mailbox.subject(ANSWERED))

    # 3. The citizen rates it "not satisfied".
    open_case(citizen, root_id, lang)
    rate = citizen.locator(f'form[action^="/cases/{root_id}/rate"]')
    assert rate.count() == 1, "the citizen cannot rate the answer"
    rate.locator('input[name="rate-satisfied"][value="no"]').check()
    rate.locator('textarea[name="rate-comment"]').fill("Су әлі жоқ / воды всё ещё нет / still no water")
    submit(citizen, rate)
    assert path_of(citizen) == f"/cases/{root_id}"
    assert citizen.locator('input[name="rate-satisfied"][value="no"]').is_checked()
    mailbox.expect("rating")  # a rating sends nothing

    # 4. The sweep: every participant has rated, a dissatisfied majority → the district akimat.
    run_sweep(live_server, today)
    steps = chain_of(live_server, root_id)
    assert [s["key"] for s in steps] == LADDER[:2], steps
    assert steps[0]["state"] == "escalated" and steps[0]["reason"] == "dissatisfied", steps
    assert steps[1]["state"] == "opened"
    open_case(citizen, root_id, lang)
    assert chain_authority_ids(citizen) == [rural["id"], district["id"]]
    assert citizen.locator("ol.chain li.current").count() == 1
    assert citizen.locator(f'ol.chain a[href="/cases/{steps[1]["id"]}"]').count() == 1
    open_case(citizen, steps[1]["id"], lang)
    assert_at(citizen, district)
    mailbox.expect("escalation to the district", mailbox.subject(ESCALATED, authority=district["name"]))

    # 5. The district officer sees it and does nothing; the sweep, once it is overdue by more than the
    # threshold, marks it overdue and carries it to the region.
    district_officer = signed_in_page(new_page, sign_in, lang, officers[LADDER[1]])
    open_from_inbox(district_officer, steps[1]["id"], lang)
    assert district_officer.locator(f'form[action^="/cases/{steps[1]["id"]}/answer"]').count() == 1
    day, _ = run_sweep(live_server, overdue_enough(live_server, steps[1]["due_on"]))
    steps = chain_of(live_server, root_id)
    assert [s["key"] for s in steps] == LADDER[:3], steps
    assert steps[1]["state"] == "escalated" and steps[1]["reason"] == "overdue", steps
    mailbox.expect(
        "the district's overdue",
        mailbox.subject(OVERDUE),
        mailbox.subject(ESCALATED, authority=region["name"]),
    )

    # 6. The regional officer refers it to the Government (through the answer form).
    region_officer = signed_in_page(new_page, sign_in, lang, officers[LADDER[2]])
    open_from_inbox(region_officer, steps[2]["id"], lang)
    publish_answer(region_officer, steps[2]["id"], "referred", "The matter needs funding from the republican budget.")
    assert region_officer.locator(".case-meta .state-escalated").count() == 1
    steps = chain_of(live_server, root_id)
    assert [s["key"] for s in steps] == LADDER[:4], steps
    assert steps[2]["reason"] == "referred", steps
    mailbox.expect("the region's referral", mailbox.subject(ESCALATED, authority=government["name"]))

    # 7. The Government lets it go overdue; the sweep carries it to the National Kurultai.
    run_sweep(live_server, max(day + timedelta(days=1), overdue_enough(live_server, steps[3]["due_on"])))
    steps = chain_of(live_server, root_id)
    assert [s["key"] for s in steps] == LADDER, steps
    assert steps[3]["state"] == "escalated" and steps[3]["reason"] == "overdue", steps
    assert steps[4]["state"] == "opened"
    mailbox.expect(
        "the Government's overdue",
        mailbox.subject(OVERDUE),
        mailbox.subject(ESCALATED, authority=kurultai["name"]),
    )

    # 8. The Kurultai secretariat shortlists it and records the outcome with a measure.
    top = steps[4]["id"]
    secretariat = signed_in_page(new_page, sign_in, lang, officers[LADDER[4]])
    open_from_inbox(secretariat, top, lang)
    assert secretariat.locator('input[name="answer-decision"][value="referred"]').count() == 0
    session_name = f"Session {today.year + 1}/{lang}"
    shortlist = secretariat.locator(f'form[action^="/cases/{top}/shortlist"]')
    shortlist.locator('input[name="shortlist-session"]').fill(session_name)
    submit(secretariat, shortlist)
    assert secretariat.locator(".case-meta .state-awaiting").count() == 1
    assert session_name in secretariat.locator("#facts-heading + dl").inner_text()
    mailbox.expect("shortlisting", mailbox.subject(SHORTLISTED))
    measure_due = today + timedelta(days=90)
    publish_answer(
        secretariat,
        top,
        "supported",
        OUTCOME[lang],
        (MEASURE[lang], government["name"], measure_due),
    )
    assert secretariat.locator(".decision-supported").count() >= 1
    mailbox.expect("the outcome", mailbox.subject(OUTCOME_MAIL))

    # 9. The citizen sees the whole chain, and the outcome, on the village case.
    open_case(citizen, root_id, lang)
    assert chain_authority_ids(citizen) == [a["id"] for a in (rural, district, region, government, kurultai)]
    badges = citizen.locator("ol.chain > li > .state").evaluate_all("els => els.map(e => e.className)")
    assert badges == ["state state-escalated"] * 4 + ["state state-answered"], badges
    chain_text = citizen.locator("ol.chain").inner_text()
    for authority in (rural, district, region, government, kurultai):
        assert authority["name"] in chain_text, f"{authority['name']} is missing from the chain:\n{chain_text}"
    assert session_name in chain_text
    final = citizen.locator("section.final-answer")
    assert final.count() == 1, "the village case does not show the outcome"
    assert final.locator(f'a[href="/cases/{top}"]').count() == 1
    assert final.locator(".decision-supported").count() == 1
    final_text = final.inner_text()
    assert OUTCOME[lang] in final_text and MEASURE[lang] in final_text and government["name"] in final_text
    # ...and in their list of cases.
    citizen.goto("/cases/mine")
    mine = {f"/cases/{s['id']}" for s in steps}
    hrefs = citizen.locator('main a[href^="/cases/"]').evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert mine & set(hrefs), f"the chain is not among the citizen's cases: {hrefs}"

    # 10. Ten mails, one per step, all in the citizen's language.
    assert len(mailbox.subjects) == 10, mailbox.subjects
    # A long non-ASCII subject is folded into several RFC 2047 encoded words; a space that falls
    # between two of them must survive decoding.
    assert not mailbox.mangled, "subjects lost their spaces in the mail header:\n" + "\n".join(
        f"  got {g!r}\n  not {w!r}" for g, w in mailbox.mangled
    )
    if lang != "en":
        assert CYRILLIC.search(mailbox.greeting), f"the {lang} mails greet in English: {mailbox.greeting}"

    # 11. An anonymous visitor sees the chain and the outcome, but not who the citizen is.
    visitor = new_page(lang=lang)
    open_case(visitor, root_id, lang)
    main = visitor.locator("main").inner_text()
    assert people["citizen"] not in visitor.content()
    assert SURNAME[lang] not in main
    assert CITIZEN_NAME[lang].split()[0] in main
    assert visitor.locator(".officer-panel").count() == 0
    assert visitor.locator("section.final-answer").count() == 1
    assert not server_errors.new(), f"the server raised: {server_errors.new()}"
