"""Open data of petitions: the JSON list and detail, the Atom feed, the CSV export, the signatures chart —
and no signer's personal data in any of them."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import render_template_string

from feedback import services as loop
from feedback.models import Decision
from petitions import services
from petitions.models import PetitionState
from tests.petitions.conftest import TEXT, TODAY, VILLAGE

ASTANA_ESIL = "711210000"  # a district of Astana: another region than the village's
ATOM = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
SIGNER_NAMES = ("Бауыржан Омаров", "Дана Ахметова", "Ержан Сейтқали")


@pytest.fixture(autouse=True)
def _fresh_breakdowns(app, monkeypatch):
    monkeypatch.setitem(app.config, "PETITIONS_BREAKDOWN_CACHE_SECONDS", 0)
    services.forget_breakdowns()


def sign(petition, *users):
    for user in users:
        services.sign(petition, user)
        services.after_signing(petition.id)
    from core.db import db

    db.session.flush()


def parse_xml(text) -> ET.Element:
    return ET.fromstring(text)  # noqa: S314 - our own responses, not untrusted input


def ids(response) -> list[int]:
    return [item["id"] for item in response.get_json()["items"]]


def answer(petition, pworld):
    measure = loop.MeasureInput("Repair the road in May", "District akimat", TODAY + timedelta(90))
    loop.publish_answer(
        petition.case, Decision.SUPPORTED, "The road is in next year's repair plan.", [measure], pworld.officer
    )


# -- the list ---------------------------------------------------------------------------------------------


def test_list_item(client, pworld, collecting, citizen):
    petition = collecting(threshold=10, initial=0)
    sign(petition, citizen(), citizen())

    response = client.get("/api/v1/petitions")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    data = response.get_json()
    assert data["total"] == 1 and data["page"] == 1 and data["pages"] == 1
    assert data["next"] is None and data["prev"] is None
    (item,) = data["items"]
    assert item["id"] == petition.id
    assert item["title"] == petition.title
    assert item["state"] == "collecting" and item["status"] == "collecting"
    assert item["signatures"] == {"online": 2, "paper": 0, "total": 2}
    assert item["threshold"] == 10 and item["initial_supporters"] == 0
    assert item["topic"]["code"] == "roads_transport" and set(item["topic"]["name"]) >= {"kk", "ru"}
    assert item["territory"]["code"] == VILLAGE and item["territory"]["name_kk"] and item["territory"]["name_ru"]
    assert item["authority"]["id"] == pworld.district.id
    assert item["authority"]["key"] == pworld.district.key and item["authority"]["kind"] == "district_akimat"
    assert set(item["authority"]["name"]) == {"kk", "ru", "en"}
    assert item["published_at"] and item["listed_at"] and item["closes_on"]
    assert item["reached_at"] is None and item["case"] is None
    assert item["url"] == f"http://localhost/petitions/{petition.id}"
    assert item["api_url"] == f"http://localhost/api/v1/petitions/{petition.id}"


def test_unlisted_petitions_are_not_listed_but_open_by_id(client, pworld, collecting, citizen):
    unlisted = collecting(initial=2)
    listed = collecting(initial=0)

    assert ids(client.get("/api/v1/petitions")) == [listed.id]
    response = client.get(f"/api/v1/petitions/{unlisted.id}")
    assert response.status_code == 200
    assert response.get_json()["listed_at"] is None

    sign(unlisted, citizen(), citizen())  # the initial supporters: now it is listed
    assert set(ids(client.get("/api/v1/petitions"))) == {listed.id, unlisted.id}


@pytest.mark.parametrize("stage", ["draft", "pending", "rejected", "withdrawn"])
def test_unpublished_petitions_are_json_404s(client, pworld, stage):
    petition = services.create_draft(
        pworld.author, VILLAGE, pworld.district, "roads_transport", "Repair the road in the village", TEXT
    )
    if stage != "draft":
        services.submit(petition, pworld.author, acknowledged=True)
    if stage == "rejected":
        services.take(petition, pworld.moderator)
        services.reject(petition, pworld.moderator, "duplicate")
    if stage == "withdrawn":
        services.withdraw(petition, pworld.author)

    for url in (f"/api/v1/petitions/{petition.id}", f"/petitions/{petition.id}/export.csv"):
        response = client.get(url)
        assert response.status_code == 404
    assert client.get(f"/api/v1/petitions/{petition.id}").get_json()["error"]["code"] == 404
    assert petition.id not in ids(client.get("/api/v1/petitions"))


def test_unknown_petition_is_a_json_404(client, db, kato):
    response = client.get("/api/v1/petitions/999999")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == 404


def test_filters(client, pworld, collecting, citizen, db):
    road = collecting(threshold=10, initial=0)
    school = collecting(threshold=10, initial=0, title="Build a new school in Ainabulak village")
    school.topic = "education"
    national = collecting(threshold=100, initial=0, authority=pworld.government, title="National road safety plan")
    answered = collecting(threshold=1, initial=0, title="Light the street by the school")
    sign(answered, citizen())
    assert answered.state == PetitionState.REACHED
    db.session.flush()

    def found(**args):
        response = client.get("/api/v1/petitions", query_string=args)
        assert response.status_code == 200, response.get_data(as_text=True)
        return set(ids(response))

    assert found() == {road.id, school.id, national.id, answered.id}
    assert found(status="collecting") == {road.id, school.id, national.id}
    assert found(status="considering") == {answered.id}
    assert found(status="answered") == set()
    assert found(level="national") == {national.id}
    assert found(level="district") == {road.id, school.id, answered.id}
    assert found(level="region") == set()
    assert found(topic="education") == {school.id}
    assert found(territory="620000000") == {road.id, school.id, national.id, answered.id}
    assert found(territory="623600000", level="district") == {road.id, school.id, answered.id}
    assert found(territory="710000000") == set()
    assert found(q="school") == {school.id, answered.id}
    assert found(q="school", topic="education") == {school.id}

    answer(answered, pworld)
    assert found(status="answered") == {answered.id}
    assert found(status="considering") == set()
    data = client.get("/api/v1/petitions", query_string={"sort": "answered"}).get_json()
    assert [i["id"] for i in data["items"]] == [answered.id] and data["total"] == 1

    (item,) = client.get("/api/v1/petitions", query_string={"status": "answered"}).get_json()["items"]
    assert item["state"] == "reached" and item["status"] == "answered" and item["reached_at"]
    case = item["case"]
    assert case["id"] == answered.case_id and case["state"] == "answered" and case["answered_at"]
    assert case["due_on"] and case["url"].endswith(f"/cases/{answered.case_id}")
    assert case["api_url"].endswith(f"/api/v1/cases/{answered.case_id}")


def test_sorting(client, pworld, collecting, citizen):
    first = collecting(threshold=10, initial=0)
    second = collecting(threshold=10, initial=0, title="Build a new school in Ainabulak village")
    sign(second, citizen(), citizen())

    assert ids(client.get("/api/v1/petitions")) == [second.id, first.id]  # most signed first
    assert ids(client.get("/api/v1/petitions?sort=signed")) == [second.id, first.id]
    assert ids(client.get("/api/v1/petitions?sort=newest")) == [second.id, first.id]
    assert set(ids(client.get("/api/v1/petitions?sort=ending"))) == {first.id, second.id}


def test_pagination(client, pworld, collecting):
    made = [collecting(threshold=10, initial=0, title=f"Repair the road number {n}") for n in range(5)]

    data = client.get("/api/v1/petitions?per_page=2&sort=newest&topic=roads_transport").get_json()
    assert data["total"] == 5 and data["pages"] == 3 and data["per_page"] == 2
    assert [i["id"] for i in data["items"]] == [made[4].id, made[3].id]
    assert data["prev"] is None
    following = urlsplit(data["next"])
    assert following.path == "/api/v1/petitions"
    assert parse_qs(following.query) == {
        "page": ["2"],
        "per_page": ["2"],
        "sort": ["newest"],
        "topic": ["roads_transport"],
    }

    middle = client.get(data["next"]).get_json()
    assert [i["id"] for i in middle["items"]] == [made[2].id, made[1].id]
    assert middle["prev"] and middle["next"]
    last = client.get("/api/v1/petitions?per_page=2&sort=newest&page=3").get_json()
    assert [i["id"] for i in last["items"]] == [made[0].id]
    assert last["next"] is None and parse_qs(urlsplit(last["prev"]).query)["page"] == ["2"]
    beyond = client.get("/api/v1/petitions?per_page=2&page=9").get_json()
    assert beyond["items"] == [] and beyond["total"] == 5


@pytest.mark.parametrize(
    ("query", "mentions"),
    [
        ("status=bogus", "status"),
        ("level=village", "level"),
        ("sort=oldest", "sort"),
        ("territory=999999999", "territory"),
        ("territory=abc", "territory"),
        ("territory=1" + "0" * 40, "territory"),
        ("topic=nope", "topic"),
        ("page=0", "page"),
        ("page=two", "page"),
        ("page=" + "9" * 40, "page"),
        ("per_page=101", "per_page"),
        ("per_page=0", "per_page"),
        ("per_page=-5", "per_page"),
        ("q=" + "x" * 201, "search"),
    ],
)
def test_bad_parameters_are_json_400s(client, db, kato, query, mentions):
    response = client.get(f"/api/v1/petitions?{query}")

    assert response.status_code == 400
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["code"] == 400
    assert mentions in error["message"].lower()


# -- one petition ---------------------------------------------------------------------------------------


def test_detail_counts_and_breakdowns(client, pworld, collecting, citizen):
    petition = collecting(threshold=100, initial=2, authority=pworld.government)
    sign(petition, citizen(), citizen(), citizen(), citizen(home=ASTANA_ESIL))

    response = client.get(f"/api/v1/petitions/{petition.id}")

    assert response.status_code == 200
    data = response.get_json()
    assert data["signatures"] == {"online": 4, "paper": 0, "total": 4}
    assert data["body"] == TEXT and "<p>" in data["body_html"]
    assert data["threshold"] == 100
    assert data["threshold_basis"] == {"scope": "government", "population": None}
    assert [(e["kind"], e["count"]) for e in data["timeline"]] == [("published", 100), ("listed", 2)]
    assert all(e["at"] for e in data["timeline"])
    assert [(r["code"], r["count"]) for r in data["by_region"]] == [("620000000", 3), ("710000000", 1)]
    assert data["by_region"][0]["name_kk"] == "Ұлытау облысы" and data["by_region"][0]["name_ru"]
    assert data["by_region"][1]["name_kk"] == "Астана қ."
    assert [(d["code"], d["count"]) for d in data["by_district"]] == [("623600000", 3), (ASTANA_ESIL, 1)]
    assert data["by_district"][0]["name_kk"] == "Жаңаарқа ауданы"
    assert data["answer"] is None and data["case"] is None
    assert data["links"]["csv"].endswith(f"/petitions/{petition.id}/export.csv")


def test_detail_of_an_answered_petition(client, pworld, collecting, citizen):
    petition = collecting(threshold=2, initial=0)
    sign(petition, citizen(), citizen())
    assert petition.state == PetitionState.REACHED
    answer(petition, pworld)

    data = client.get(f"/api/v1/petitions/{petition.id}").get_json()

    assert data["state"] == "reached" and data["status"] == "answered"
    assert [e["kind"] for e in data["timeline"]] == ["published", "reached"]
    assert data["timeline"][-1]["count"] == 2
    assert data["case"]["id"] == petition.case_id
    got = data["answer"]
    assert got["decision"] == "supported"
    assert got["text"] == "The road is in next year's repair plan."
    assert got["measures"] == [
        {
            "description": "Repair the road in May",
            "responsible": "District akimat",
            "due_on": (TODAY + timedelta(90)).isoformat(),
        }
    ]
    assert got["authority"]["id"] == pworld.district.id and got["published_at"]


def test_not_reached_petitions_stay_public(client, pworld, collecting, db):
    petition = collecting(threshold=10, initial=0)
    petition.state = PetitionState.NOT_REACHED
    db.session.flush()

    assert client.get(f"/api/v1/petitions/{petition.id}").get_json()["status"] == "not_reached"
    assert ids(client.get("/api/v1/petitions?status=not_reached")) == [petition.id]
    assert client.get(f"/petitions/{petition.id}/export.csv").status_code == 200


def test_no_personal_data(client, pworld, collecting, citizen):
    petition = collecting(threshold=3, initial=0)
    signers = [citizen(display_name=name) for name in SIGNER_NAMES]
    sign(petition, *signers)
    answer(petition, pworld)
    hashes = [u.iin_hash for u in (*signers, pworld.author)]

    responses = [
        client.get("/api/v1/petitions"),
        client.get(f"/api/v1/petitions/{petition.id}"),
        client.get("/petitions/feed.atom"),
        client.get(f"/petitions/{petition.id}/export.csv"),
    ]

    for response in responses:
        assert response.status_code == 200
        text = response.get_data(as_text=True)
        assert "@" not in text
        for name in (*SIGNER_NAMES, pworld.author.display_name):
            assert name.split()[1] not in text  # not even the surname
        for value in hashes:
            assert value not in text
        assert "iin" not in text.lower() and "email" not in text.lower() and "user_id" not in text


# -- the Atom feed ----------------------------------------------------------------------------------------


def test_atom_feed(client, pworld, collecting, citizen, db):
    fresh = collecting(threshold=10, initial=0, title="Build a new school in Ainabulak village")
    fresh.title = 'Roads & bridges: "<now>"'  # whatever the title holds, the feed stays valid XML
    done = collecting(threshold=1, initial=0)
    sign(done, citizen())
    answer(done, pworld)
    hidden = collecting(threshold=10, initial=5)  # unlisted: not in the feed
    db.session.flush()

    response = client.get("/petitions/feed.atom")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    root = parse_xml(response.data)
    assert root.tag == f"{ATOM}feed"
    assert root.findtext(f"{ATOM}id") == "http://localhost/petitions/feed.atom"
    assert root.findtext(f"{ATOM}title")
    assert RFC3339.match(root.findtext(f"{ATOM}updated"))
    assert root.find(f"{ATOM}author/{ATOM}name").text
    assert root.find(f"{ATOM}link[@rel='self']").get("href") == "http://localhost/petitions/feed.atom"
    assert root.find(f"{ATOM}link[@rel='alternate']").get("href") == "http://localhost/petitions/"
    entries = root.findall(f"{ATOM}entry")
    titles = {e.findtext(f"{ATOM}title") for e in entries}
    assert titles == {
        'New petition: Roads & bridges: "<now>"',
        f"New petition: {done.title}",
        f"Answered: {done.title}",
    }
    assert len({e.findtext(f"{ATOM}id") for e in entries}) == 3
    for entry in entries:
        assert RFC3339.match(entry.findtext(f"{ATOM}updated"))
        link = entry.find(f"{ATOM}link[@rel='alternate']").get("href")
        assert link in (f"http://localhost/petitions/{fresh.id}", f"http://localhost/petitions/{done.id}")
        assert entry.findtext(f"{ATOM}summary")
        assert entry.findtext(f"{ATOM}id").startswith(link)
    answered = next(e for e in entries if e.findtext(f"{ATOM}title").startswith("Answered"))
    assert "next year's repair plan" in answered.findtext(f"{ATOM}summary")
    assert str(hidden.id) not in {e.findtext(f"{ATOM}id").split("/")[-1].split("#")[0] for e in entries}


def test_empty_atom_feed_is_valid(client, db, kato):
    root = parse_xml(client.get("/petitions/feed.atom").data)
    assert root.findall(f"{ATOM}entry") == [] and RFC3339.match(root.findtext(f"{ATOM}updated"))


# -- the CSV export ----------------------------------------------------------------------------------------


def _csv(response) -> list[list[str]]:
    raw = response.get_data(as_text=True)
    assert raw.startswith("\ufeff")
    return list(csv.reader(io.StringIO(raw[1:])))


def test_csv_export(client, pworld, collecting, citizen):
    petition = collecting(threshold=100, initial=0, authority=pworld.government, title="=HYPERLINK(evil) road")
    sign(petition, citizen(), citizen(), citizen(home=ASTANA_ESIL))

    response = client.get(f"/petitions/{petition.id}/export.csv")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert f"tyndau-petition-{petition.id}.csv" in response.headers["Content-Disposition"]
    rows = _csv(response)
    blank = rows.index([])
    facts = dict(rows[1:blank])
    assert rows[0] == ["field", "value"]
    assert facts["id"] == str(petition.id)
    assert facts["title"] == "'=HYPERLINK(evil) road"  # never run as a formula
    assert facts["addressee_key"] == "government"
    assert facts["threshold"] == "100" and facts["state"] == "collecting"
    assert facts["signatures_online"] == "3" and facts["signatures_paper"] == "0" and facts["signatures_total"] == "3"
    assert facts["published_at"] and facts["closes_on"] and facts["reached_at"] == ""
    assert rows[blank + 1] == ["level", "code", "name_kk", "name_ru", "signatures"]
    table = rows[blank + 2 :]
    assert [(r[0], r[1], r[4]) for r in table] == [
        ("region", "620000000", "2"),
        ("region", "710000000", "1"),
        ("district", "623600000", "2"),
        ("district", ASTANA_ESIL, "1"),
    ]
    assert table[0][2] == "Ұлытау облысы" and table[3][2] == "Есіл ауданы"


# -- the chart ------------------------------------------------------------------------------------------


CHART = '{% from "petitions/_chart.html" import signatures_chart %}{{ signatures_chart(rows, caption) }}'


def _render(app, rows, caption="Signatures by region"):
    with app.test_request_context("/"):
        return render_template_string(CHART, rows=rows, caption=caption)


def _svg(html: str) -> ET.Element:
    (svg,) = re.findall(r"<svg.*?</svg>", html, re.S)
    return parse_xml(svg)


def test_chart_draws_bars_and_the_table(app, db):
    html = _render(app, [("Ұлытау облысы", 30), ("Астана & <қ.>", 10)])

    svg = _svg(html)
    ns = "{http://www.w3.org/2000/svg}"
    assert svg.get("role") == "img" and svg.get("viewBox").startswith("0 0 ")
    title_id, desc_id = svg.get("aria-labelledby").split()
    assert svg.find(f"{ns}title").get("id") == title_id and svg.find(f"{ns}title").text == "Signatures by region"
    assert svg.find(f"{ns}desc").get("id") == desc_id
    rects = svg.findall(f".//{ns}rect")
    assert len(rects) == 2 and float(rects[0].get("width")) > float(rects[1].get("width"))
    labels = [t.text for t in svg.findall(f".//{ns}text")]
    assert labels == ["Ұлытау облысы", "30", "Астана & <қ.>", "10"]
    assert "<caption" in html and html.count('scope="row"') == 3 and html.count('scope="col"') == 3
    assert "75%" in html and "25%" in html and "Астана &amp; &lt;қ.&gt;" in html
    assert "<script" not in html


def test_chart_without_signatures(app, db):
    html = _render(app, [])
    assert "No signatures yet." in html and "<svg" not in html and "<table" not in html


def test_chart_puts_the_rest_in_other(app, db):
    rows = [(f"District {n}", 100 - n) for n in range(20)]

    html = _render(app, rows)

    svg = _svg(html)
    ns = "{http://www.w3.org/2000/svg}"
    assert len(svg.findall(f".//{ns}rect")) == 16
    labels = [t.text for t in svg.findall(f".//{ns}text")]
    assert labels[-2] == "Other (5 more)" and labels[-1] == str(sum(100 - n for n in range(15, 20)))
    assert html.count('<th scope="row">District') == 20  # the table lists every row


def test_two_charts_on_a_page_have_their_own_ids(app, db):
    template = (
        '{% from "petitions/_chart.html" import signatures_chart %}'
        '{{ signatures_chart(rows, "By region") }}{{ signatures_chart(rows, "By district") }}'
    )
    with app.test_request_context("/"):
        html = render_template_string(template, rows=[("A", 1)])
    found = re.findall(r'<title id="([^"]+)"', html)
    assert len(found) == 2 and found[0] != found[1]
