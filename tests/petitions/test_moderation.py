"""Moderation through the client: the queue with its tabs and SLA flags, the review page, the lock that
keeps two moderators from handling one petition, the decisions with their mail to the author in the
author's language, bad input, and who may do any of it (the permission predicates too)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from babel.dates import format_date
from flask_login import login_user

from core.accounts.models import Role
from core.calendar import add_working_days
from core.db import commit
from core.db import db as _db
from petitions import permissions, rules, services
from petitions.models import Petition, PetitionEvent, PetitionEventKind, PetitionState
from tests.petitions.conftest import TEXT, TODAY, VILLAGE


def text(response) -> str:
    return response.get_data(as_text=True)


def main(response) -> str:
    return text(response).split('id="main"')[1].split("</main>")[0]


@pytest.fixture
def pending(pworld, db):
    """``pending(title=..., due=None)``: a petition sent to moderation (due: its moderation deadline)."""
    counter = {"n": 0}

    def make(title=None, due=None, author=None):
        counter["n"] += 1
        author = author or pworld.author
        petition = services.create_draft(
            author,
            VILLAGE,
            pworld.district,
            "roads_transport",
            title or f"Light the street number {counter['n']} in the village",
            TEXT,
        )
        services.submit(petition, author, acknowledged=True)
        if due is not None:
            petition.moderation_due_on = due
        db.session.flush()
        return petition

    return make


def body_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def events_of(petition, kind) -> list[PetitionEvent]:
    return list(
        _db.session.scalars(
            sa.select(PetitionEvent).where(PetitionEvent.petition_id == petition.id, PetitionEvent.kind == kind)
        )
    )


# --- the queue --------------------------------------------------------------------------------------------


def test_queue_tabs_counts_and_sla_flags(client, login, pworld, pending):
    pworld.moderator2.display_name = "Dana Nurlanova"
    fresh = pending("A fresh petition about street lights")  # 20 working days left
    soon = pending("A petition due in two working days", due=add_working_days(TODAY, 2))
    today = pending("A petition due today, right now", due=TODAY)
    late = pending("A petition three working days late", due=TODAY - timedelta(days=5))  # the Wednesday before
    held = pending("A petition another moderator holds", due=add_working_days(TODAY, 7))
    services.take(held, pworld.moderator2)
    mine = pending("A petition I am handling myself", due=add_working_days(TODAY, 9))
    services.take(mine, pworld.moderator)
    lapsed = pending("A petition whose hold has lapsed", due=add_working_days(TODAY, 8))
    services.take(lapsed, pworld.moderator2)
    lapsed.taken_at = services.current_time() - timedelta(hours=rules.moderation_lock_hours() + 1)
    _db.session.flush()
    login(pworld.moderator)

    def tab(name):
        response = client.get(f"/petitions/moderation?tab={name}")
        assert response.status_code == 200
        return main(response)

    waiting = tab("waiting")
    assert held.title not in waiting
    assert all(p.title in waiting for p in (fresh, soon, today, late, mine, lapsed))
    assert "20 working days left" in waiting
    assert "due soon: 2 working days left" in waiting
    assert "due soon: due today" in waiting
    assert "3 working days overdue" in waiting
    near = tab("near")
    assert soon.title in near and today.title in near
    assert all(p.title not in near for p in (fresh, late, held))
    overdue = tab("overdue")
    assert late.title in overdue and soon.title not in overdue and today.title not in overdue
    assert tab("mine").count("<tr>") == 1 + 1 and mine.title in tab("mine")
    everything = tab("all")
    assert all(p.title in everything for p in (fresh, soon, today, late, held, mine, lapsed))
    assert "Dana Nurlanova" in everything  # who holds it
    assert "<strong>you</strong>" in everything
    # sorted by the moderation due date
    order = [late, today, soon, held, lapsed, mine, fresh]
    positions = [everything.index(p.title) for p in order]
    assert positions == sorted(positions)
    expected = {"waiting": 6, "near": 2, "overdue": 1, "mine": 1, "all": 7}
    assert services.queue_counts(pworld.moderator, TODAY) == expected
    for key, n in expected.items():
        assert re.search(rf'tab={key}"[^>]*>[^<]*<span class="count">{n}</span>', waiting)
    assert tab("bogus") == tab("waiting")


def test_sla_flag_follows_today(pworld, pending, monkeypatch):
    petition = pending(due=add_working_days(TODAY, 6))
    assert services.moderation_flag(petition) == services.SlaFlag(6, False, False)
    monkeypatch.setattr(services, "today", lambda: add_working_days(TODAY, 1))
    assert services.moderation_flag(petition) == services.SlaFlag(5, False, True)
    monkeypatch.setattr(services, "today", lambda: add_working_days(TODAY, 8))
    assert services.moderation_flag(petition) == services.SlaFlag(-2, True, False)
    assert services.queue_counts(pworld.moderator)["overdue"] == 1


def test_queue_is_paginated(client, login, pworld, pending):
    for n in range(services.QUEUE_PER_PAGE + 1):
        pending(f"Petition number {n:02d} of the long queue", due=TODAY + timedelta(days=n))
    login(pworld.moderator)
    first = main(client.get("/petitions/moderation?tab=all"))
    assert "Petition number 00" in first and "Petition number 20" not in first
    assert "Page 1 of 2" in first
    second = main(client.get("/petitions/moderation?tab=all&page=2"))
    assert "Petition number 20" in second and "Petition number 00" not in second


def test_queue_leaves_out_what_is_not_pending(client, login, pworld, pending, collecting):
    published = collecting()
    draft = services.create_draft(pworld.author, VILLAGE, pworld.district, "roads_transport", "Just a draft x", TEXT)
    _db.session.flush()
    login(pworld.moderator)
    page = main(client.get("/petitions/moderation?tab=all"))
    assert published.title not in page and draft.title not in page
    assert "Nothing here." in page
    assert client.get(f"/petitions/moderation/{draft.id}").status_code == 404  # drafts are the author's own


# --- the review page --------------------------------------------------------------------------------------


def test_review_page_shows_everything_a_moderator_needs(client, login, pworld, pending, collecting):
    public = collecting(initial=0, title="Repair the road from Turgen to the district centre")
    petition = pending("Repair the road from Turgen to the village of Batan")
    login(pworld.moderator)
    response = client.get(f"/petitions/moderation/{petition.id}")
    assert response.status_code == 200
    page = main(response)
    assert page.count("<h1") == 1
    assert petition.body_html in page  # the sanitised text
    assert "Айнабулак" in page or "Айнабұлақ" in page  # the place
    assert pworld.district.name_en in page or pworld.district.name_ru in page
    assert rules.topic("roads_transport").name in page
    assert "3 signatures" in page  # the rule ``collecting`` set for the district akimat
    assert "District or city akimat" in page
    assert public.title in page  # similar public petitions
    for topic in rules.excluded_topics()[:3]:
        assert topic.name in page
    assert "Sent to moderation" in page and "Draft started" in page  # the private history
    assert "20 working days left" in page
    assert 'name="take-submit"' in page
    assert 'name="publish-submit"' not in page  # decisions only once taken


def test_taking_shows_the_decisions_and_reasons_public_or_hidden(client, login, pworld, pending):
    petition = pending()
    login(pworld.moderator)
    response = client.post(f"/petitions/moderation/{petition.id}/take")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/petitions/moderation/{petition.id}#decide")
    assert petition.moderator_id == pworld.moderator.id
    page = main(client.get(f"/petitions/moderation/{petition.id}"))
    for name in ("publish-submit", "return-note", "reject-reason", "reject-note", "release-submit"):
        assert f'name="{name}"' in page
    assert 'name="take-submit"' not in page
    assert "You are handling this petition" in page
    assert "There is no clear demand (shown publicly)" in page
    assert "(told only to the author)" in page
    assert '<label for="return-note">' in page and '<label for="reject-reason">' in page


def test_two_moderators_cannot_both_take_one_petition(client, login, pworld, pending):
    pworld.moderator.display_name = "Erlan Moderatorov"
    petition = pending()
    login(pworld.moderator2)
    assert 'name="take-submit"' in text(client.get(f"/petitions/moderation/{petition.id}"))  # both see the button
    services.take(petition, pworld.moderator)  # the first one presses first
    _db.session.flush()
    response = client.post(f"/petitions/moderation/{petition.id}/take")
    assert response.status_code == 409
    page = main(response)
    assert "Another moderator is handling this petition." in page
    assert "Erlan Moderatorov has been handling this petition since" in page
    assert petition.moderator_id == pworld.moderator.id
    assert [e.actor_id for e in events_of(petition, PetitionEventKind.TAKEN)] == [pworld.moderator.id]
    # nor decide on it
    response = client.post(f"/petitions/moderation/{petition.id}/publish")
    assert response.status_code == 409
    assert "Take the petition before you decide on it." in main(response)
    assert petition.state == PetitionState.PENDING


def test_the_lock_is_one_conditional_update(pworld, pending, db):
    """The second moderator works from a stale row (it looked free when loaded): the UPDATE itself refuses."""
    petition = pending()
    db.session.execute(
        sa.update(Petition)
        .where(Petition.id == petition.id)
        .values(moderator_id=pworld.moderator.id, taken_at=services.current_time())
        .execution_options(synchronize_session=False)
    )
    assert petition.moderator_id is None  # stale in this session
    with pytest.raises(services.Conflict, match="Another moderator"):
        services.take(petition, pworld.moderator2)
    assert petition.moderator_id == pworld.moderator.id


def test_a_lapsed_hold_can_be_taken_over(client, login, pworld, pending):
    petition = pending()
    services.take(petition, pworld.moderator)
    petition.taken_at = services.current_time() - timedelta(hours=rules.moderation_lock_hours() + 1)
    _db.session.flush()
    login(pworld.moderator2)
    assert client.post(f"/petitions/moderation/{petition.id}/take").status_code == 302
    assert petition.moderator_id == pworld.moderator2.id


def test_release_puts_it_back(client, login, pworld, pending):
    petition = pending()
    login(pworld.moderator)
    client.post(f"/petitions/moderation/{petition.id}/take")
    response = client.post(f"/petitions/moderation/{petition.id}/release")
    assert response.status_code == 302 and response.headers["Location"].endswith("/petitions/moderation")
    assert petition.moderator_id is None
    again = client.post(f"/petitions/moderation/{petition.id}/release")
    assert again.status_code == 409
    assert "You are not handling this petition." in main(again)


# --- decisions --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_publish_mails_the_author_in_their_language(client, login, pworld, pending, outbox, locale):
    pworld.author.locale = locale
    petition = pending()
    login(pworld.moderator)
    client.post(f"/petitions/moderation/{petition.id}/take")
    response = client.post(f"/petitions/moderation/{petition.id}/publish")
    assert response.status_code == 302
    assert petition.state == PetitionState.COLLECTING and petition.threshold == 2_500
    assert petition.closes_on is not None
    [message] = outbox.messages()
    assert message["To"] == pworld.author.email
    assert message["Content-Language"] == locale
    body = body_of(message)
    name = pworld.district.name_ru if locale == "ru" else (pworld.district.name_en or pworld.district.name_ru)
    assert name in body
    assert f"/petitions/{petition.id}" in body
    assert petition.title in message["Subject"]
    if locale == "en":
        assert "published" in message["Subject"]
        assert "It needs 2,500 signatures" in body
        assert "once 50 supporters have signed it" in body
        assert "collects signatures until" in body


def test_return_with_a_note(client, login, pworld, pending, outbox):
    petition = pending()
    login(pworld.moderator)
    client.post(f"/petitions/moderation/{petition.id}/take")
    note = "Please name the road and say what should be repaired."
    response = client.post(f"/petitions/moderation/{petition.id}/return", data={"return-note": note})
    assert response.status_code == 302
    assert petition.state == PetitionState.RETURNED and petition.moderation_note == note
    assert petition.moderator_id is None
    [message] = outbox.messages()
    body = body_of(message)
    assert note in body and "returned your petition" in body
    assert f"http://localhost/petitions/{petition.id}/edit" in body
    assert "needs changes" in message["Subject"]


def test_return_without_a_note_is_refused(client, login, pworld, pending, outbox):
    petition = pending()
    login(pworld.moderator)
    client.post(f"/petitions/moderation/{petition.id}/take")
    response = client.post(f"/petitions/moderation/{petition.id}/return", data={"return-note": "  "})
    assert response.status_code == 400
    page = main(response)
    assert "Tell the author what to change." in page
    assert 'aria-describedby="return-note-err"' in page
    assert petition.state == PetitionState.PENDING
    assert len(outbox) == 0


def test_reject_with_a_reason_and_note(client, login, pworld, pending, outbox):
    pworld.author.locale = "ru"
    petition = pending()
    login(pworld.moderator)
    client.post(f"/petitions/moderation/{petition.id}/take")
    response = client.post(
        f"/petitions/moderation/{petition.id}/reject",
        data={"reject-reason": "unclear", "reject-note": "What exactly should the akimat do?"},
    )
    assert response.status_code == 302
    assert petition.state == PetitionState.REJECTED and petition.reject_reason == "unclear"
    [message] = outbox.messages()
    body = body_of(message)
    assert "Нет ясного требования" in body  # the reason's name in the author's language
    assert "What exactly should the akimat do?" in body
    [event] = events_of(petition, PetitionEventKind.REJECTED)
    assert event.reason_code == "unclear" and event.actor_id == pworld.moderator.id
    page = main(client.get(f"/petitions/moderation/{petition.id}"))
    assert "not waiting for moderation" in page and "There is no clear demand" in page


def test_reject_without_a_reason_is_400_and_keeps_the_note(client, login, pworld, pending, outbox):
    petition = pending()
    login(pworld.moderator)
    client.post(f"/petitions/moderation/{petition.id}/take")
    note = "A note the moderator typed carefully."
    response = client.post(
        f"/petitions/moderation/{petition.id}/reject", data={"reject-reason": "", "reject-note": note}
    )
    assert response.status_code == 400
    page = main(response)
    assert "Choose a reason from the list." in page and note in page
    bogus = client.post(
        f"/petitions/moderation/{petition.id}/reject", data={"reject-reason": "nope", "reject-note": note}
    )
    assert bogus.status_code == 400
    assert petition.state == PetitionState.PENDING and petition.reject_reason is None
    assert len(outbox) == 0


def test_deciding_without_taking_keeps_what_was_typed(client, login, pworld, pending):
    petition = pending()
    login(pworld.moderator)
    note = "Please add where exactly the street lights are missing."
    response = client.post(f"/petitions/moderation/{petition.id}/return", data={"return-note": note})
    assert response.status_code == 409
    page = main(response)
    assert "Take the petition before you decide on it." in page and note in page
    assert petition.state == PetitionState.PENDING


def test_deciding_twice_is_a_conflict(client, login, pworld, pending, outbox):
    petition = pending()
    login(pworld.moderator)
    client.post(f"/petitions/moderation/{petition.id}/take")
    client.post(f"/petitions/moderation/{petition.id}/publish")
    response = client.post(f"/petitions/moderation/{petition.id}/reject", data={"reject-reason": "unclear"})
    assert response.status_code == 409
    assert "no longer waiting for moderation" in main(response)
    assert petition.state == PetitionState.COLLECTING
    assert len(outbox) == 1


def test_mail_through_the_job_queue(client, login, pworld, pending, outbox, run_jobs):
    """Sent by a worker, outside any request: the links still point at the public address."""
    petition = pending()
    login(pworld.moderator)
    client.post(f"/petitions/moderation/{petition.id}/take")
    client.post(f"/petitions/moderation/{petition.id}/return", data={"return-note": "Name the street, please."})
    assert len(outbox) == 0  # queued, not sent in the request
    assert run_jobs() == 1
    [message] = outbox.messages()
    assert f"http://localhost/petitions/{petition.id}/edit" in body_of(message)


def test_reached_mail_tells_every_signer_where_the_case_is(pworld, collecting, citizen, outbox):
    petition = collecting(threshold=2)
    reader = citizen(locale="ru", email="reader@example.kz")
    other = citizen()
    for user in (reader, other):
        services.sign(petition, user)
    commit()
    services.after_signing(petition.id)
    commit()
    case = petition.case
    assert case is not None
    reached = [m for m in outbox.messages() if f"/cases/{case.id}" in body_of(m) and m["To"] != pworld.officer.email]
    assert sorted(m["To"] for m in reached) == sorted([pworld.author.email, reader.email, other.email])
    english = next(m for m in reached if m["To"] == pworld.author.email)
    body = body_of(english)
    assert "reached its threshold with 2 signatures" in body
    assert f"It is now case #{case.id} at" in body
    assert f"the answer is due by {format_date(case.due_on, 'medium', locale='en')}" in body
    assert "you will be able to rate it" in body
    assert f"http://localhost/cases/{case.id}" in body and f"http://localhost/petitions/{petition.id}" in body
    russian = next(m for m in reached if m["To"] == reader.email)
    assert russian["Content-Language"] == "ru" and pworld.district.name_ru in body_of(russian)


def test_not_reached_mail(pworld, collecting, citizen, outbox):
    petition = collecting(threshold=5)
    services.sign(petition, citizen())
    commit()
    services.sweep(on=petition.closes_on + timedelta(days=1))
    commit()
    assert petition.state == PetitionState.NOT_REACHED
    [message] = [m for m in outbox.messages() if "did not reach" in m["Subject"]][:1]
    body = body_of(message)
    assert "with 1 of the 5 signatures needed" in body
    assert f"http://localhost/petitions/{petition.id}" in body


# --- who may ----------------------------------------------------------------------------------------------

ROUTES = [
    ("get", "/petitions/moderation", {}),
    ("get", "/petitions/moderation/{id}", {}),
    ("post", "/petitions/moderation/{id}/take", {}),
    ("post", "/petitions/moderation/{id}/release", {}),
    ("post", "/petitions/moderation/{id}/publish", {}),
    ("post", "/petitions/moderation/{id}/return", {"return-note": "Change it"}),
    ("post", "/petitions/moderation/{id}/reject", {"reject-reason": "unclear"}),
]


@pytest.mark.parametrize(("method", "path", "data"), ROUTES)
@pytest.mark.parametrize("who", ["anonymous", "author", "citizen", "officer", "admin"])
def test_only_moderators_moderate(client, login, pworld, pending, citizen, method, path, data, who):
    petition = pending()
    services.take(petition, pworld.moderator)
    _db.session.flush()
    users = {"author": pworld.author, "citizen": citizen(), "officer": pworld.officer, "admin": pworld.admin}
    if who != "anonymous":
        login(users[who])
    response = getattr(client, method)(path.format(id=petition.id), data=data)
    if who == "anonymous":
        assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    else:
        assert response.status_code == 403
    assert petition.state == PetitionState.PENDING and petition.moderator_id == pworld.moderator.id


def test_unknown_petition_is_404(client, login, pworld):
    login(pworld.moderator)
    assert client.get("/petitions/moderation/999999").status_code == 404
    assert client.post("/petitions/moderation/999999/take").status_code == 404


def test_nav_link_for_moderators(app, pworld):
    from core import hooks
    from petitions.moderation import nav_links

    assert nav_links in hooks.get("nav", app)
    with app.test_request_context():
        login_user(pworld.moderator)
        assert nav_links() == [("Moderation", "/petitions/moderation")]
    with app.test_request_context():
        login_user(pworld.officer)
        assert nav_links() == []


# --- the predicates ---------------------------------------------------------------------------------------


def test_permission_predicates(pworld, pending, collecting, citizen, make_user):
    draft = services.create_draft(pworld.author, VILLAGE, pworld.district, "roads_transport", "A draft petition", TEXT)
    in_moderation = pending()
    public = collecting()
    other = citizen()
    unverified = make_user(verified=False)
    other_officer = make_user(roles=[(Role.OFFICER, pworld.rural)])
    author, moderator, officer, admin = pworld.author, pworld.moderator, pworld.officer, pworld.admin

    assert permissions.can_file_petition(author) and permissions.can_file_petition(other)
    assert not permissions.can_file_petition(unverified)  # neither verified nor with an IIN
    assert not permissions.can_file_petition(moderator)  # no IIN
    assert not permissions.can_file_petition(None)

    assert permissions.can_edit_petition(author, draft) and permissions.can_edit_petition(author, in_moderation)
    assert not permissions.can_edit_petition(author, public)  # published: no longer
    assert not permissions.can_edit_petition(other, draft)
    assert not permissions.can_edit_petition(moderator, draft)
    assert permissions.can_submit_petition(author, draft) and not permissions.can_submit_petition(other, draft)
    assert permissions.can_withdraw_petition(author, draft) and not permissions.can_withdraw_petition(admin, draft)

    for user in (author, moderator, admin):
        assert permissions.can_view_petition_private(user, draft)
    for user in (other, officer, None):
        assert not permissions.can_view_petition_private(user, draft)
        assert not permissions.can_view_petition(user, in_moderation)
        assert permissions.can_view_petition(user, public)

    assert permissions.can_view_moderation_queue(moderator)
    assert permissions.can_moderate_petition(moderator, in_moderation)
    for user in (author, other, officer, admin, None):
        assert not permissions.can_view_moderation_queue(user)
        assert not permissions.can_moderate_petition(user, in_moderation)

    assert permissions.can_enter_paper(officer, public)
    for user in (other_officer, admin, moderator, author, None):
        assert not permissions.can_enter_paper(user, public)
    assert permissions.can_view_paper(officer, public) and permissions.can_view_paper(admin, public)
    assert not permissions.can_view_paper(other_officer, public)

    assert permissions.can_sign_petition(other, public)
    assert not permissions.can_sign_petition(other, in_moderation)
    assert not permissions.can_sign_petition(None, public)
    assert not permissions.can_sign_petition(citizen(home="710000000"), public)  # not a resident


def test_the_menu_links_moderators_to_the_queue_and_admins_to_the_thresholds(client, login, pworld):
    login(pworld.moderator)
    page = client.get("/petitions/").get_data(as_text=True)
    assert 'href="/petitions/moderation"' in page
    assert 'href="/petitions/rules"' not in page
    client.post("/account/logout")
    login(pworld.admin)
    page = client.get("/petitions/").get_data(as_text=True)
    assert 'href="/petitions/rules"' in page
    assert 'href="/petitions/moderation"' not in page
    client.post("/account/logout")
    login(pworld.author)
    page = client.get("/petitions/").get_data(as_text=True)
    assert 'href="/petitions/moderation"' not in page
