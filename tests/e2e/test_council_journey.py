"""A public council's meeting end to end in Chromium, in each language (the councils issue, "Done when").

The public council of the Zhanaarka district akimat (akimat:623600000) has six members with voting rights:
the chair, the secretary and three members with accounts, and one member without an account. A citizen
follows the council and proposes an agenda item. The secretary plans a meeting, puts a case escalated from the
rural akim's office on its agenda, accepts the citizen's proposal onto it and publishes the agenda: the
follower is mailed. On the day (the meeting's date is moved to now in the live database: the days pass), the
secretary opens the meeting and records attendance; a vote is opened on the case; the members vote from their
own sessions on phones, the secretary records the vote of the member without an account by hand; results are
hidden until the vote closes; then the count, the quorum and the majority are shown with the roll call. The
decision carries a recommendation to the district akimat: it becomes a case, its officer answers, and the
council page shows the answer. The meeting ends; the minutes are generated, approved and published (the
follower is mailed) and print without the site's chrome.

The council, its members and the escalated case are set up in the live server through the services; every
human step goes through the real forms.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.e2e.conftest import mail_text, make_account
from tests.e2e.test_loop_journey import mail_to, path_of, publish_answer, signed_in_page, submit, translate

DISTRICT = "akimat:623600000"
RURAL = "akim:623633000"
VILLAGE = "623633100"

COUNCIL_NAME = {
    "kk": "Жаңаарқа ауданы әкімдігінің қоғамдық кеңесі",
    "ru": "Общественный совет при акимате Жанааркинского района",
    "en": "Public council of the Zhanaarka district akimat",
}
MEMBERS = {
    "chair": "Ерлан Жақыпов",
    "secretary": "Гүлнар Омарова",
    "m1": "Бауыржан Оспанов",
    "m2": "Әсем Нұрланқызы",
    "m3": "Тимур Ким",
}
PAPER_MEMBER = "Сәуле Ахметова"
CASE_TITLE = {
    "kk": "Айнабұлақ ауылында ауыз су жоқ",
    "ru": "В ауле Айнабулак нет питьевой воды",
    "en": "No drinking water in Ainabulak village",
}
PROPOSAL = {
    "kk": ("Мектепке баратын жолды жарықтандыру", "Балалар қыста қараңғыда мектепке барады. Шам орнатуды сұраймыз."),
    "ru": ("Освещение дороги к школе", "Зимой дети идут в школу в темноте. Просим установить фонари вдоль дороги."),
    "en": ("Lights on the road to the school", "In winter children walk to school in the dark. Please light the road."),
}
QUESTION = {
    "kk": "Аудан әкімдігіне су құбырын жөндеуді ұсыну",
    "ru": "Рекомендовать акимату района отремонтировать водопровод",
    "en": "Recommend that the district akimat repair the water pipeline",
}
DECISION = {
    "kk": "Кеңес су құбырын жөндеу қажет деп шешті.",
    "ru": "Совет решил, что водопровод необходимо отремонтировать.",
    "en": "The council decided that the water pipeline must be repaired.",
}
RECOMMENDATION = {
    "kk": "Айнабұлақ су құбырын келесі жылдың бюджетіне енгізу.",
    "ru": "Включить ремонт водопровода Айнабулака в бюджет следующего года.",
    "en": "Include the repair of the Ainabulak water pipeline in next year's budget.",
}
ANSWER = {
    "kk": "Су құбырын жөндеу келесі жылдың бюджетіне енгізілді.",
    "ru": "Ремонт водопровода включён в бюджет следующего года.",
    "en": "The repair of the water pipeline is in next year's budget.",
}

# Mail subjects, as msgids of templates/mail/*.subject.txt.
ACCEPTED_MAIL = "Your proposal is on the agenda: %(title)s"
AGENDA_MAIL = "Agenda of meeting No. %(number)s: %(council)s"
MINUTES_MAIL = "Minutes published: %(council)s, meeting No. %(number)s"
CASE_BODY = {
    "kk": "Айнабұлақ ауылында үш айдан бері ауыз су жоқ. Су құбыры ескірген, жөндеу керек.",
    "ru": "В ауле Айнабулак три месяца нет питьевой воды. Водопровод изношен, его нужно отремонтировать.",
    "en": "Ainabulak village has had no drinking water for three months. The pipeline is worn out.",
}


# --------------------------------------------------------------------------- set-up in the live app


def set_up(live_server, lang: str) -> dict:
    """The council with its members (accounts in ``lang``), an officer of the district akimat, a follower, and
    a case escalated from the rural akim's office to the district akimat."""
    from core.accounts.models import User
    from core.authorities.services import find_authority
    from core.db import db
    from councils import services as councils
    from councils.models import Affiliation, CouncilKind, Position
    from feedback import services as loop

    emails = {key: make_account(live_server, f"council-{key}", name, lang=lang) for key, name in MEMBERS.items()}
    emails["admin"] = make_account(
        live_server, "council-admin", "Асқар Бекмұхамбетов", lang=lang, roles=(("admin", None),)
    )
    emails["officer"] = make_account(
        live_server, "council-officer", "Officer of the district", lang=lang, roles=(("officer", DISTRICT),)
    )
    emails["rural_officer"] = make_account(
        live_server, "council-rural", "Officer of the rural district", lang=lang, roles=(("officer", RURAL),)
    )
    emails["citizen"] = make_account(live_server, "council-citizen", "Айгүл Серікова", lang=lang, home=VILLAGE)
    emails["filer"] = make_account(live_server, "council-filer", "Дана Ахметова", lang=lang, home=VILLAGE)

    with live_server.app.test_request_context():
        user = {k: db.session.scalar(db.select(User).filter_by(email=v)) for k, v in emails.items()}
        district, rural = find_authority(DISTRICT), find_authority(RURAL)
        start = loop.today() - timedelta(days=365)
        council = councils.create_council(
            user["admin"],
            district,
            CouncilKind.PUBLIC_COUNCIL,
            COUNCIL_NAME["kk"],
            COUNCIL_NAME["ru"],
            COUNCIL_NAME["en"],
            start,
        )
        positions = {"chair": Position.CHAIR, "secretary": Position.SECRETARY}
        for key, name in MEMBERS.items():
            councils.add_member(
                council,
                user["admin"],
                name,
                positions.get(key, Position.MEMBER),
                Affiliation.CIVIL_SOCIETY,
                start,
                user=user[key],
            )
        councils.add_member(council, user["admin"], PAPER_MEMBER, Position.MEMBER, Affiliation.CIVIL_SOCIETY, start)

        below = loop.file_proposal(user["filer"], rural, CASE_TITLE[lang], CASE_BODY[lang], VILLAGE)
        loop.publish_answer(below, "referred", "The district must fund the water pipeline.", [], user["rural_officer"])
        escalated = below.escalated_to
        assert escalated is not None and escalated.authority_id == district.id
        db.session.commit()
        found = {"council": council.id, "case": escalated.id, "district": district.id, "emails": emails}
        db.session.remove()
    return found


def move_meeting_to_now(live_server, meeting_id: int) -> None:
    from core.db import db
    from councils.models import Meeting

    with live_server.app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        meeting.starts_at = datetime.now(UTC) - timedelta(minutes=5)
        db.session.commit()
        db.session.remove()


def meeting_row(live_server, meeting_id: int) -> dict:
    from core.db import db
    from councils.models import Meeting

    with live_server.app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        row = {
            "state": meeting.state.value,
            "number": meeting.number,
            "starts_at": meeting.starts_at,
            "items": [(i.id, i.kind.value, i.case_id, i.proposal_id) for i in meeting.items],
        }
        db.session.remove()
    return row


def case_events(live_server, case_id: int) -> list[str]:
    from core.db import db
    from feedback.models import Case

    with live_server.app.app_context():
        kinds = [e.kind.value for e in db.session.get(Case, case_id).events]
        db.session.remove()
    return kinds


def expect_ok(page) -> None:
    problems = page.locator(".error-summary, .error, .flash-error")
    assert problems.count() == 0, problems.all_inner_texts()


def form_for(page, action_suffix: str):
    form = page.locator(f'main form[action$="{action_suffix}"], main form[action*="{action_suffix}#"]')
    assert form.count() >= 1, f"no form posting to …{action_suffix} on {page.url}:\n{page.locator('main').inner_text()}"
    return form.first


# --------------------------------------------------------------------------- the journey


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_a_council_meeting_from_agenda_to_minutes(live_server, new_page, sign_in, lang, server_errors):
    world = set_up(live_server, lang)
    emails = world["emails"]
    council_path = f"/councils/{world['council']}"

    # 1. A citizen follows the council and proposes an agenda item.
    citizen = signed_in_page(new_page, sign_in, lang, emails["citizen"])
    citizen.goto(council_path)
    assert citizen.locator("h1").inner_text().strip() == COUNCIL_NAME[lang]
    submit(citizen, form_for(citizen, f"{council_path}/follow"))
    expect_ok(citizen)
    citizen.goto(f"{council_path}/propose")
    form = form_for(citizen, f"{council_path}/propose")
    form.locator('input[name="title"]').fill(PROPOSAL[lang][0])
    form.locator('textarea[name="body"]').fill(PROPOSAL[lang][1])
    submit(citizen, form)
    expect_ok(citizen)

    # 2. The secretary plans a meeting twelve days ahead (the notice period is ten).
    secretary = signed_in_page(new_page, sign_in, lang, emails["secretary"])
    secretary.goto(f"{council_path}/meetings/new")
    form = form_for(secretary, f"{council_path}/meetings/new")
    almaty_day = (datetime.now(UTC) + timedelta(hours=5)).date() + timedelta(days=12)
    form.locator('input[name="starts_at"]').fill(f"{almaty_day.isoformat()}T10:00")
    form.locator('select[name="format"]').select_option("in_person")
    form.locator('input[name="place"]').fill("Жаңаарқа, Сейфуллин к-сі 10, мәжіліс залы")
    submit(secretary, form)
    expect_ok(secretary)
    match = re.fullmatch(r"/councils/meetings/(\d+)", path_of(secretary))
    assert match, f"planning did not lead to the meeting page: {secretary.url}"
    meeting_id = int(match.group(1))
    meeting_path = path_of(secretary)

    # ... puts the escalated case on the agenda ...
    secretary.goto(f"{meeting_path}/items/new")
    form = form_for(secretary, f"{meeting_path}/items/new")
    form.locator('select[name="kind"]').select_option("case")
    form.locator('input[name="title"]').fill(CASE_TITLE[lang])
    form.locator('input[name="rapporteur"]').fill(MEMBERS["m1"])
    form.locator('input[name="case_number"]').fill(str(world["case"]))
    submit(secretary, form)
    expect_ok(secretary)

    # ... accepts the citizen's proposal onto the meeting ...
    secretary.goto(f"{council_path}/proposals")
    form = secretary.locator('main form[action*="/accept"]').first
    form.locator('select[name="meeting_id"]').select_option(str(meeting_id))
    submit(secretary, form)
    expect_ok(secretary)
    items = meeting_row(live_server, meeting_id)["items"]
    assert [(kind, case) for _, kind, case, _ in items] == [("case", world["case"]), ("other", None)]
    assert items[1][3] is not None, "the accepted item does not come from the proposal"
    case_item = items[0][0]

    # ... and publishes the agenda: the follower is mailed, the case's timeline shows it.
    secretary.goto(meeting_path)
    submit(secretary, form_for(secretary, f"{meeting_path}/publish"))
    expect_ok(secretary)
    assert meeting_row(live_server, meeting_id)["state"] == "announced"
    assert "on_agenda" in case_events(live_server, world["case"])
    subjects = [" ".join(str(m["Subject"]).split()) for m in mail_to(live_server.outbox, emails["citizen"])]
    number = meeting_row(live_server, meeting_id)["number"]
    assert subjects == [
        translate(live_server, lang, ACCEPTED_MAIL, title=PROPOSAL[lang][0]),
        translate(live_server, lang, AGENDA_MAIL, number=number, council=COUNCIL_NAME[lang]),
    ]
    agenda_mail = mail_to(live_server.outbox, emails["citizen"])[-1]
    assert agenda_mail["Content-Language"] == lang
    assert PROPOSAL[lang][0] in mail_text(agenda_mail) and CASE_TITLE[lang] in mail_text(agenda_mail)
    citizen.goto(f"/cases/{world['case']}")
    timeline = citizen.locator("main").inner_text()
    assert translate(live_server, lang, "Put on a public council's agenda") in timeline
    assert COUNCIL_NAME["kk"] in timeline, (
        "the timeline does not say which council"
    )  # notes are in the default language

    # 3. The day comes: the secretary opens the meeting and records who is present.
    move_meeting_to_now(live_server, meeting_id)
    secretary.goto(meeting_path)
    submit(secretary, form_for(secretary, f"{meeting_path}/start"))
    expect_ok(secretary)
    secretary.goto(f"{meeting_path}/attendance")
    for name in [*MEMBERS.values(), PAPER_MEMBER]:
        row = secretary.locator("li.attendance-row").filter(has=secretary.locator("h2", has_text=name))
        with secretary.expect_navigation():
            row.locator('form:has(input[name="status"][value="present"]) [type=submit]').click()
        expect_ok(secretary)
    quorum = secretary.locator("main").inner_text()
    assert "6" in quorum and "4" in quorum, quorum

    # 4. A vote on the case: the members vote from their own phones.
    item_path = f"/councils/items/{case_item}"
    secretary.goto(item_path)
    form = form_for(secretary, f"{item_path}/votes")
    form.locator('input[name="question"]').fill(QUESTION[lang])
    submit(secretary, form)
    expect_ok(secretary)
    for key in ("m1", "m2", "m3", "chair"):
        phone = new_page(lang=lang, width=360, height=740, is_mobile=True, has_touch=True)
        sign_in(phone, emails[key])
        phone.goto(item_path)
        ballot = phone.locator('main form[action$="/ballot"]')
        assert ballot.count() == 1, f"{key} has no ballot:\n{phone.locator('main').inner_text()}"
        ballot.locator('input[name="choice"][value="for"]').check()
        submit(phone, ballot)
        expect_ok(phone)
        assert phone.locator('main form[action$="/ballot"]').count() == 0, "the ballot is offered twice"
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360
        phone.context.close()
    # The secretary records the vote of the member without an account, given by hand, and abstains.
    secretary.goto(item_path)
    form = form_for(secretary, "/record")
    form.locator('select[name="member_id"]').select_option(label=PAPER_MEMBER)
    form.locator('select[name="choice"]').select_option("against")
    submit(secretary, form)
    expect_ok(secretary)
    ballot = secretary.locator('main form[action$="/ballot"]')
    ballot.locator('input[name="choice"][value="abstain"]').check()
    submit(secretary, ballot)
    expect_ok(secretary)
    hidden = secretary.locator("main").inner_text()
    assert "table" not in secretary.locator("main").inner_html() or MEMBERS["m1"] not in hidden, (
        "the roll call shows before the vote closes"
    )

    # 5. The vote closes: 4 for of 6 present, 4 needed (more than half of 6): adopted, with the roll call.
    submit(secretary, form_for(secretary, "/close"))
    expect_ok(secretary)
    result = secretary.locator("main").inner_text()
    assert translate(live_server, lang, "Adopted") in result
    roll = secretary.locator("main table").last.inner_text()
    for name in [*MEMBERS.values(), PAPER_MEMBER]:
        assert name in roll, f"{name} is not in the roll call:\n{roll}"
    assert translate(live_server, lang, "by hand") in roll

    # 6. The decision carries a recommendation to the district akimat: a case in the loop.
    secretary.goto(f"{item_path}/decision")
    form = form_for(secretary, f"{item_path}/decision")
    form.locator('textarea[name="text"]').fill(DECISION[lang])
    form.locator('select[name="recommendations-0-authority"]').select_option(str(world["district"]))
    form.locator('textarea[name="recommendations-0-text"]').fill(RECOMMENDATION[lang])
    submit(secretary, form)
    expect_ok(secretary)
    link = secretary.locator('main a[href^="/cases/"]').last
    recommendation_case = int(link.get_attribute("href").rsplit("/", 1)[1])
    assert recommendation_case != world["case"]

    # 7. The district officer answers; the council page shows the answer.
    officer = signed_in_page(new_page, sign_in, lang, emails["officer"])
    officer.goto(f"/cases/{recommendation_case}")
    measure = (
        RECOMMENDATION[lang],
        "Жаңаарқа ауданының тұрғын үй-коммуналдық бөлімі",
        date.today() + timedelta(days=200),
    )
    publish_answer(officer, recommendation_case, "supported", ANSWER[lang], measure)
    citizen.goto(council_path)
    decisions = citizen.locator("main").inner_text()
    assert RECOMMENDATION[lang] in decisions
    assert translate(live_server, lang, "Supported") in decisions
    assert translate(live_server, lang, "Answered") in decisions

    # 8. The meeting ends; the minutes are generated, approved and published, and the follower is mailed.
    secretary.goto(meeting_path)
    submit(secretary, form_for(secretary, f"{meeting_path}/end"))
    expect_ok(secretary)
    minutes_path = f"{meeting_path}/minutes"
    secretary.goto(f"{minutes_path}/edit")
    form = form_for(secretary, f"{minutes_path}/edit")
    text = form.locator('textarea[name="text"]').input_value()
    assert QUESTION[lang] in text and PAPER_MEMBER in text and DECISION[lang] in text
    submit(secretary, form)
    expect_ok(secretary)
    secretary.goto(minutes_path)
    submit(secretary, form_for(secretary, f"{minutes_path}/approve"))
    expect_ok(secretary)
    submit(secretary, form_for(secretary, f"{minutes_path}/publish"))
    expect_ok(secretary)
    mails = mail_to(live_server.outbox, emails["citizen"])
    assert len(mails) == 3, [str(m["Subject"]) for m in mails]
    assert " ".join(str(mails[2]["Subject"]).split()) == translate(
        live_server, lang, MINUTES_MAIL, council=COUNCIL_NAME[lang], number=number
    )
    assert mails[2]["Content-Language"] == lang and minutes_path in mail_text(mails[2])

    # 9. Anyone reads the minutes; they print without the site's chrome.
    reader = new_page(lang=lang)
    reader.goto(minutes_path)
    assert QUESTION[lang] in reader.locator("main").inner_text()
    reader.emulate_media(media="print")
    assert reader.locator(".main-nav").is_hidden()
    assert reader.locator("main form").count() == 0 or reader.locator("main form").first.is_hidden()
    assert reader.locator(".minutes-text").is_visible()
    assert server_errors.new() == []
