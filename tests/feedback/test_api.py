"""Open data: the case and stats JSON, the paged case list and the CSV export — and no personal data in any."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from core.accounts.models import Role
from core.authorities.models import AuthorityKind
from core.authorities.services import find_authority
from feedback import services, stats
from feedback.models import CaseState, Decision
from tests.feedback.test_stats import DISTRICT, ON, RURAL, hand_computed_cases, make_case

CITIZEN_NAME = "Айгүл Серікова"
OFFICER_NAME = "Ерлан Жақсыбеков"


def _climbed_case(make_user):
    """A village proposal answered "not supported" with a measure, rated, then carried up by the sweep."""
    rural = find_authority(RURAL)
    citizen = make_user("aigul@example.kz", display_name=CITIZEN_NAME, home="623633100")
    other = make_user("signer@example.kz", display_name="Бауыржан Омаров")
    officer = make_user("officer@example.kz", display_name=OFFICER_NAME, roles=[(Role.OFFICER, rural)])
    case = services.file_proposal(
        citizen, rural, "Drinking water in the village", "There has been no drinking water since May."
    )
    services.add_participants(case, [other.id])
    measure = services.MeasureInput("Bring water by truck twice a week", "Rural akim's office", ON + timedelta(30))
    services.publish_answer(
        case, Decision.PARTLY, "We will bring water by truck until the pipe is repaired.", [measure], officer, on=ON
    )
    services.rate(case, citizen, False, "not enough", on=ON)
    services.rate(case, other, False, on=ON)
    services.sweep(ON)
    from core.db import db

    db.session.expire_all()
    return case, case.escalated_to


def test_case_json(client, db, kato, make_user):
    case, upper = _climbed_case(make_user)
    assert case.state == CaseState.ESCALATED and upper is not None

    response = client.get(f"/api/v1/cases/{case.id}")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    data = response.get_json()
    assert {
        "id",
        "title",
        "body",
        "source",
        "state",
        "authority",
        "territory_code",
        "deadline",
        "participants",
        "author",
        "answer",
        "ratings",
        "events",
        "chain",
    } <= set(data)
    assert data["id"] == case.id
    assert data["state"] == "escalated"
    assert data["source"] == "proposal"
    assert data["territory_code"] == "623633100"
    assert data["authority"]["key"] == RURAL and data["authority"]["kind"] == "rural_akim"
    assert set(data["authority"]["name"]) == {"kk", "ru", "en"}
    assert data["participants"] == 2
    assert data["author"] == "Айгүл С."
    assert set(data["deadline"]) >= {
        "received_on",
        "due_on",
        "extended",
        "extension_reason",
        "late",
        "working_days_left",
        "working_days_late",
    }
    assert data["deadline"]["extended"] is False and data["deadline"]["late"] is False
    answer = data["answer"]
    assert answer["decision"] == "partly"
    assert answer["text"].startswith("We will bring water")
    assert answer["published_at"]
    assert answer["measures"] == [
        {
            "description": "Bring water by truck twice a week",
            "responsible": "Rural akim's office",
            "due_on": (ON + timedelta(30)).isoformat(),
        }
    ]
    assert data["ratings"]["satisfied"] == 0 and data["ratings"]["dissatisfied"] == 2
    kinds = [e["kind"] for e in data["events"]]
    assert kinds == ["opened", "answered", "escalated"]
    escalated = data["events"][-1]
    assert escalated["to_state"] == "escalated" and escalated["related_case_id"] == upper.id
    assert set(escalated) == {"kind", "at", "from_state", "to_state", "authority_id", "related_case_id", "note"}
    assert [(c["id"], c["level"]) for c in data["chain"]] == [(case.id, 0), (upper.id, 1)]
    assert data["chain"][1]["authority_id"] == find_authority(DISTRICT).id
    assert data["chain"][1]["url"].endswith(f"/cases/{upper.id}")
    assert set(data["chain"][1]["authority_name"]) == {"kk", "ru", "en"}
    # no personal data: no email, no full name, not the officer
    text = response.get_data(as_text=True)
    assert "@" not in text
    assert CITIZEN_NAME not in text and OFFICER_NAME not in text and "Бауыржан" not in text
    assert "officer" not in text and "actor" not in text and "assignee" not in text

    above = client.get(f"/api/v1/cases/{upper.id}").get_json()
    assert above["state"] == "opened" and above["answer"] is None
    assert above["final_answer"]["decision"] == "partly"  # the answer given so far, from below
    assert above["escalation"]["from_case_id"] == case.id
    assert above["deadline"]["late"] is False and above["deadline"]["working_days_left"] is not None


def test_unknown_case_is_a_json_404(client, db, kato):
    response = client.get("/api/v1/cases/987654")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == 404


def test_stats_json(client, db, kato, monkeypatch):
    monkeypatch.setattr(services, "today", lambda: ON)
    authority = find_authority(DISTRICT)
    hand_computed_cases(authority)

    response = client.get(f"/api/v1/authorities/{authority.id}/stats")

    assert response.status_code == 200
    data = response.get_json()
    assert data["authority"]["id"] == authority.id
    assert data["as_of"] == ON.isoformat()
    assert data["min_cases"] == 5
    assert data["figures"] == {
        "on_time_pct": 55.6,
        "satisfaction_pct": 46.7,
        "median_working_days": 10.0,
        "escalation_pct": 28.6,
    }
    assert data["samples"] == {
        "on_time_pct": 9,
        "satisfaction_pct": 5,
        "median_working_days": 7,
        "escalation_pct": 7,
    }
    assert data["counts"]["resolved_with_action"] == 3
    assert data["counts"]["closed_without_action"] == 2
    assert data["counts"]["total"] == 10 and data["counts"]["overdue_now"] == 1
    assert data["links"]["csv"].endswith(f"/cases/export/authority/{authority.id}.csv")
    assert "region=620000000" in data["links"]["league"]


def test_stats_json_below_the_minimum_is_null(client, db, kato, monkeypatch):
    monkeypatch.setattr(services, "today", lambda: ON)
    authority = find_authority("akimat:622000000")
    make_case(authority, CaseState.RESOLVED, on_time=True, days=2, decision=Decision.SUPPORTED, rated=(4, 0))
    data = client.get(f"/api/v1/authorities/{authority.id}/stats").get_json()
    assert data["figures"] == {
        "on_time_pct": None,
        "satisfaction_pct": None,
        "median_working_days": None,
        "escalation_pct": None,
    }
    assert data["samples"]["on_time_pct"] == 1 and data["min_cases"] == 5
    assert client.get("/api/v1/authorities/987654/stats").status_code == 404


def test_case_list_is_paged_and_filtered(client, db, kato):
    authority = find_authority(DISTRICT)
    cases = hand_computed_cases(authority)

    data = client.get(f"/api/v1/cases?authority={authority.id}&per_page=4").get_json()
    assert data["total"] == 11 and data["pages"] == 3 and data["page"] == 1
    assert [i["id"] for i in data["items"]] == [c.id for c in reversed(cases)][:4]
    assert data["next"] and data["prev"] is None
    last = client.get(f"/api/v1/cases?authority={authority.id}&per_page=4&page=3").get_json()
    assert len(last["items"]) == 3 and last["next"] is None
    assert {"id", "title", "state", "authority_id", "due_on", "url", "api_url"} <= set(last["items"][0])

    resolved = client.get(f"/api/v1/cases?authority={authority.id}&state=resolved").get_json()
    assert resolved["total"] == 4 and {i["state"] for i in resolved["items"]} == {"resolved"}
    open_ = client.get(f"/api/v1/cases?authority={authority.id}&state=overdue,awaiting").get_json()
    assert open_["total"] == 2

    bad = client.get("/api/v1/cases?state=lost")
    assert bad.status_code == 400 and "lost" in bad.get_json()["error"]["message"]
    assert client.get("/api/v1/cases?authority=abc").status_code == 400
    assert client.get("/api/v1/cases?authority=987654").status_code == 404


def test_csv_export(client, db, kato, make_user):
    case, upper = _climbed_case(make_user)
    rural = find_authority(RURAL)
    formula = make_case(rural, CaseState.AWAITING, title='=HYPERLINK("http://evil")', due_on=date(2026, 12, 1))

    # buffered: the export streams, and the test client must read it while the request's context is live
    response = client.get(f"/cases/export/authority/{rural.id}.csv", buffered=True)

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "charset=utf-8" in response.headers["Content-Type"]
    assert f"tyndau-authority-{rural.id}-cases.csv" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM, so Excel reads the Cyrillic right
    text = raw.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == [
        "id",
        "opened",
        "source",
        "title",
        "state",
        "received_on",
        "due_on",
        "answered_at",
        "on_time",
        "working_days_to_answer",
        "decision",
        "satisfied",
        "dissatisfied",
        "escalated_to_case_id",
        "url",
    ]
    by_id = {int(r["id"]): r for r in rows}
    assert set(by_id) == {case.id, formula.id}  # only this authority's cases
    row = by_id[case.id]
    assert row["title"] == "Drinking water in the village"
    assert row["state"] == "escalated" and row["source"] == "proposal"
    assert row["decision"] == "partly" and row["on_time"] == "yes"
    assert row["working_days_to_answer"] == str(case.answer_working_days)
    assert (row["satisfied"], row["dissatisfied"]) == ("0", "2")
    assert row["escalated_to_case_id"] == str(upper.id)
    assert row["due_on"] == case.due_on.isoformat()
    assert row["url"].endswith(f"/cases/{case.id}")
    assert by_id[formula.id]["title"].startswith("'=")  # never run as a spreadsheet formula
    assert by_id[formula.id]["escalated_to_case_id"] == "" and by_id[formula.id]["answered_at"] == ""
    assert "@" not in text and CITIZEN_NAME not in text and OFFICER_NAME not in text
    assert client.get("/cases/export/authority/987654.csv", buffered=True).status_code == 404


def test_csv_keeps_cyrillic(client, db, kato):
    authority = find_authority(DISTRICT)
    make_case(authority, title="Ауылға ауыз су керек")
    text = client.get(f"/cases/export/authority/{authority.id}.csv", buffered=True).get_data().decode("utf-8-sig")
    assert "Ауылға ауыз су керек" in text


def test_stats_agree_with_the_league(client, db, kato, monkeypatch):
    monkeypatch.setattr(services, "today", lambda: ON)
    authority = find_authority(DISTRICT)
    hand_computed_cases(authority)
    data = client.get(f"/api/v1/authorities/{authority.id}/stats").get_json()
    row = next(r for r in stats.league("620000000", "district_akimat", on=ON) if r.id == authority.id)
    assert data["figures"]["median_working_days"] == row.stats.median_working_days
    assert data["figures"]["on_time_pct"] == row.stats.on_time_pct


def test_league_defaults_to_the_busiest_region_and_kind(client, db, kato):
    """Without a region the league opens where most cases are (withdrawn ones do not count), found with one
    query; a kind given keeps its kind; a region given is kept."""
    import sqlalchemy as sa

    from feedback import api

    rural = find_authority(RURAL)  # Ulytau region (62)
    for _ in range(3):
        make_case(rural)
    astana = find_authority("akimat:711110000")  # a city district of Astana (71): a district akimat
    for _ in range(2):
        make_case(astana, CaseState.RESOLVED, on_time=True, days=3, decision=Decision.SUPPORTED, rated=(1, 0))
    for _ in range(4):  # withdrawn: counts nowhere
        make_case(find_authority("akimat:621000000"), CaseState.WITHDRAWN)
    db.session.flush()

    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", record)
    try:
        assert api.busiest_league() == ("620000000", "rural_akim")
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", record)
    assert len(statements) == 1 and "GROUP BY" in statements[0]
    assert api.busiest_league(AuthorityKind.DISTRICT_AKIMAT) == ("710000000", "district_akimat")
    assert api.busiest_league(AuthorityKind.MASLIKHAT) is None

    html = client.get("/cases/league").get_data(as_text=True)
    assert '<option value="620000000" selected>' in html
    assert '<option value="rural_akim" selected>' in html
    html = client.get("/cases/league?kind=district_akimat&region=xx").get_data(as_text=True)
    assert '<option value="710000000" selected>' in html
    assert '<option value="district_akimat" selected>' in html
    # a kind with no cases anywhere: the first region, as before there were cases
    html = client.get("/cases/league?kind=maslikhat").get_data(as_text=True)
    assert '<option value="100000000" selected>' in html and '<option value="maslikhat" selected>' in html
    # a chosen region, or the whole country, is kept
    html = client.get("/cases/league?region=100000000").get_data(as_text=True)
    assert '<option value="100000000" selected>' in html and '<option value="district_akimat" selected>' in html
    html = client.get("/cases/league?region=all").get_data(as_text=True)
    assert '<option value="all" selected>' in html
