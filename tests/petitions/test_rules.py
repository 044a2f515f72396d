"""Threshold rules: the legal defaults of ``rules.Threshold.required`` (a table), the rule that applies to a
real authority, and the admins' page at ``/petitions/rules`` (set, remove, bad input, who may)."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from core.audit import AuditEntry
from core.authorities.services import find_authority
from core.db import db as _db
from petitions import rules
from petitions.models import ThresholdRule
from petitions.moderation import threshold_examples
from tests.conftest import count

S = rules.Scope


def text(response) -> str:
    return response.get_data(as_text=True)


# --- the legal defaults -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scope", "population", "required"),
    [
        (S.GOVERNMENT, None, 50_000),
        (S.GOVERNMENT, 20_000_000, 50_000),
        (S.MINISTRY, None, 50_000),
        (S.REGIONAL_AKIMAT, 1_500_000, 15_000),  # 1 %
        (S.CITY_AKIMAT, 1_500_000, 15_000),
        (S.REGIONAL_MASLIKHAT, 1_500_000, 30_000),  # 2 %
        (S.DISTRICT_AKIMAT, 300_000, 2_500),  # more than 50,000 residents: the fixed number
        (S.DISTRICT_AKIMAT, 40_000, 2_000),  # else 5 %
        (S.DISTRICT_AKIMAT, 50_000, 2_500),  # 5 % of exactly 50,000
        (S.DISTRICT_AKIMAT, 50_001, 2_500),
        (S.DISTRICT_AKIMAT, 1_001, 51),  # a share is rounded up
        (S.DISTRICT_MASLIKHAT, 300_000, 5_000),
        (S.DISTRICT_MASLIKHAT, 40_000, 4_000),  # 10 %
        (S.RURAL_AKIM, 3_000, 150),  # 5 %
        (S.RURAL_AKIM, 10, 1),  # never less than one
        # the population is not known: the absolute fallbacks
        (S.REGIONAL_AKIMAT, None, 10_000),
        (S.REGIONAL_MASLIKHAT, None, 20_000),
        (S.DISTRICT_AKIMAT, None, 2_500),
        (S.DISTRICT_MASLIKHAT, None, 5_000),
        (S.RURAL_AKIM, None, 100),
        (S.RURAL_AKIM, 0, 100),
    ],
)
def test_default_thresholds(scope, population, required):
    assert rules.DEFAULTS[scope].required(population) == required


def test_every_scope_has_a_default_and_a_label():
    assert set(rules.DEFAULTS) == set(rules.SCOPES) == set(rules.SCOPE_LABELS)


@pytest.mark.parametrize(
    ("rule", "population", "required"),
    [
        (rules.Threshold(fixed=700), 10, 700),
        (rules.Threshold(fixed=700), None, 700),
        (rules.Threshold(percent=Decimal("0.5"), fallback=300), 1_000, 5),
        (rules.Threshold(percent=Decimal("0.5")), None, 1),
        (rules.Threshold(fixed=900, percent=Decimal(3), large_from=10_000), 10_000, 300),
        (rules.Threshold(fixed=900, percent=Decimal(3), large_from=10_000), 10_001, 900),
    ],
)
def test_changed_rules(rule, population, required):
    assert rule.required(population) == required


def test_threshold_for_real_authorities(pworld, db):
    district = pworld.district
    district.territory.population = 300_000
    pworld.region.territory.population = 1_500_000
    db.session.flush()
    assert rules.threshold_for(district) == (2_500, 300_000, S.DISTRICT_AKIMAT)
    district.territory.population = 40_000
    db.session.flush()
    assert rules.threshold_for(district)[0] == 2_000
    assert rules.threshold_for(pworld.region) == (15_000, 1_500_000, S.REGIONAL_AKIMAT)
    # central bodies: a fixed number, whatever the population
    assert rules.threshold_for(pworld.government) == (50_000, None, S.GOVERNMENT)
    maslikhat = find_authority("maslikhat:623600000")
    assert rules.threshold_for(maslikhat) == (4_000, 40_000, S.DISTRICT_MASLIKHAT)
    assert rules.scope_of(find_authority("maslikhat:620000000")) == S.REGIONAL_MASLIKHAT
    assert rules.threshold_for(pworld.rural) == (100, None, S.RURAL_AKIM)  # population not known


def test_kurultai_takes_no_petitions(pworld):
    from feedback import services as loop

    with pytest.raises(rules.ThresholdError):
        rules.threshold_for(loop.kurultai())


def test_examples_name_the_first_authority_of_each_kind(pworld):
    examples = {scope: (authority, found) for scope, authority, found in threshold_examples()}
    assert list(examples) == list(rules.SCOPES)
    assert examples[S.GOVERNMENT][0].key == "government"
    assert examples[S.GOVERNMENT][1][0] == 50_000
    assert rules.scope_of(examples[S.DISTRICT_MASLIKHAT][0]) == S.DISTRICT_MASLIKHAT
    assert rules.scope_of(examples[S.REGIONAL_MASLIKHAT][0]) == S.REGIONAL_MASLIKHAT
    assert examples[S.MINISTRY] == (None, None)  # the KATO sample has no ministries


# --- the admins' page -------------------------------------------------------------------------------------


def test_page_shows_the_rules_in_force_and_examples(client, login, pworld):
    login(pworld.admin)
    response = client.get("/petitions/rules")
    assert response.status_code == 200
    page = text(response)
    assert page.count("<h1") == 1
    for label in rules.SCOPE_LABELS.values():
        assert str(label) in page
    assert "50,000" in page and "2,500" in page
    assert "default" in page and "changed on" not in page
    assert 'for="fixed"' in page and 'for="percent"' in page  # labelled fields


def test_admin_sets_a_rule_for_a_kind(client, login, pworld):
    login(pworld.admin)
    assert rules.threshold_for(pworld.district)[0] == 2_500
    response = client.post(
        "/petitions/rules",
        data={"scope": S.DISTRICT_AKIMAT, "fixed": "3000", "percent": "4", "large_from": "60000", "fallback": "3000"},
    )
    assert response.status_code == 302, text(response)[:2000]
    assert rules.threshold_for(pworld.district)[0] == 3_000
    pworld.district.territory.population = 20_000
    _db.session.flush()
    assert rules.threshold_for(pworld.district)[0] == 800  # 4 %
    page = text(client.get("/petitions/rules"))
    assert "changed on" in page and "3,000" in page
    entry = _db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "petitions.threshold_set"))
    assert entry is not None and entry.actor_id == pworld.admin.id


def test_admin_sets_and_removes_a_rule_for_one_authority(client, login, pworld):
    login(pworld.admin)
    other = find_authority("akimat:621000000")
    response = client.post(
        "/petitions/rules",
        data={"scope": S.GOVERNMENT, "fixed": "777", "authority": "akimat:623600000", "note": "Pilot"},
    )
    assert response.status_code == 302, text(response)[:2000]
    assert rules.threshold_for(pworld.district)[0] == 777
    assert rules.threshold_for(other)[0] == 2_500  # the kind's rule is unchanged
    row = _db.session.scalar(sa.select(ThresholdRule).where(ThresholdRule.authority_id == pworld.district.id))
    assert row.scope == S.DISTRICT_AKIMAT  # the authority's own scope, not the one chosen in the form
    page = text(client.get("/petitions/rules"))
    assert "Pilot" in page and "akimat:623600000" in page
    response = client.post(f"/petitions/rules/{row.id}/delete")
    assert response.status_code == 302
    assert rules.threshold_for(pworld.district)[0] == 2_500
    assert count(ThresholdRule) == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"fixed": "many"}, "Not a valid integer value"),
        ({"fixed": "0"}, "Between 1 and 100000000"),
        ({"percent": "200"}, "Between 0.001 and 100"),
        ({"percent": "one"}, "Not a valid decimal value"),
        ({}, "Give a fixed number of signatures, a share of residents, or both."),
        ({"fixed": "100", "large_from": "5000"}, "A population limit needs both a fixed number and a share."),
        ({"fixed": "100", "authority": "akimat:999999999"}, "There is no authority akimat:999999999."),
        ({"fixed": "100", "authority": "kurultai"}, "Petitions cannot be addressed to this body."),
        ({"fixed": "100", "scope": "parliament"}, "Not a valid choice"),
    ],
)
def test_bad_input_is_answered_and_nothing_saved(client, login, pworld, data, message):
    login(pworld.admin)
    response = client.post("/petitions/rules", data={"scope": S.DISTRICT_AKIMAT, "note": "kept note", **data})
    assert response.status_code == 400
    page = text(response)
    assert message in page
    assert "kept note" in page
    assert count(ThresholdRule) == 0
    assert rules.threshold_for(pworld.district)[0] == 2_500


@pytest.mark.parametrize("who", ["citizen", "moderator", "officer"])
def test_only_admins_manage_thresholds(client, login, pworld, who):
    rules.set_rule(S.RURAL_AKIM, fixed=50)
    row = _db.session.scalar(sa.select(ThresholdRule))
    user = pworld.author if who == "citizen" else getattr(pworld, who)
    login(user)
    assert client.get("/petitions/rules").status_code == 403
    assert client.post("/petitions/rules", data={"scope": S.RURAL_AKIM, "fixed": "10"}).status_code == 403
    assert client.post(f"/petitions/rules/{row.id}/delete").status_code == 403
    assert rules.rule_for(pworld.rural)[1].fixed == 50


def test_anonymous_is_sent_to_sign_in(client, pworld):
    response = client.get("/petitions/rules")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_permission_predicate(pworld):
    from petitions import permissions

    assert permissions.can_manage_thresholds(pworld.admin)
    assert not permissions.can_manage_thresholds(pworld.moderator)
    assert not permissions.can_manage_thresholds(pworld.officer)
    assert not permissions.can_manage_thresholds(None)
