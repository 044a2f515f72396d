"""Every write route of petitions against every role that must not use it: sent to sign in, or refused, and
nothing changes. (Moderation routes: tests/petitions/test_moderation.py.)"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from core.accounts.models import Role
from core.authorities.services import find_authority
from core.db import db as _db
from petitions import rules, services
from petitions.models import PetitionState, ThresholdRule
from tests.petitions.conftest import TEXT, VILLAGE

ROLES = ("anonymous", "citizen", "moderator", "other_officer", "officer", "admin", "author")


@pytest.fixture
def people(pworld, citizen, make_user):
    other = find_authority("akim:623633000")
    return {
        "citizen": citizen(),
        "moderator": pworld.moderator,
        "other_officer": make_user("rural.officer@example.kz", roles=[(Role.OFFICER, other)]),
        "officer": pworld.officer,
        "admin": pworld.admin,
        "author": pworld.author,
    }


def _as(client, login, people, who):
    if who != "anonymous":
        login(people[who])


def _refused(response, who):
    if who == "anonymous":
        return response.status_code == 302 and "/account/login" in response.headers["Location"]
    return response.status_code in (403, 404)


AUTHOR_ROUTES = [
    ("/petitions/{id}/edit", {"title": "A title changed by someone else", "body": TEXT, "topic": "other"}),
    ("/petitions/{id}/submit", {"acknowledge": "y"}),
    ("/petitions/{id}/withdraw", {}),
]


@pytest.mark.parametrize(("path", "data"), AUTHOR_ROUTES)
@pytest.mark.parametrize("who", [r for r in ROLES if r != "author"])
def test_only_the_author_edits_sends_or_withdraws(client, login, pworld, people, path, data, who):
    petition = services.create_draft(
        pworld.author, VILLAGE, pworld.district, "roads_transport", "A draft petition", TEXT
    )
    _db.session.flush()
    _as(client, login, people, who)
    response = client.post(path.format(id=petition.id), data={**data, "territory": VILLAGE})
    assert _refused(response, who), response.status_code
    _db.session.refresh(petition)
    assert petition.state == PetitionState.DRAFT and petition.title == "A draft petition"


@pytest.mark.parametrize("who", [r for r in ROLES if r != "officer"])
def test_only_officers_of_the_addressee_enter_paper_signatures(client, login, collecting, people, who):
    petition = collecting(threshold=50)
    _as(client, login, people, who)
    response = client.post(
        f"/petitions/{petition.id}/paper", data={"rows": "900101300014; Арман Әлиев; 623633100", "note": ""}
    )
    assert _refused(response, who), response.status_code
    assert services.counts(petition.id).total == 0


@pytest.mark.parametrize("who", [r for r in ROLES if r != "admin"])
def test_only_admins_change_thresholds(client, login, pworld, people, who):
    row = rules.set_rule("government", fixed=60_000)
    _db.session.flush()
    _as(client, login, people, who)
    response = client.post("/petitions/rules", data={"scope": "government", "fixed": "1"})
    assert _refused(response, who), response.status_code
    response = client.post(f"/petitions/rules/{row.id}/delete")
    assert _refused(response, who), response.status_code
    rows = list(_db.session.scalars(sa.select(ThresholdRule)))
    assert [(r.scope, r.fixed) for r in rows] == [("government", 60_000)]


@pytest.mark.parametrize("path", ["/petitions/new", "/petitions/{id}/sign", "/petitions/{id}/unsign"])
def test_signing_and_filing_need_an_account(client, collecting, path):
    petition = collecting(threshold=50)
    response = client.post(path.format(id=petition.id), data={})
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    assert services.counts(petition.id).total == 0
