"""The loop's pages through the client: the public list and case page, filing, the inbox, officers'
actions, rating, withdrawing, the deadline rules page. Happy paths and bad input (a clear message on the
page, the user's text kept, never a 500)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.accounts.models import Role
from core.authorities.models import Authority, AuthorityKind
from core.authorities.services import find_authority
from core.calendar import add_working_days
from core.db import commit
from feedback import services
from feedback.models import Case, CaseEvent, CaseSource, CaseState, DeadlineRule, Decision, EventKind, Rating
from tests.conftest import count

VILLAGE = "623633100"  # с.Айнабулак
OTHER_VILLAGE = "623637100"  # с.Актау, another rural district of the same district
BODY = "There has been no drinking water in the village since May; the pump is broken."


@pytest.fixture
def rural(kato):
    return find_authority("akim:623633000")


@pytest.fixture
def district(kato):
    return find_authority("akimat:623600000")


@pytest.fixture
def citizen(make_user):
    return make_user("citizen@example.kz", display_name="Айгүл Серікова", home=VILLAGE)


@pytest.fixture
def officer(make_user, rural):
    return make_user("officer@example.kz", display_name="Бауыржан Омаров", roles=[(Role.OFFICER, rural)])


@pytest.fixture
def filed(db, citizen, rural):
    """A proposal from the village to its rural akim's office."""
    case = services.file_proposal(citizen, rural, "Water in Ainabulak", BODY)
    db.session.flush()
    return case


def text(response) -> str:
    return response.get_data(as_text=True)


# --- the public list --------------------------------------------------------------------------------------


def test_list_shows_cases_newest_first_with_state_and_due(client, db, citizen, rural, district, filed):
    second = services.file_proposal(citizen, district, "Road to the district centre", BODY)
    response = client.get("/cases/")
    assert response.status_code == 200
    page = text(response)
    assert page.index("Road to the district centre") < page.index("Water in Ainabulak")
    assert f'href="/cases/{filed.id}"' in page and f'href="/cases/{second.id}"' in page
    assert "working days left" in page
    assert 'class="state state-opened"' in page


def test_list_filters(client, db, citizen, rural, district, filed):
    services.file_proposal(citizen, district, "Маршрут автобуса", BODY)
    late = services.file_proposal(citizen, rural, "Пастбища у реки", BODY)
    late.state = CaseState.OVERDUE
    late.due_on = services.today() - timedelta(days=20)
    db.session.flush()

    by_authority = text(client.get(f"/cases/?authority={district.id}"))
    assert "Маршрут автобуса" in by_authority and "Water in Ainabulak" not in by_authority
    assert "show cases of every authority" in by_authority

    by_state = text(client.get("/cases/?state=overdue"))
    assert "Пастбища у реки" in by_state and "Маршрут автобуса" not in by_state
    assert "working days late" in by_state

    assert "Water in Ainabulak" not in text(client.get("/cases/?source=kurultai_proposal"))
    assert "Water in Ainabulak" in text(client.get("/cases/?source=proposal"))

    # Case-insensitive search on the title, Cyrillic too (SQLite folds only ASCII itself).
    found = text(client.get("/cases/?q=маршрут"))
    assert "Маршрут автобуса" in found and "Пастбища у реки" not in found
    assert "Water in Ainabulak" in text(client.get("/cases/?q=WATER"))

    # Nonsense filters are ignored, never a 500.
    assert client.get("/cases/?state=bogus&source=x&authority=abc&page=-3").status_code == 200


def test_list_paginates(client, db, citizen, rural):
    for i in range(22):
        services.file_proposal(citizen, rural, f"Proposal number {i:02d}", BODY)
    first = text(client.get("/cases/"))
    assert "Proposal number 21" in first and "Proposal number 00" not in first
    assert "Page 1 of 2" in first
    second = text(client.get("/cases/?page=2"))
    assert "Proposal number 00" in second and "Proposal number 21" not in second


# --- the case page ----------------------------------------------------------------------------------------


def test_case_page_public_parts(client, db, citizen, rural, filed):
    response = client.get(f"/cases/{filed.id}")
    assert response.status_code == 200
    page = text(response)
    assert "Water in Ainabulak" in page
    assert BODY in page
    assert f'href="/authorities/{rural.id}"' in page
    assert "Айгүл С." in page  # first name and initial only
    assert "Серікова" not in page
    assert "citizen@example.kz" not in page
    assert "1 person" in page  # participants only as a count
    assert "Proposal" in page and "New" in page
    assert "working days left" in page
    assert "Filed" in page  # the timeline
    # No forms for the anonymous public.
    assert "<form" not in page.split('id="main"')[1].split("</main>")[0]


def test_case_body_is_escaped(client, db, citizen, rural):
    case = services.file_proposal(citizen, rural, "Script <b>test</b>", "<script>alert(1)</script>\nsecond line here")
    page = text(client.get(f"/cases/{case.id}"))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Script &lt;b&gt;test&lt;/b&gt;" in page


def test_case_page_deadline_states(client, db, filed):
    filed.due_on = services.today()
    db.session.flush()
    assert "due today" in text(client.get(f"/cases/{filed.id}"))
    filed.due_on = services.today() - timedelta(days=14)
    db.session.flush()
    assert "working days late" in text(client.get(f"/cases/{filed.id}"))


def test_case_page_unknown_is_404(client, db):
    assert client.get("/cases/999999").status_code == 404


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_case_pages_in_every_language(client, db, filed, lang):
    for path in ("/cases/", f"/cases/{filed.id}"):
        response = client.get(f"{path}?lang={lang}")
        assert response.status_code == 200
        assert f'<html lang="{lang}">' in text(response)


def test_officer_sees_private_parts_and_forms(client, db, login, filed, officer):
    login(officer)
    page = text(client.get(f"/cases/{filed.id}"))
    assert "citizen@example.kz" in page
    assert "Айгүл Серікова" in page
    for action in ("assign", "extend", "redirect", "answer"):
        assert f'action="/cases/{filed.id}/{action}#{action}"' in page
    assert "shortlist" not in page  # only at the Kurultai
    assert 'value="referred"' in page  # a rural akim's office has a parent


def test_admin_sees_private_parts_but_no_officer_forms(client, db, login, make_user, filed):
    login(make_user("admin@example.kz", roles=[Role.ADMIN]))
    page = text(client.get(f"/cases/{filed.id}"))
    assert "citizen@example.kz" in page
    assert f"/cases/{filed.id}/answer" not in page


# --- filing -----------------------------------------------------------------------------------------------


def test_file_proposal_from_home_place(client, db, login, citizen, rural, district, outbox):
    login(citizen)
    page = text(client.get("/cases/new"))
    assert "Solve it locally first" in page
    # The ladder above the village, lowest first and chosen.
    assert page.index(f'value="{rural.id}"') < page.index(f'value="{district.id}"')
    assert re.search(rf'<input[^>]*checked[^>]*value="{rural.id}"', page)
    assert not re.search(rf'<input[^>]*checked[^>]*value="{district.id}"', page)
    assert 'value="kurultai"' not in page
    response = client.post(
        "/cases/new",
        data={"territory": VILLAGE, "authority": str(district.id), "title": "Bus route to Zhanaarka", "body": BODY},
    )
    assert response.status_code == 302
    case = db.session.scalar(sa.select(Case).where(Case.title == "Bus route to Zhanaarka"))
    assert response.headers["Location"].endswith(f"/cases/{case.id}")
    assert case.authority_id == district.id and case.author_id == citizen.id and case.territory_code == VILLAGE
    followed = text(client.get(response.headers["Location"]))
    assert "Your proposal is filed." in followed


def test_file_proposal_bad_input_keeps_the_text(client, db, login, citizen, rural):
    login(citizen)
    before = count(Case)
    response = client.post(
        "/cases/new",
        data={"territory": VILLAGE, "authority": str(rural.id), "title": "Broken pump", "body": "too short"},
    )
    assert response.status_code == 400
    page = text(response)
    assert "Describe the matter in 20 to" in page
    assert 'value="Broken pump"' in page and "too short" in page
    assert count(Case) == before


def test_file_proposal_to_an_authority_not_offered_is_refused(client, db, login, citizen, kato):
    login(citizen)
    kurultai = services.kurultai()
    response = client.post(
        "/cases/new",
        data={"territory": VILLAGE, "authority": str(kurultai.id), "title": "Anything at all", "body": BODY},
    )
    assert response.status_code == 400
    assert "Not a valid choice" in text(response)


def test_file_proposal_about_another_place(client, db, login, citizen, rural):
    login(citizen)
    other = find_authority("akim:623637000")
    page = text(client.get(f"/cases/new?territory={OTHER_VILLAGE}"))
    assert f'value="{other.id}"' in page and f'value="{rural.id}"' not in page
    assert "с.Актау" in page or "Ақтау" in page or "Aktau" in page
    response = client.post(
        "/cases/new",
        data={"territory": OTHER_VILLAGE, "authority": str(other.id), "title": "Pastures by the river", "body": BODY},
    )
    assert response.status_code == 302
    case = db.session.scalar(sa.select(Case).where(Case.title == "Pastures by the river"))
    assert case.territory_code == OTHER_VILLAGE and case.authority_id == other.id
    # A place search without JavaScript, and an unknown place explained.
    assert "?territory=" in text(client.get("/cases/new?q=Актау"))
    assert "We do not know this place" in text(client.get("/cases/new?territory=999"))


def test_file_proposal_without_home_place(client, db, login, make_user):
    login(make_user("nohome@example.kz"))
    page = text(client.get("/cases/new"))
    assert "/territories/pick?next=/cases/new" in page
    assert "<textarea" not in page


def test_file_proposal_needs_a_confirmed_email(client, db, login, make_user, rural):
    login(make_user("unverified@example.kz", verified=False, home=VILLAGE))
    response = client.get("/cases/new")
    assert response.status_code == 403
    assert "Confirm your email address first" in text(response)
    response = client.post(
        "/cases/new", data={"territory": VILLAGE, "authority": str(rural.id), "title": "Water", "body": BODY}
    )
    assert response.status_code == 403
    assert client.get("/cases/kurultai/new").status_code == 403


def test_file_proposal_needs_sign_in(client, db):
    response = client.get("/cases/new")
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


def test_kurultai_proposal(client, db, login, citizen, kato):
    login(citizen)
    page = text(client.get("/cases/kurultai/new"))
    assert "Quryltai" in page and "shortlists" in page
    bad = client.post("/cases/kurultai/new", data={"title": "Tax", "body": "short"})
    assert bad.status_code == 400 and 'value="Tax"' in text(bad)
    response = client.post("/cases/kurultai/new", data={"title": "A national pasture law", "body": BODY})
    assert response.status_code == 302
    case = db.session.scalar(sa.select(Case).where(Case.title == "A national pasture law"))
    assert case.source == CaseSource.KURULTAI_PROPOSAL
    assert case.authority.kind == AuthorityKind.KURULTAI


# --- my cases ---------------------------------------------------------------------------------------------


def test_my_cases_show_where_each_chain_is_now(client, db, login, citizen, make_user, rural, district, filed):
    services.escalate(filed, services.EscalationReason.OVERDUE)
    db.session.flush()
    someone_else = make_user("other@example.kz", home=VILLAGE)
    services.file_proposal(someone_else, rural, "Not my case at all", BODY)
    login(citizen)
    page = text(client.get("/cases/mine"))
    assert page.count("Water in Ainabulak") == 1  # one row per chain
    upper = filed.escalated_to
    assert f'href="/cases/{upper.id}"' in page
    assert "Akimat" in page or "әкімдігі" in page
    assert "1 level up" in page
    assert "Not my case at all" not in page


def test_my_cases_needs_sign_in(client, db):
    assert client.get("/cases/mine").status_code == 302


# --- the inbox --------------------------------------------------------------------------------------------


def test_inbox_redirects_to_the_only_authority(client, db, login, officer, rural):
    login(officer)
    response = client.get("/cases/inbox")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/cases/inbox/{rural.id}")


def test_inbox_lists_several_authorities(client, db, login, make_user, rural, district):
    login(make_user(roles=[(Role.OFFICER, rural), (Role.HEAD, district)]))
    page = text(client.get("/cases/inbox"))
    assert f"/cases/inbox/{rural.id}" in page and f"/cases/inbox/{district.id}" in page


def test_inbox_without_authority_is_forbidden(client, db, login, citizen):
    login(citizen)
    assert client.get("/cases/inbox").status_code == 403


def test_inbox_tabs(client, db, login, citizen, officer, rural):
    today = services.today()
    new = services.file_proposal(citizen, rural, "A brand new case", BODY)
    soon = services.file_proposal(citizen, rural, "A case due soon", BODY)
    soon.state = CaseState.AWAITING
    soon.due_on = add_working_days(today, 1)
    late = services.file_proposal(citizen, rural, "A late case", BODY)
    late.state = CaseState.OVERDUE
    late.due_on = today - timedelta(days=10)
    extended = services.file_proposal(citizen, rural, "An extended case", BODY)
    extended.state = CaseState.AWAITING
    extended.extended_at = extended.opened_at
    extended.due_on = today + timedelta(days=60)
    answered = services.file_proposal(citizen, rural, "An answered case", BODY)
    services.publish_answer(answered, Decision.NOT_SUPPORTED, "We cannot do this, sorry, no budget.", [], officer)
    db.session.flush()
    login(officer)

    def tab(name):
        response = client.get(f"/cases/inbox/{rural.id}?tab={name}")
        assert response.status_code == 200
        return text(response)

    assert new.title in tab("new") and soon.title not in tab("new")
    due = tab("due_soon")
    assert soon.title in due and late.title not in due and extended.title not in due
    assert late.title in tab("overdue") and soon.title not in tab("overdue")
    assert extended.title in tab("extended") and soon.title not in tab("extended")
    assert answered.title in tab("answered") and new.title not in tab("answered")
    everything = tab("all")
    assert all(c.title in everything for c in (new, soon, late, extended, answered))
    assert "Бауыржан Омаров" not in tab("new")  # nobody assigned yet
    counts = services_counts = {
        "new": 1,
        "due_soon": 1,
        "overdue": 1,
        "extended": 1,
        "answered": 1,
        "all": 5,
    }
    from feedback import queries

    assert queries.inbox_counts(rural, today) == counts == services_counts

    def main(page):
        return page.split('id="main"')[1].split("</main>")[0]

    assert main(tab("bogus")) == main(tab("new"))


def test_inbox_of_another_authority_is_forbidden(client, db, login, officer, district):
    login(officer)
    assert client.get(f"/cases/inbox/{district.id}").status_code == 403


def test_admin_may_open_any_inbox(client, db, login, make_user, district):
    login(make_user(roles=[Role.ADMIN]))
    assert client.get(f"/cases/inbox/{district.id}").status_code == 200


# --- officers' actions ------------------------------------------------------------------------------------


def test_assign_to_a_colleague_and_to_oneself(client, db, login, make_user, officer, rural, filed):
    colleague = make_user("colleague@example.kz", display_name="Dana Nurlanova", roles=[(Role.OFFICER, rural)])
    login(officer)
    page = text(client.get(f"/cases/{filed.id}"))
    assert "Myself (Бауыржан Омаров)" in page and "Dana Nurlanova" in page
    response = client.post(f"/cases/{filed.id}/assign", data={"assign-assignee": str(colleague.id)})
    assert response.status_code == 302
    assert filed.assignee_id == colleague.id and filed.state == CaseState.AWAITING
    client.post(f"/cases/{filed.id}/assign", data={"assign-assignee": str(officer.id)})
    assert filed.assignee_id == officer.id


def test_assign_to_someone_outside_is_refused(client, db, login, make_user, officer, filed):
    outsider = make_user("outsider@example.kz")
    login(officer)
    response = client.post(f"/cases/{filed.id}/assign", data={"assign-assignee": str(outsider.id)})
    assert response.status_code == 400
    assert "Not a valid choice" in text(response)
    assert filed.assignee_id is None


def test_extend_once_with_a_reason(client, db, login, officer, filed, outbox):
    login(officer)
    new_due = filed.due_on + timedelta(days=20)
    reason = "We need an engineers survey of the pump."
    response = client.post(
        f"/cases/{filed.id}/extend", data={"extend-new_due": new_due.isoformat(), "extend-reason": reason}
    )
    assert response.status_code == 302, text(response)[:2000]
    assert filed.extended_at is not None and filed.extension_reason == reason
    page = text(client.get(f"/cases/{filed.id}"))
    assert reason in page and "Extended on" in page
    assert "extend-new_due" not in page  # only once
    again = client.post(
        f"/cases/{filed.id}/extend",
        data={"extend-new_due": (new_due + timedelta(days=5)).isoformat(), "extend-reason": reason},
    )
    assert again.status_code == 409
    assert "only once" in text(again)


@pytest.mark.parametrize(
    ("new_due", "reason", "message"),
    [
        ("not-a-date", "We need a survey of the pump.", "Not a valid date value"),
        ("", "We need a survey of the pump.", "Enter the new due date."),
        ("{past}", "We need a survey of the pump.", "must be later than the current one"),
        ("{far}", "We need a survey of the pump.", "at the latest"),
        ("{ok}", "short", "The reason must be 10 to"),
    ],
)
def test_extend_bad_input(client, db, login, officer, filed, new_due, reason, message):
    login(officer)
    values = {
        "past": filed.due_on - timedelta(days=1),
        "far": filed.due_on + timedelta(days=120),
        "ok": filed.due_on + timedelta(days=5),
    }
    new_due = new_due.format(**{k: v.isoformat() for k, v in values.items()})
    response = client.post(f"/cases/{filed.id}/extend", data={"extend-new_due": new_due, "extend-reason": reason})
    assert response.status_code == 400
    page = text(response)
    assert message in page
    assert reason in page  # kept
    assert filed.extended_at is None


def test_redirect_to_a_listed_authority(client, db, login, officer, district, filed, outbox):
    login(officer)
    page = text(client.get(f"/cases/{filed.id}"))
    assert f'<option value="{district.id}">' in page
    assert f'<option value="{services.kurultai().id}">' not in page
    reason = "Water supply is the competence of the district."
    response = client.post(
        f"/cases/{filed.id}/redirect", data={"redirect-target": str(district.id), "redirect-reason": reason}
    )
    assert response.status_code == 302
    assert filed.authority_id == district.id and filed.state == CaseState.OPENED
    page = text(client.get(f"/cases/{filed.id}"))
    assert reason in page and "Redirected" in page
    assert "citizen@example.kz" not in page  # no longer this officer's authority


def test_redirect_by_key(client, db, login, officer, filed):
    login(officer)
    response = client.post(
        f"/cases/{filed.id}/redirect",
        data={"redirect-target_key": "akimat:620000000", "redirect-reason": "It is the region's competence."},
    )
    assert response.status_code == 302
    assert filed.authority.key == "akimat:620000000"


@pytest.mark.parametrize(
    ("data", "message", "status"),
    [
        ({"redirect-reason": "It is the region's competence."}, "Choose the authority to redirect", 400),
        (
            {"redirect-target_key": "akimat:nowhere", "redirect-reason": "It is the region's competence."},
            "There is no authority akimat:nowhere",
            400,
        ),
        (
            {"redirect-target_key": "kurultai", "redirect-reason": "It is the region's competence."},
            "only by escalation",
            400,
        ),
        ({"redirect-target_key": "akimat:620000000", "redirect-reason": "short"}, "The reason must be 10 to", 400),
    ],
)
def test_redirect_bad_input(client, db, login, officer, rural, filed, data, message, status):
    login(officer)
    response = client.post(f"/cases/{filed.id}/redirect", data=data)
    assert response.status_code == status
    assert message in text(response)
    assert filed.authority_id == rural.id


def test_redirect_after_the_window_is_refused(client, db, login, officer, rural, filed):
    filed.received_on = services.today() - timedelta(days=30)
    db.session.flush()
    login(officer)
    assert "redirect-reason" not in text(client.get(f"/cases/{filed.id}"))
    response = client.post(
        f"/cases/{filed.id}/redirect",
        data={"redirect-target_key": "akimat:620000000", "redirect-reason": "It is the region's competence."},
    )
    assert response.status_code == 400
    assert "only within 3 working days" in text(response)
    assert filed.authority_id == rural.id


def _answer_data(decision="supported", text="We will repair the pump and test the water quality.", measures=()):
    data = {"answer-decision": decision, "answer-text": text}
    for i, (description, responsible, due) in enumerate(measures):
        data[f"answer-measures-{i}-description"] = description
        data[f"answer-measures-{i}-responsible"] = responsible
        data[f"answer-measures-{i}-due_on"] = due
    return data


def test_answer_with_measures(client, db, login, officer, citizen, filed, outbox):
    login(officer)
    due = (services.today() + timedelta(days=30)).isoformat()
    data = _answer_data(measures=[("Repair the pump", "Akim's office of Ainabulak", due), ("", "", "")])
    response = client.post(f"/cases/{filed.id}/answer", data=data)
    assert response.status_code == 302, text(response)[:3000]
    assert filed.state == CaseState.ANSWERED and filed.decision == Decision.SUPPORTED
    assert [m.description for m in filed.answer.measures] == ["Repair the pump"]
    page = text(client.get(f"/cases/{filed.id}"))
    assert "Repair the pump" in page and "Akim&#39;s office of Ainabulak" in page
    assert "Supported" in page
    assert "answer-text" not in page  # answered: no more answer form
    assert "Satisfied so far: 0" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_answer_data(decision=""), "Choose the decision."),
        (_answer_data(decision="bogus"), "Not a valid choice"),
        (_answer_data(text="Too short"), "The answer must be 20 to"),
        (_answer_data(measures=[("Repair the pump", "", "")]), "Each measure needs"),
        (_answer_data(measures=[("Repair the pump", "Akimat", "31.12.2026")]), "Not a valid date value"),
        (_answer_data(measures=[]), "at least one concrete measure"),
        (_answer_data(measures=[("Repair the pump", "Akimat", "2001-01-01")]), "cannot be in the past"),
    ],
)
def test_answer_bad_input_keeps_the_text(client, db, login, officer, filed, data, message):
    login(officer)
    response = client.post(f"/cases/{filed.id}/answer", data=data)
    assert response.status_code == 400
    page = text(response)
    assert message in page
    assert data["answer-text"] in page
    if "answer-measures-0-description" in data:
        assert data["answer-measures-0-description"] in page
    assert filed.state == CaseState.OPENED and filed.answer is None


def test_answer_referred_escalates(client, db, login, officer, district, filed):
    login(officer)
    response = client.post(
        f"/cases/{filed.id}/answer", data=_answer_data(decision="referred", text="This needs the district's budget.")
    )
    assert response.status_code == 302
    assert filed.state == CaseState.ESCALATED
    upper = filed.escalated_to
    assert upper.authority_id == district.id
    page = text(client.get(f"/cases/{filed.id}"))
    assert "you are here" in page and f'href="/cases/{upper.id}"' in page
    upper_page = text(client.get(f"/cases/{upper.id}"))
    assert f'href="/cases/{filed.id}"' in upper_page and "Received by escalation" in upper_page


def test_answer_on_a_closed_case_is_a_conflict(client, db, login, officer, filed):
    services.withdraw(filed, filed.author)
    db.session.flush()
    login(officer)
    response = client.post(f"/cases/{filed.id}/answer", data=_answer_data(decision="not_supported"))
    assert response.status_code == 409
    assert "Withdrawn" in text(response)


@pytest.fixture
def at_kurultai(db, citizen, kato):
    case = services.file_kurultai_proposal(citizen, "A national pasture law", BODY)
    db.session.flush()
    return case


def test_kurultai_secretariat_shortlists_and_records_the_outcome(client, db, login, make_user, at_kurultai, outbox):
    secretary = make_user("secretariat@example.kz", roles=[(Role.OFFICER, services.kurultai())])
    login(secretary)
    page = text(client.get(f"/cases/{at_kurultai.id}"))
    assert "Record the outcome of the National Kurultai" in page
    assert 'value="referred"' not in page
    assert "shortlist-session" in page
    bad = client.post(f"/cases/{at_kurultai.id}/shortlist", data={"shortlist-session": "x"})
    assert bad.status_code == 400 and "The name must be 3 to" in text(bad)
    response = client.post(f"/cases/{at_kurultai.id}/shortlist", data={"shortlist-session": "Fifth session"})
    assert response.status_code == 302
    assert at_kurultai.shortlist_session == "Fifth session"
    page = text(client.get(f"/cases/{at_kurultai.id}"))
    assert "Shortlisted on" in page and "shortlist-session" not in page
    due = (services.today() + timedelta(days=90)).isoformat()
    data = _answer_data(
        text="The Kurultai instructs the Government to draft a pasture law.",
        measures=[("Draft the law", "Ministry of Agriculture", due)],
    )
    response = client.post(f"/cases/{at_kurultai.id}/answer", data=data)
    assert response.status_code == 302
    page = text(client.get(f"/cases/{at_kurultai.id}"))
    assert "Outcome of the National Kurultai" in page and "Draft the law" in page


def test_outcome_from_higher_up_is_shown_below(client, db, login, officer, district, filed, make_user):
    services.publish_answer(filed, Decision.REFERRED, "This needs the district's budget.", [], officer)
    upper = filed.escalated_to
    district_officer = make_user("district@example.kz", roles=[(Role.OFFICER, district)])
    services.publish_answer(
        upper, Decision.NOT_SUPPORTED, "There is no money for this in the budget.", [], district_officer
    )
    db.session.flush()
    page = text(client.get(f"/cases/{filed.id}"))
    assert "Answer from higher up" in page
    assert "There is no money for this in the budget." in page


# --- participants -----------------------------------------------------------------------------------------


@pytest.fixture
def answered(db, filed, officer):
    services.publish_answer(filed, Decision.NOT_SUPPORTED, "We have no budget for that this year.", [], officer)
    db.session.flush()
    return filed


def test_participant_rates_and_changes_the_rating(client, db, login, citizen, answered):
    login(citizen)
    page = text(client.get(f"/cases/{answered.id}"))
    assert "Are you satisfied with the answer?" in page
    response = client.post(f"/cases/{answered.id}/rate", data={"rate-satisfied": "no", "rate-comment": "Nothing done"})
    assert response.status_code == 302
    rating = db.session.scalar(sa.select(Rating).where(Rating.case_id == answered.id))
    assert rating.satisfied is False and rating.comment == "Nothing done"
    page = text(client.get(f"/cases/{answered.id}"))
    assert "You said you are not satisfied." in page and "Not satisfied so far: 1" in page
    client.post(f"/cases/{answered.id}/rate", data={"rate-satisfied": "yes"})
    db.session.refresh(rating)
    assert rating.satisfied is True
    assert count(Rating) == 1


def test_rating_bad_input_and_closed_window(client, db, login, citizen, answered):
    login(citizen)
    response = client.post(f"/cases/{answered.id}/rate", data={"rate-comment": "I forgot to choose"})
    assert response.status_code == 400
    assert "Choose whether you are satisfied." in text(response) and "I forgot to choose" in text(response)
    answered.rating_closes_on = services.today() - timedelta(days=1)
    db.session.flush()
    assert "rate-satisfied" not in text(client.get(f"/cases/{answered.id}"))
    response = client.post(f"/cases/{answered.id}/rate", data={"rate-satisfied": "no", "rate-comment": "Late words"})
    assert response.status_code == 409
    assert "rating window of this case is closed" in text(response)
    assert count(Rating) == 0


def test_closed_rating_shows_the_counts(client, db, answered):
    answered.rating_closed_at = answered.answered_at
    answered.satisfied_count, answered.dissatisfied_count = 3, 7
    answered.state = CaseState.RESOLVED
    db.session.flush()
    page = text(client.get(f"/cases/{answered.id}"))
    assert "Satisfied: 3" in page and "Not satisfied: 7" in page


def test_author_withdraws(client, db, login, citizen, filed):
    login(citizen)
    page = text(client.get(f"/cases/{filed.id}"))
    assert "Withdraw my proposal" in page
    response = client.post(f"/cases/{filed.id}/withdraw", data={"withdraw-reason": "Fixed by neighbours"})
    assert response.status_code == 302
    assert filed.state == CaseState.WITHDRAWN
    page = text(client.get(f"/cases/{filed.id}"))
    assert "Fixed by neighbours" in page and "Withdraw my proposal" not in page
    again = client.post(f"/cases/{filed.id}/withdraw", data={})
    assert again.status_code == 409


# --- deadline rules ---------------------------------------------------------------------------------------


@pytest.fixture
def admin(make_user):
    return make_user("admin@example.kz", display_name="Admin Adminov", roles=[Role.ADMIN])


def test_rules_page_sets_and_removes_rules(client, db, login, admin, district):
    login(admin)
    page = text(client.get("/cases/rules"))
    assert "Deadlines in force" in page and "Petition" in page
    response = client.post(
        "/cases/rules", data={"source": "proposal", "scope": "local", "working_days": "10", "note": "Local rule"}
    )
    assert response.status_code == 302
    response = client.post(
        "/cases/rules",
        data={"source": "", "scope": "any", "working_days": "7", "authority": "akimat:623600000", "note": ""},
    )
    assert response.status_code == 302
    rows = db.session.scalars(sa.select(DeadlineRule).order_by(DeadlineRule.id)).all()
    assert [(r.source, r.scope, r.authority_id, r.working_days) for r in rows] == [
        ("proposal", "local", None, 10),
        ("", "any", district.id, 7),
    ]
    page = text(client.get("/cases/rules"))
    assert "Local rule" in page
    response = client.post(f"/cases/rules/{rows[0].id}/delete")
    assert response.status_code == 302
    assert count(DeadlineRule) == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"source": "proposal", "scope": "any", "working_days": "0"}, "between 1 and 250"),
        ({"source": "proposal", "scope": "any", "working_days": "lots"}, "Not a valid integer value"),
        ({"source": "nonsense", "scope": "any", "working_days": "5"}, "Not a valid choice"),
        ({"source": "", "scope": "any", "working_days": "5", "authority": "akimat:nowhere"}, "no authority"),
    ],
)
def test_rules_page_bad_input(client, db, login, admin, data, message):
    login(admin)
    response = client.post("/cases/rules", data={"note": "kept note", **data})
    assert response.status_code == 400
    assert message in text(response)
    assert 'value="kept note"' in text(response)
    assert count(DeadlineRule) == 0


# --- navigation -------------------------------------------------------------------------------------------


def test_navigation_links(client, db, login, citizen, officer):
    anonymous = text(client.get("/cases/"))
    assert 'href="/cases/"' in anonymous and 'href="/cases/mine"' not in anonymous
    login(citizen)
    page = text(client.get("/cases/"))
    assert 'href="/cases/new"' in page and 'href="/cases/mine"' in page and 'href="/cases/inbox"' not in page
    client.post("/account/logout")
    login(officer)
    assert 'href="/cases/inbox"' in text(client.get("/cases/"))


def test_events_are_recorded_for_actions(client, db, login, officer, filed):
    login(officer)
    client.post(f"/cases/{filed.id}/assign", data={"assign-assignee": str(officer.id)})
    kinds = db.session.scalars(sa.select(CaseEvent.kind).where(CaseEvent.case_id == filed.id).order_by(CaseEvent.id))
    assert list(kinds) == [EventKind.OPENED, EventKind.ASSIGNED]
    assert db.session.get(Authority, filed.authority_id).kind == AuthorityKind.RURAL_AKIM


def test_officers_read_the_rating_comments_the_public_does_not(client, db, login, citizen, officer, filed):
    services.publish_answer(filed, Decision.NOT_SUPPORTED, "There is no budget for this, sorry.", [], officer)
    services.rate(filed, citizen, False, "The pump is still broken on our street.")
    commit()
    public = text(client.get(f"/cases/{filed.id}"))
    assert "The pump is still broken" not in public
    assert "Not satisfied so far: 1" in public
    login(officer)
    private = text(client.get(f"/cases/{filed.id}"))
    assert "Ratings and comments" in private
    assert "The pump is still broken on our street." in private
