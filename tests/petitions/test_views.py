"""Petition pages through the client: the public list (filters, sorting, search), the petition page (who sees
what, exact counts, public names only), filing step by step with every kind of bad input answered on the page,
editing, sending to moderation, withdrawing, signing and unsigning, and the hand-over into the loop."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.authorities.services import find_authority
from feedback import services as loop
from feedback.models import Case, Decision
from petitions import rules, services
from petitions.models import Petition, PetitionState
from tests.conftest import count
from tests.petitions.conftest import TEXT, TODAY, VILLAGE

OTHER_REGION_PLACE = "621039100"  # с.Кенгирское, Zhezkazgan city administration (same region, another district)
OTHER_VILLAGE = "623637100"  # с.Актау, another rural district of the same district


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def publish(pworld, db):
    """``publish(title, territory=VILLAGE, authority=None, topic=..., threshold=100, listed=True)``: a petition
    collecting signatures, in the public list unless ``listed`` is False."""

    def make(
        title="Repair the road from Turgen to the district centre",
        territory=VILLAGE,
        authority=None,
        topic="roads_transport",
        threshold=100,
        listed=True,
        body=TEXT,
    ):
        authority = authority or pworld.district
        rules.set_rule("", fixed=threshold, authority=authority)
        petition = services.create_draft(pworld.author, territory, authority, topic, title, body)
        services.submit(petition, pworld.author, acknowledged=True)
        services.take(petition, pworld.moderator)
        services.publish(petition, pworld.moderator)
        petition.listed_at = petition.published_at if listed else None
        db.session.flush()
        return petition

    return make


def sign(petition, *users):
    for user in users:
        services.sign(petition, user)
        services.after_signing(petition.id)


def draft(pworld, title="Build a footbridge over the river in Ainabulak", authority=None):
    return services.create_draft(pworld.author, VILLAGE, authority or pworld.rural, "roads_transport", title, TEXT)


def titles(response) -> list[str]:
    """The titles of the petitions listed, in order."""
    return re.findall(r'<h3><a href="/petitions/\d+">([^<]+)</a></h3>', text(response))


# --- the public list --------------------------------------------------------------------------------------


def test_list_shows_listed_petitions_with_progress(client, publish, citizen):
    petition = publish("Repair the road from Turgen to the district centre", threshold=10)
    sign(petition, citizen(), citizen())
    response = client.get("/petitions/")
    assert response.status_code == 200
    page = text(response)
    assert petition.title in page
    assert "2 of 10 signatures needed" in page
    assert '<progress max="10" value="2"' in page
    assert "Collecting signatures" in page
    assert 'type="application/atom+xml"' in page
    assert "/petitions/new" in page
    assert page.count("<h1") == 1


def test_list_filters_by_status_level_place_topic_and_words(client, pworld, publish, db):
    road = publish("Repair the road from Turgen to the district centre")
    water = publish(
        "Bring drinking water to Kengir village this summer",
        territory=OTHER_REGION_PLACE,
        authority=pworld.region,
        topic="water_supply",
    )
    ended = publish("Light the streets of Ainabulak village at night")
    ended.state = PetitionState.NOT_REACHED
    db.session.flush()

    assert set(titles(client.get("/petitions/"))) == {road.title, water.title, ended.title}
    assert set(titles(client.get("/petitions/?status=collecting"))) == {road.title, water.title}
    assert titles(client.get("/petitions/?status=not_reached")) == [ended.title]
    assert titles(client.get("/petitions/?level=region")) == [water.title]
    assert set(titles(client.get("/petitions/?level=district"))) == {road.title, ended.title}
    assert set(titles(client.get("/petitions/?territory=623600000"))) == {road.title, ended.title}
    assert titles(client.get("/petitions/?territory=621000000")) == [water.title]
    assert titles(client.get("/petitions/?topic=water_supply")) == [water.title]
    assert titles(client.get("/petitions/?q=drinking+water")) == [water.title]
    assert titles(client.get("/petitions/?q=streets")) == [ended.title]
    # nonsense in the filters is ignored, never a 500
    response = client.get("/petitions/?status=nope&level=x&territory=zzz&topic=%3Cb%3E&sort=up&page=-3")
    assert response.status_code == 200
    assert len(titles(response)) == 3


def test_list_place_filter_keeps_a_district_chosen_elsewhere(client, publish):
    publish()
    page = text(client.get("/petitions/?territory=623600000"))
    assert '<option value="623600000" selected>' in page
    assert "show petitions of the whole country" in page


def test_list_sorts(client, pworld, publish, citizen, db):
    first = publish("Repair the road from Turgen to the district centre")
    second = publish("Bring drinking water to Ainabulak village this summer")
    third = publish("Light the streets of Ainabulak village at night")
    sign(second, citizen(), citizen())
    sign(third, citizen())
    first.published_at = second.published_at - timedelta(days=3)
    third.published_at = second.published_at - timedelta(days=1)
    first.closes_on, second.closes_on, third.closes_on = TODAY + timedelta(days=5), TODAY + timedelta(days=90), TODAY
    db.session.flush()

    assert titles(client.get("/petitions/")) == [second.title, third.title, first.title]
    assert titles(client.get("/petitions/?sort=newest")) == [second.title, third.title, first.title]
    assert titles(client.get("/petitions/?sort=ending")) == [third.title, first.title, second.title]
    assert titles(client.get("/petitions/?sort=answered")) == []


def test_list_recently_answered(client, pworld, publish, citizen, db):
    petition = publish("Repair the road from Turgen to the district centre", threshold=1)
    publish("Light the streets of Ainabulak village at night")
    sign(petition, citizen())
    db.session.refresh(petition)
    assert petition.state == PetitionState.REACHED
    answer(petition.case, pworld.officer)
    response = client.get("/petitions/?sort=answered")
    assert titles(response) == [petition.title]
    assert titles(client.get("/petitions/?status=answered")) == [petition.title]
    assert "Answered" in text(response)


def test_list_pages(client, publish):
    from petitions import queries

    for n in range(queries.PER_PAGE + 1):
        publish(f"Repair the road number {n} in Ainabulak")
    first = text(client.get("/petitions/?sort=newest"))
    assert "Page 1 of 2" in first
    assert 'href="/petitions/?page=2&amp;sort=newest"' in first
    assert len(titles(client.get("/petitions/?page=2&sort=newest"))) == 1


def test_unlisted_petition_is_not_listed_but_reachable_by_link(client, publish):
    petition = publish(listed=False)
    petition.initial_supporters = 50
    assert petition.title not in text(client.get("/petitions/"))
    response = client.get(f"/petitions/{petition.id}")
    assert response.status_code == 200
    assert "can be reached only by its link" in text(response)
    assert "50 supporters" in text(response)


# --- who sees a petition ----------------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["draft", "pending", "returned", "rejected", "withdrawn"])
def test_non_public_petitions_are_hidden_from_strangers(client, login, pworld, citizen, db, state):
    petition = draft(pworld)
    if state != "draft":
        services.submit(petition, pworld.author, acknowledged=True)
    if state in ("returned", "rejected"):
        services.take(petition, pworld.moderator)
        if state == "returned":
            services.return_to_author(petition, pworld.moderator, "Please name the river.")
        else:
            services.reject(petition, pworld.moderator, "duplicate", "A petition like this is collecting.")
    if state == "withdrawn":
        services.withdraw(petition, pworld.author)
    db.session.flush()
    url = f"/petitions/{petition.id}"

    assert client.get(url).status_code == 404
    login(citizen())
    assert client.get(url).status_code == 404
    client.post("/account/logout")

    login(pworld.author)
    response = client.get(url)
    assert response.status_code == 200
    page = text(response)
    assert petition.title in page
    assert "Only the author and the moderators see this page." in page
    if state == "returned":
        assert "Please name the river." in page
    if state == "rejected":
        assert rules.reject_reason("duplicate").name in page
        assert "A petition like this is collecting." in page
    client.post("/account/logout")

    login(pworld.moderator)
    assert client.get(url).status_code == 200


def test_moderators_and_officers_get_their_links(client, login, pworld, publish, db):
    pending = draft(pworld)
    services.submit(pending, pworld.author, acknowledged=True)
    collecting = publish()
    db.session.flush()
    login(pworld.moderator)
    assert f"/petitions/moderation/{pending.id}" in text(client.get(f"/petitions/{pending.id}"))
    client.post("/account/logout")
    login(pworld.officer)
    assert f"/petitions/{collecting.id}/paper" in text(client.get(f"/petitions/{collecting.id}"))
    client.post("/account/logout")
    page = text(client.get(f"/petitions/{collecting.id}"))
    assert "/paper" not in page and "/moderation/" not in page


def test_rejected_petition_shows_the_reason_to_its_author(client, login, pworld, db):
    petition = draft(pworld)
    services.submit(petition, pworld.author, acknowledged=True)
    services.take(petition, pworld.moderator)
    services.reject(petition, pworld.moderator, "not_competent")
    db.session.flush()
    login(pworld.author)
    page = text(client.get(f"/petitions/{petition.id}"))
    assert "Reason for the rejection" in page
    assert rules.reject_reason("not_competent").name in page


def test_unknown_petition_is_404(client, kato):
    assert client.get("/petitions/999999").status_code == 404


# --- the petition page ------------------------------------------------------------------------------------


def test_page_shows_exact_counts_and_public_names_only(client, pworld, publish, citizen, db):
    petition = publish(threshold=50)
    signers = [citizen(display_name=f"Дәурен Қасымов{n}", email=f"signer{n}@example.kz") for n in range(3)]
    sign(petition, *signers)
    response = client.get(f"/petitions/{petition.id}")
    page = text(response)
    assert response.status_code == 200
    assert "3 of 50 signatures needed" in page
    assert "Дәурен Қ." in page
    assert "Қасымов" not in page
    assert "@example.kz" not in page
    assert "Серікова" not in page  # the author, shown as "Айгүл С."
    assert "Айгүл С." in page
    assert "с.Айнабулак" in page  # the signers' settlement
    assert "Signatures by region" in page and "Signatures by district" in page
    assert "<caption" in page
    assert "Жанааркинский район" in page  # the district of the signers, by name
    assert 'type="application/atom+xml"' in page
    assert page.count("<h1") == 1
    assert "Sign in" in page  # a visitor is told how to sign


def test_page_separates_paper_signatures(client, pworld, publish, citizen, db):
    petition = publish(threshold=50)
    sign(petition, citizen())
    from tests.petitions.conftest import make_iin

    services.add_paper_batch(
        petition, pworld.officer, [services.PaperRow(make_iin(9001), "Ерлан Нұрланов", VILLAGE)], note="sheet 1"
    )
    db.session.flush()
    page = text(client.get(f"/petitions/{petition.id}"))
    assert "2 of 50 signatures needed" in page
    assert "Online: 1" in page
    assert "On paper: 1" in page


def test_page_explains_the_threshold(client, pworld, publish):
    petition = publish(threshold=2500)
    page = text(client.get(f"/petitions/{petition.id}"))
    assert "District or city akimat" in page
    assert "days left to sign" in page


def test_page_queries_do_not_grow_with_signers(client, pworld, publish, citizen):
    """The page is read hundreds of times a second: a fixed number of statements, however many signers."""
    petition = publish(threshold=500, authority=pworld.region)
    statements: list[str] = []

    def remember(conn, cursor, statement, *args):
        statements.append(statement)

    def measure() -> int:
        services.forget_breakdowns()
        statements.clear()
        sa.event.listen(sa.engine.Engine, "before_cursor_execute", remember)
        try:
            assert client.get(f"/petitions/{petition.id}").status_code == 200
        finally:
            sa.event.remove(sa.engine.Engine, "before_cursor_execute", remember)
        return len([s for s in statements if not s.lstrip().upper().startswith(("SAVEPOINT", "RELEASE"))])

    sign(petition, citizen())
    few = measure()
    places = [VILLAGE, OTHER_VILLAGE, "623633105", "623637102", "623630100", OTHER_REGION_PLACE]
    sign(petition, *[citizen(home=places[n % len(places)]) for n in range(12)])
    assert measure() == few
    assert few <= 10


# --- filing -----------------------------------------------------------------------------------------------


def test_filing_needs_sign_in_and_a_verified_account_with_an_iin(client, login, make_user, citizen):
    assert client.get("/petitions/new").status_code == 302
    login(make_user(verified=True, home=VILLAGE))
    response = client.get("/petitions/new")
    assert response.status_code == 403
    assert "Add my IIN" in text(response)
    client.post("/account/logout")
    login(citizen(verified=False))
    response = client.get("/petitions/new")
    assert response.status_code == 403
    assert "Confirm your email address" in text(response)


def test_filing_happy_path(client, login, pworld, publish, db):
    similar = publish("Repair the road from Turgen to the district centre")
    login(pworld.author)
    step1 = text(client.get("/petitions/new"))
    assert "с.Айнабулак" in step1 and "your home place" in step1
    assert 'name="title"' not in step1  # the text comes once the topic is chosen

    step2 = client.get(f"/petitions/new?territory={VILLAGE}&topic=roads_transport")
    assert step2.status_code == 200
    page = text(step2)
    assert 'name="title"' in page and 'name="body"' in page
    assert "<legend>Also possible</legend>" in page  # the Government does not decide local roads
    # the lowest addressee that decides the topic is suggested and pre-selected
    checked = re.search(r'<input[^>]*\bchecked\b[^>]*name="authority"[^>]*value="(\d+)"', page)
    assert checked is not None and int(checked.group(1)) == pworld.rural.id

    before = count(Petition)
    response = client.post(
        "/petitions/new",
        data={
            "territory": VILLAGE,
            "topic": "roads_transport",
            "authority": pworld.district.id,
            "title": "Repair the road from Turgen to Ainabulak",
            "body": TEXT + "\n\n- a **list** item",
        },
    )
    assert response.status_code == 302
    assert count(Petition) == before + 1
    petition = db.session.scalar(sa.select(Petition).order_by(Petition.id.desc()))
    assert petition.state == PetitionState.DRAFT
    assert petition.authority_id == pworld.district.id
    assert response.headers["Location"].endswith(f"/petitions/{petition.id}/preview")

    preview = text(client.get(f"/petitions/{petition.id}/preview"))
    assert "<strong>list</strong>" in preview
    assert similar.title in preview and f'href="/petitions/{similar.id}"' in preview
    for excluded in rules.excluded_topics():
        assert excluded.name in preview
    assert 'name="acknowledge"' in preview

    refused = client.post(f"/petitions/{petition.id}/submit", data={})
    assert refused.status_code == 400
    assert "Confirm that the petition is not about one of the excluded topics." in text(refused)
    db.session.refresh(petition)
    assert petition.state == PetitionState.DRAFT

    sent = client.post(f"/petitions/{petition.id}/submit", data={"acknowledge": "y"}, follow_redirects=True)
    assert sent.status_code == 200
    db.session.refresh(petition)
    assert petition.state == PetitionState.PENDING
    assert "sent to moderation" in text(sent)
    assert petition.moderation_due_on.strftime("%Y") in text(sent)


def test_filing_other_place_by_search(client, login, pworld):
    login(pworld.author)
    page = text(client.get("/petitions/new?q=Кенгир"))
    assert f"territory={OTHER_REGION_PLACE}" in page
    page = text(client.get(f"/petitions/new?territory={OTHER_REGION_PLACE}&topic=water_supply"))
    assert "с.Кенгирское" in page
    assert localized_name(pworld.region) in page


def localized_name(authority) -> str:
    return authority.name_en or authority.name_ru


GOOD = {"topic": "roads_transport", "title": "Repair the road from Turgen to Ainabulak", "body": TEXT}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"title": ""}, "Give the petition a title."),
        ({"body": ""}, "Explain the petition."),
        ({"title": "Road"}, "The title must be 10 to 200 characters long."),
        ({"title": "x" * 201}, "The title must be 10 to 200 characters long."),
        ({"body": "x" * 10_001}, "The text can have at most 10000 characters."),
        ({"body": "Too short, sorry."}, "Explain the petition in at least 50 characters."),
        ({"body": TEXT + "<script>alert(1)</script>"}, "HTML tags such as &lt;script&gt; are not allowed."),
        ({"title": "<script>alert(1)</script> Repair the road"}, "HTML tags such as &lt;script&gt; are not allowed."),
        ({"territory": "999999999"}, "We do not know this place."),
        ({"territory": "<b>x</b>"}, "We do not know this place."),
        ({"topic": "weather"}, "Choose a topic from the list."),
        ({"topic": ""}, "Choose a topic from the list."),
        ({"authority": "999999"}, "Choose an addressee from the list."),
        ({"authority": "abc"}, "Choose an addressee from the list."),
        ({"authority": None}, "Choose the addressee."),
    ],
)
def test_filing_bad_input(client, login, pworld, change, message):
    login(pworld.author)
    data = {**GOOD, "territory": VILLAGE, "authority": str(pworld.district.id), **change}
    data = {k: v for k, v in data.items() if v is not None}
    before = count(Petition)
    response = client.post("/petitions/new", data=data)
    assert response.status_code == 400
    assert count(Petition) == before
    page = text(response)
    assert message in page
    for field in ("title", "body"):  # everything typed is kept
        if data.get(field) and len(data[field]) < 300:
            assert escape(data[field]) in page


def test_filing_unknown_topic_can_be_corrected_without_losing_the_text(client, login, pworld):
    login(pworld.author)
    data = {**GOOD, "topic": "weather", "territory": VILLAGE, "authority": pworld.district.id}
    page = text(client.post("/petitions/new", data=data))
    assert 'aria-describedby="topic-err"' in page  # the message is tied to the topic field of the same form
    assert '<select aria-describedby="topic-err" aria-invalid="true" id="topic" name="topic"' in page
    assert escape(TEXT) in page


def test_comparisons_are_not_mistaken_for_html(client, login, pworld, db):
    login(pworld.author)
    body = TEXT + " Speed now: < 20 km/h; a > b; 5<6."
    data = {**GOOD, "body": body, "territory": VILLAGE, "authority": pworld.district.id}
    assert client.post("/petitions/new", data=data).status_code == 302


def test_links_in_the_text_are_made_safe(client, login, pworld, db):
    login(pworld.author)
    body = TEXT + " See [the plan](javascript:alert(1)) and [the akimat](https://example.kz/plan)."
    data = {**GOOD, "body": body, "territory": VILLAGE, "authority": pworld.district.id}
    response = client.post("/petitions/new", data=data)
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    assert 'href="javascript:' not in page
    assert 'href="https://example.kz/plan"' in page


def test_filing_without_a_home_place_keeps_the_text(client, login, citizen):
    login(citizen(home=None))
    page = text(client.get("/petitions/new"))
    assert "Choose your home place" in page
    data = {**GOOD, "territory": "999999999", "authority": "1"}
    before = count(Petition)
    response = client.post("/petitions/new", data=data)
    assert response.status_code == 400
    assert count(Petition) == before
    assert "We do not know this place." in text(response)
    assert escape(TEXT) in text(response)


def test_filing_an_addressee_of_another_place_is_refused(client, login, pworld):
    """An authority that exists, but does not serve the place: the form's list refuses it."""
    login(pworld.author)
    other = find_authority("akimat:621000000")
    assert other is not None
    before = count(Petition)
    response = client.post("/petitions/new", data={**GOOD, "territory": VILLAGE, "authority": other.id})
    assert response.status_code == 400
    assert count(Petition) == before
    assert "Choose an addressee from the list." in text(response)


def test_filing_unknown_place_or_topic_on_the_first_step(client, login, pworld):
    login(pworld.author)
    response = client.get("/petitions/new?territory=123456789&topic=roads_transport")
    assert response.status_code == 400
    assert "We do not know this place." in text(response)
    response = client.get(f"/petitions/new?territory={VILLAGE}&topic=nope")
    assert response.status_code == 400
    assert "We do not know this topic." in text(response)
    assert 'name="title"' not in text(response)


def test_filing_is_rate_limited_per_account(app, tmp_path, monkeypatch):
    """A fresh app with limits on (the shared test app has them off): each account has its own allowance."""
    import uuid

    from core.accounts.models import User
    from core.accounts.services import hash_password, set_iin
    from core.db import db as _db
    from core.db import utcnow
    from core.extensions import limiter
    from tests.conftest import PASSWORD
    from tests.petitions.conftest import make_iin
    from wsgi import create_app

    monkeypatch.setattr(limiter, "enabled", limiter.enabled)
    monkeypatch.setattr(limiter, "initialized", limiter.initialized)
    keys = (
        "TESTING",
        "SECRET_KEY",
        "IIN_HASH_KEY",
        "WTF_CSRF_ENABLED",
        "SESSION_COOKIE_SECURE",
        "BABEL_DEFAULT_LOCALE",
    )
    config = {key: app.config[key] for key in keys if key in app.config}
    config.update(
        {k: v for k, v in app.config.items() if k.startswith("ARGON2_")},
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'limits.db'}",
        MAIL_OUTBOX=str(tmp_path / "outbox"),
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        RATELIMIT_KEY_PREFIX=f"tyndau-test-{uuid.uuid4().hex}",
        PETITIONS_FILE_LIMIT="2 per hour",
    )
    fresh = create_app(config)
    with fresh.app_context():
        _db.create_all()
        emails = []
        for n in (1, 2):
            user = User(
                email=f"filer{n}@example.kz",
                password_hash=hash_password(PASSWORD),
                display_name="Айгүл Серікова",
                locale="en",
                email_verified_at=utcnow(),
            )
            _db.session.add(user)
            _db.session.flush()
            set_iin(user, make_iin(n))
            emails.append(user.email)
        _db.session.commit()
    try:
        client = fresh.test_client()
        for email in emails:
            assert client.post("/account/login", data={"email": email, "password": PASSWORD}).status_code == 302
            statuses = [client.post("/petitions/new", data={"topic": "nope"}).status_code for _ in range(3)]
            assert statuses == [400, 400, 429]
            assert client.get("/petitions/new").status_code == 200  # reading the form is not limited
            client.post("/account/logout")
    finally:
        limiter.reset()
        with fresh.app_context():
            _db.session.remove()
            _db.engine.dispose()


def escape(value: str) -> str:
    from markupsafe import escape as html_escape

    return str(html_escape(value))


# --- editing, withdrawing ---------------------------------------------------------------------------------


def test_only_the_author_edits_and_only_while_editable(client, login, pworld, publish, citizen, db):
    petition = draft(pworld)
    db.session.flush()
    url = f"/petitions/{petition.id}/edit"
    assert client.get(url).status_code == 302  # sign in first
    login(citizen())
    assert client.get(url).status_code == 404
    assert client.post(url, data={**GOOD, "territory": VILLAGE, "authority": pworld.rural.id}).status_code == 404
    client.post("/account/logout")

    login(pworld.author)
    page = text(client.get(url))
    assert petition.title in page and "Айнабулак" in page
    response = client.post(
        url,
        data={
            "territory": VILLAGE,
            "topic": "water_supply",
            "authority": pworld.rural.id,
            "title": "Build a footbridge over the Ainabulak river",
            "body": TEXT,
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/petitions/{petition.id}/preview")
    db.session.refresh(petition)
    assert petition.title == "Build a footbridge over the Ainabulak river"
    assert petition.topic == "water_supply"

    bad = client.post(url, data={**GOOD, "territory": VILLAGE, "authority": pworld.rural.id, "title": "Bad"})
    assert bad.status_code == 400
    db.session.refresh(petition)
    assert petition.title == "Build a footbridge over the Ainabulak river"

    published = publish()
    response = client.get(f"/petitions/{published.id}/edit")
    assert response.status_code == 409
    assert "can no longer be changed" in text(response)


def test_moderator_sees_but_cannot_edit(client, login, pworld, db):
    petition = draft(pworld)
    services.submit(petition, pworld.author, acknowledged=True)
    db.session.flush()
    login(pworld.moderator)
    assert client.get(f"/petitions/{petition.id}/edit").status_code == 403
    assert client.get(f"/petitions/{petition.id}/preview").status_code == 403
    assert client.post(f"/petitions/{petition.id}/withdraw").status_code == 403


def test_author_withdraws(client, login, pworld, db):
    petition = draft(pworld)
    db.session.flush()
    login(pworld.author)
    response = client.post(f"/petitions/{petition.id}/withdraw", follow_redirects=True)
    assert response.status_code == 200
    assert "Your petition is withdrawn." in text(response)
    db.session.refresh(petition)
    assert petition.state == PetitionState.WITHDRAWN
    assert client.get(f"/petitions/{petition.id}/preview").status_code == 200
    again = client.post(f"/petitions/{petition.id}/withdraw")
    assert again.status_code == 409
    assert "cannot be withdrawn" in text(again)


def test_returned_petition_is_changed_and_sent_again(client, login, pworld, db):
    petition = draft(pworld)
    services.submit(petition, pworld.author, acknowledged=True)
    services.take(petition, pworld.moderator)
    services.return_to_author(petition, pworld.moderator, "Please name the river.")
    db.session.flush()
    login(pworld.author)
    preview = text(client.get(f"/petitions/{petition.id}/preview"))
    assert "Please name the river." in preview
    assert 'name="acknowledge"' in preview
    client.post(f"/petitions/{petition.id}/submit", data={"acknowledge": "y"})
    db.session.refresh(petition)
    assert petition.state == PetitionState.PENDING


# --- signing through the pages ----------------------------------------------------------------------------


def test_signing_is_rate_limited_per_account(app, client, login, publish, citizen, db, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_ENABLED", True)
    monkeypatch.setitem(app.config, "PETITIONS_SIGN_LIMIT", "2 per minute")
    app.extensions.pop("petitions_sign_windows", None)
    try:
        first, second = publish(threshold=50), publish(threshold=50, title="Light the street of Ainabulak at night")
        login(citizen())
        statuses = [client.post(f"/petitions/{p.id}/sign").status_code for p in (first, first, second)]
        assert statuses == [302, 302, 429]  # the repeat counts too
        assert services.counts(second.id).total == 0
        assert "Too many" in text(client.post(f"/petitions/{second.id}/sign"))
    finally:
        app.extensions.pop("petitions_sign_windows", None)


def test_the_cached_page_for_readers_keeps_the_exact_count(app, client, login, publish, citizen, db, monkeypatch):
    from petitions import views

    monkeypatch.setitem(app.config, "PETITIONS_PAGE_CACHE_SECONDS", 60)
    views.forget_pages()
    try:
        petition = publish(threshold=50)
        url = f"/petitions/{petition.id}"
        first = client.get(url, headers={"Accept-Language": "ru"}).get_data(as_text=True)
        assert client.get(url, headers={"Accept-Language": "ru"}).get_data(as_text=True) == first
        assert 'data-signatures="0"' in first and 'lang="ru"' in first
        login(citizen())
        client.post(f"{url}/sign")
        client.post("/account/logout")
        after = client.get(url, headers={"Accept-Language": "ru"}).get_data(as_text=True)
        assert 'data-signatures="1"' in after
        assert after.replace('data-signatures="1"', "") != first.replace('data-signatures="0"', "")
    finally:
        views.forget_pages()


def test_sign_and_sign_again_and_unsign(client, login, publish, citizen, db):
    petition = publish(threshold=50)
    user = citizen()
    login(user)
    page = text(client.get(f"/petitions/{petition.id}"))
    assert f'action="/petitions/{petition.id}/sign"' in page

    response = client.post(f"/petitions/{petition.id}/sign", follow_redirects=True)
    assert response.status_code == 200
    assert "your signature is counted" in text(response)
    assert services.counts(petition.id).total == 1
    assert "1 of 50 signatures needed" in text(response)
    assert "You signed this petition on" in text(response)

    again = client.post(f"/petitions/{petition.id}/sign", follow_redirects=True)
    assert "You have already signed this petition." in text(again)
    assert services.counts(petition.id).total == 1

    gone = client.post(f"/petitions/{petition.id}/unsign", follow_redirects=True)
    assert "Your signature is withdrawn." in text(gone)
    assert services.counts(petition.id).total == 0
    assert f'action="/petitions/{petition.id}/sign"' in text(gone)


def test_non_resident_is_refused_with_the_place_named(client, login, publish, citizen):
    petition = publish(threshold=50)
    login(citizen(home=OTHER_REGION_PLACE))
    page = text(client.get(f"/petitions/{petition.id}"))
    assert "Only residents of Жанааркинский район can sign this petition" in page
    assert "Change my home place" in page
    response = client.post(f"/petitions/{petition.id}/sign", follow_redirects=True)
    assert "Only residents of Жанааркинский район can sign this petition" in text(response)
    assert services.counts(petition.id).total == 0


@pytest.mark.parametrize(
    ("kind", "message", "link"),
    [
        ("unverified", "Confirm your email address before you sign.", "/account/profile"),
        ("no_iin", "Add your IIN in your profile before you sign", "/account/iin"),
        ("no_home", "Set your home place in your profile", "/territories/pick"),
    ],
)
def test_incomplete_accounts_are_refused(client, login, make_user, citizen, publish, kind, message, link):
    petition = publish(threshold=50)
    if kind == "unverified":
        user = citizen(verified=False)
    elif kind == "no_iin":
        user = make_user(home=VILLAGE)
    else:
        user = citizen(home=None)
    login(user)
    page = text(client.get(f"/petitions/{petition.id}"))
    assert message in page
    assert link in page
    assert f'action="/petitions/{petition.id}/sign"' not in page
    response = client.post(f"/petitions/{petition.id}/sign", follow_redirects=True)
    assert message in text(response)
    assert services.counts(petition.id).total == 0


def test_expired_window_is_refused(client, login, publish, citizen, db):
    petition = publish(threshold=50)
    petition.closes_on = TODAY - timedelta(days=1)
    db.session.flush()
    login(citizen())
    page = text(client.get(f"/petitions/{petition.id}"))
    assert "The collection of signatures for this petition has ended." in page
    response = client.post(f"/petitions/{petition.id}/sign", follow_redirects=True)
    assert "has ended" in text(response)
    assert services.counts(petition.id).total == 0


def test_signing_needs_sign_in(client, publish):
    petition = publish()
    response = client.post(f"/petitions/{petition.id}/sign")
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


def test_reaching_the_threshold_through_the_page_opens_a_case(client, login, pworld, publish, citizen, db):
    petition = publish(threshold=2)
    sign(petition, citizen())
    login(citizen())
    response = client.post(f"/petitions/{petition.id}/sign", follow_redirects=True)
    assert "reach its threshold" in text(response)
    db.session.refresh(petition)
    assert petition.state == PetitionState.REACHED
    case = db.session.get(Case, petition.case_id)
    assert case is not None
    page = text(response)
    assert f'href="/cases/{case.id}"' in page
    assert "Awaiting the authority&#39;s answer" in page or "Awaiting the authority's answer" in page

    case_page = text(client.get(f"/cases/{case.id}"))
    assert f'href="/petitions/{petition.id}"' in case_page
    assert "signed by 2 people" in case_page


def test_answer_is_shown_on_the_petition_page(client, pworld, publish, citizen, db):
    petition = publish(threshold=1)
    sign(petition, citizen())
    db.session.refresh(petition)
    answer(petition.case, pworld.officer)
    page = text(client.get(f"/petitions/{petition.id}"))
    assert "We will repair the road next spring" in page
    assert "Resurface the road" in page
    assert "The signers rate this answer on the case page" in page


def answer(case, officer):
    loop.publish_answer(
        case,
        Decision.SUPPORTED,
        "We will repair the road next spring, in April and May.",
        [loop.MeasureInput("Resurface the road", "District roads department", TODAY + timedelta(days=90))],
        officer,
    )


# --- my petitions and the navigation ----------------------------------------------------------------------


def test_my_petitions(client, login, pworld, publish, citizen, db):
    mine = draft(pworld)
    other = publish("Light the streets of Ainabulak village at night")
    db.session.flush()
    assert client.get("/petitions/mine").status_code == 302
    login(pworld.author)
    page = text(client.get("/petitions/mine"))
    assert mine.title in page and other.title in page
    assert "Check it and send it to moderation" in page
    assert "You have not signed a petition yet." in page
    client.post("/account/logout")

    signer = citizen()
    sign(other, signer)
    login(signer)
    page = text(client.get("/petitions/mine"))
    assert other.title in page
    assert mine.title not in page
    assert "You have not started a petition yet." in page


def test_navigation_links(client, login, citizen, kato):
    page = text(client.get("/petitions/"))
    assert 'href="/petitions/"' in page
    assert 'href="/petitions/mine"' not in page
    login(citizen())
    assert 'href="/petitions/mine"' in text(client.get("/petitions/"))


def test_anonymous_readers_get_a_cached_page_with_the_exact_count(app, client, login, pworld, collecting, citizen, db):
    """The page cache keeps the page, never the count: each read renders the exact count afresh; the list of
    recent signers may lag; a change of state (the hand-over) is a new page; signed-in readers always get a
    fresh page."""
    from petitions import views

    views.forget_pages()
    app.config["PETITIONS_PAGE_CACHE_SECONDS"] = 60
    try:
        petition = collecting(threshold=4, initial=1)
        first, second, third, fourth = (
            citizen(display_name=n) for n in ("Арман Әлиев", "Бибігүл Нұрова", "Ержан Омаров", "Гүлмира Сапарова")
        )
        services.sign(petition, first)
        services.after_signing(petition.id)
        url = f"/petitions/{petition.id}"

        def shown(page: str) -> int:
            return int(re.search(r'data-signatures="(\d+)"', page).group(1))

        page = client.get(url).get_data(as_text=True)
        assert shown(page) == 1 and "Арман Ә." in page
        services.sign(petition, second)
        services.after_signing(petition.id)
        page = client.get(url).get_data(as_text=True)
        assert shown(page) == 2  # the count is exact ...
        assert "Бибігүл Н." not in page  # ... the rest of the page came from the cache
        login(third)
        fresh = client.get(url).get_data(as_text=True)
        assert shown(fresh) == 2 and "Бибігүл Н." in fresh
        client.post("/account/logout")
        services.sign(petition, third)
        services.after_signing(petition.id)
        services.sign(petition, fourth)
        services.after_signing(petition.id)
        db.session.refresh(petition)
        assert petition.state == PetitionState.REACHED
        page = client.get(url).get_data(as_text=True)
        assert shown(page) == 4
        assert f"/cases/{petition.case_id}" in page  # a new state is a new page
    finally:
        app.config["PETITIONS_PAGE_CACHE_SECONDS"] = 0
        views.forget_pages()


def test_a_page_with_a_form_of_the_session_is_never_cached(app, collecting, pworld):
    from petitions import views

    petition = collecting(threshold=4)
    views.forget_pages()
    app.config["PETITIONS_PAGE_CACHE_SECONDS"] = 60
    try:
        with app.test_request_context():
            html = f'<p>before</p>{views.COUNT_MARKER}<input name="csrf_token" value="secret"><p>after</p>'
            out = views._store_page(petition.id, html)
            assert views.COUNT_MARKER not in out and 'data-signatures="0"' in out
            assert views._page_cache == {}
            views._store_page(petition.id, f"<p>before</p>{views.COUNT_MARKER}<p>after</p>")
            assert len(views._page_cache) == 1
    finally:
        app.config["PETITIONS_PAGE_CACHE_SECONDS"] = 0
        views.forget_pages()
