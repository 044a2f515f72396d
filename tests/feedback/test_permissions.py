"""Who may do what in the loop: every write route × every role in one parametrized test, the private
parts of a case page, and the permission predicates themselves."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from core.accounts.models import Role
from core.authorities.services import find_authority
from feedback import permissions, services
from feedback.models import Case, CaseEvent, DeadlineRule, Rating
from tests.conftest import count

VILLAGE = "623633100"
BODY = "There has been no drinking water in the village since May; the pump is broken."

ROLES = ["anonymous", "unverified", "citizen", "other_officer", "author", "officer", "admin"]
LOGIN = "login"
FORBIDDEN = 403
ALLOWED = "allowed"

OFFICER_ONLY = {
    "anonymous": LOGIN,
    "unverified": FORBIDDEN,
    "citizen": FORBIDDEN,
    "other_officer": FORBIDDEN,
    "author": FORBIDDEN,
    "officer": ALLOWED,
    "admin": FORBIDDEN,
}
AUTHOR_ONLY = {**{who: FORBIDDEN for who in ROLES}, "anonymous": LOGIN, "author": ALLOWED}
PARTICIPANT_ONLY = AUTHOR_ONLY  # the author is the only participant here
VERIFIED = {**{who: ALLOWED for who in ROLES}, "anonymous": LOGIN, "unverified": FORBIDDEN}
ADMIN_ONLY = {**{who: FORBIDDEN for who in ROLES}, "anonymous": LOGIN, "admin": ALLOWED}

#: (path, which case, expectations by role, form data). ``{case}`` is the case's id, ``{rule}`` a stored
#: deadline rule's id.
WRITE_ROUTES = [
    ("/cases/{case}/assign", "local", OFFICER_ONLY, {"assign-assignee": "{officer}"}),
    ("/cases/{case}/extend", "local", OFFICER_ONLY, {"extend-new_due": "2099-01-01", "extend-reason": "x" * 20}),
    (
        "/cases/{case}/redirect",
        "local",
        OFFICER_ONLY,
        {"redirect-target_key": "akimat:623600000", "redirect-reason": "Not our competence at all."},
    ),
    (
        "/cases/{case}/answer",
        "local",
        OFFICER_ONLY,
        {"answer-decision": "not_supported", "answer-text": "We cannot do this, there is no budget."},
    ),
    ("/cases/{case}/shortlist", "kurultai", OFFICER_ONLY, {"shortlist-session": "Fifth session"}),
    (
        "/cases/{case}/answer",
        "kurultai",
        OFFICER_ONLY,
        {"answer-decision": "not_supported", "answer-text": "The Kurultai does not take this up."},
    ),
    ("/cases/{case}/rate", "answered", PARTICIPANT_ONLY, {"rate-satisfied": "no", "rate-comment": "No"}),
    ("/cases/{case}/withdraw", "local", AUTHOR_ONLY, {"withdraw-reason": "Solved"}),
    ("/cases/new", None, VERIFIED, {"territory": VILLAGE, "authority": "{rural}", "title": "T" * 9, "body": BODY}),
    ("/cases/kurultai/new", None, VERIFIED, {"title": "A national matter", "body": BODY}),
    ("/cases/rules", None, ADMIN_ONLY, {"source": "proposal", "scope": "local", "working_days": "9"}),
    ("/cases/rules/{rule}/delete", None, ADMIN_ONLY, {}),
]


@pytest.fixture
def world(db, kato, make_user):
    """A rural case, a case at the Kurultai, an answered case, a stored rule, and one user per role."""
    rural = find_authority("akim:623633000")
    district = find_authority("akimat:623600000")
    kurultai = services.kurultai()
    author = make_user("author@example.kz", home=VILLAGE)
    officers = {
        "local": make_user("officer@example.kz", roles=[(Role.OFFICER, rural)]),
        "kurultai": make_user("secretariat@example.kz", roles=[(Role.OFFICER, kurultai)]),
    }
    officers["answered"] = officers["local"]
    cases = {
        "local": services.file_proposal(author, rural, "Water in Ainabulak", BODY),
        "kurultai": services.file_kurultai_proposal(author, "A national pasture law", BODY),
        "answered": services.file_proposal(author, rural, "Road to the school", BODY),
    }
    services.publish_answer(
        cases["answered"], "not_supported", "We have no budget for that this year.", [], officers["local"]
    )
    rule = DeadlineRule(source="petition", scope="local", working_days=25)
    db.session.add(rule)
    users = {
        "unverified": make_user("unverified@example.kz", verified=False, home=VILLAGE),
        "citizen": make_user("citizen@example.kz", home=VILLAGE),
        "other_officer": make_user("district@example.kz", home=VILLAGE, roles=[(Role.OFFICER, district)]),
        "author": author,
        "admin": make_user("admin@example.kz", home=VILLAGE, roles=[Role.ADMIN]),
    }
    db.session.flush()
    return {"rural": rural, "cases": cases, "officers": officers, "users": users, "rule": rule}


def _snapshot(db) -> tuple:
    """Everything a forbidden request must leave as it was."""
    cases = db.session.execute(
        sa.select(Case.id, Case.state, Case.authority_id, Case.assignee_id, Case.due_on, Case.shortlisted_at).order_by(
            Case.id
        )
    ).all()
    rules = db.session.execute(sa.select(DeadlineRule.id, DeadlineRule.working_days).order_by(DeadlineRule.id)).all()
    return tuple(cases), count(CaseEvent), count(Rating), tuple(rules)


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize(
    ("path", "which", "expected", "data"),
    WRITE_ROUTES,
    ids=[f"{path.split('/', 3)[-1]}[{which}]" for path, which, _, _ in WRITE_ROUTES],
)
def test_write_routes_by_role(client, db, login, world, path, which, expected, data, who):
    case = world["cases"].get(which)
    officer = world["officers"].get(which or "local")
    values = {
        "case": case.id if case else 0,
        "rule": world["rule"].id,
        "officer": officer.id,
        "rural": world["rural"].id,
    }
    url = path.format(**values)
    form = {key: value.format(**values) for key, value in data.items()}
    if who != "anonymous":
        login(officer if who == "officer" else world["users"][who])
    before = _snapshot(db)
    response = client.post(url, data=form)
    outcome = expected[who]
    if outcome == LOGIN:
        assert response.status_code == 302
        assert "/account/login" in response.headers["Location"]
    elif outcome == FORBIDDEN:
        assert response.status_code == 403, response.get_data(as_text=True)[:500]
    else:
        assert response.status_code in (200, 302, 400, 409), response.status_code
        return
    db.session.expire_all()
    assert _snapshot(db) == before


def test_officer_of_another_authority_sees_no_private_parts(client, db, login, world):
    case = world["cases"]["local"]
    login(world["users"]["other_officer"])
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Water in Ainabulak" in page  # the public page
    assert "author@example.kz" not in page
    assert "For the officers of" not in page
    for action in ("assign", "extend", "redirect", "answer", "shortlist", "withdraw", "rate"):
        assert f"/cases/{case.id}/{action}" not in page
    assert client.get(f"/cases/inbox/{case.authority_id}").status_code == 403


def test_officer_of_the_authority_sees_private_parts(client, db, login, world):
    case = world["cases"]["local"]
    login(world["officers"]["local"])
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "author@example.kz" in page
    assert f"/cases/{case.id}/answer" in page


def test_author_sees_only_the_author_forms(client, db, login, world):
    case = world["cases"]["local"]
    login(world["users"]["author"])
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert f"/cases/{case.id}/withdraw" in page
    assert f"/cases/{case.id}/answer" not in page
    assert "author@example.kz" not in page.split("</header>")[1]  # no participant list


def test_predicates(db, world):
    users = world["users"]
    local, at_top = world["cases"]["local"], world["cases"]["kurultai"]
    officer, secretary = world["officers"]["local"], world["officers"]["kurultai"]
    for predicate in (
        permissions.can_assign_case,
        permissions.can_extend_case,
        permissions.can_redirect_case,
        permissions.can_answer_case,
    ):
        assert predicate(officer, local)
        assert not predicate(secretary, local)
        assert not predicate(users["other_officer"], local)
        assert not predicate(users["author"], local)
        assert not predicate(users["admin"], local)
        assert not predicate(None, local)
    assert permissions.can_shortlist_case(secretary, at_top)
    assert not permissions.can_shortlist_case(officer, local)  # not at the Kurultai
    assert not permissions.can_shortlist_case(users["citizen"], at_top)
    assert permissions.can_rate_case(users["author"], local)
    assert not permissions.can_rate_case(users["citizen"], local)
    assert not permissions.can_rate_case(officer, local)
    assert permissions.can_withdraw_case(users["author"], local)
    assert not permissions.can_withdraw_case(users["citizen"], local)
    assert permissions.can_view_case_private(officer, local)
    assert permissions.can_view_case_private(users["admin"], local)
    assert not permissions.can_view_case_private(users["other_officer"], local)
    assert not permissions.can_view_case_private(users["author"], local)
    assert permissions.can_file_proposal(users["citizen"])
    assert not permissions.can_file_proposal(users["unverified"])
    assert not permissions.can_file_proposal(None)
    assert permissions.can_view_inbox(officer, local.authority)
    assert permissions.can_view_inbox(users["admin"], local.authority)
    assert not permissions.can_view_inbox(users["other_officer"], local.authority)
    assert permissions.can_manage_rules(users["admin"])
    assert not permissions.can_manage_rules(officer)
    officer.active = False
    assert not permissions.can_answer_case(officer, local)
