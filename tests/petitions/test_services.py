"""Every transition of a petition and its guards, tested at the service layer: filing, moderation, signing
(online and on paper), the initial-supporters gate, the hand-over into the loop, the sweep, and the case
that carries a reached petition up the ladder."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from core.accounts.services import set_iin
from core.authorities.services import find_authority
from core.calendar import add_working_days
from core.db import commit
from core.db import db as _db
from core.errors import AppError, Conflict, NotAllowed
from feedback import services as loop
from feedback.models import CaseParticipant, CaseSource, CaseState, Decision, EscalationReason, ParticipantRole
from petitions import jobs, rules, services
from petitions.models import (
    PaperBatch,
    Petition,
    PetitionEvent,
    PetitionEventKind,
    PetitionState,
    Signature,
    SignatureKind,
    SignatureTally,
)
from petitions.rules import Scope
from petitions.services import AlreadySigned, PaperRow, PetitionError, SignError
from tests.petitions.conftest import TEXT, TODAY, VILLAGE, make_iin

D = date.fromisoformat
TITLE = "Repair the road from Turgen to the district centre"
OTHER_DISTRICT_VILLAGE = "621039100"  # Kengir, in Zhezkazgan city administration: same region, other district
ASTANA = "711110000"  # a district of Astana: another region altogether


def draft(pworld, **kw):
    return services.create_draft(
        kw.pop("user", pworld.author),
        kw.pop("territory", VILLAGE),
        kw.pop("authority", pworld.district),
        kw.pop("topic", "roads_transport"),
        kw.pop("title", TITLE),
        kw.pop("body", TEXT),
    )


def pending(pworld, **kw):
    petition = draft(pworld, **kw)
    services.submit(petition, pworld.author, acknowledged=True)
    return petition


def taken(pworld, **kw):
    petition = pending(pworld, **kw)
    services.take(petition, pworld.moderator)
    return petition


def events(petition) -> list[PetitionEventKind]:
    return list(
        _db.session.scalars(
            sa.select(PetitionEvent.kind).where(PetitionEvent.petition_id == petition.id).order_by(PetitionEvent.id)
        )
    )


def rows(petition) -> int:
    return _db.session.scalar(sa.select(sa.func.count()).where(Signature.petition_id == petition.id))


def tally_sum(petition) -> int:
    return _db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(SignatureTally.online + SignatureTally.paper), 0)).where(
            SignatureTally.petition_id == petition.id
        )
    )


def participants(case) -> dict[int, ParticipantRole]:
    return dict(
        _db.session.execute(
            sa.select(CaseParticipant.user_id, CaseParticipant.role).where(CaseParticipant.case_id == case.id)
        ).all()
    )


def sign_all(petition, users, after=True):
    for user in users:
        services.sign(petition, user)
        if after:
            services.after_signing(petition.id)
    _db.session.refresh(petition)


def iin_user(make_user, n: int, **fields):
    """A verified villager with a known IIN (``make_iin(n)``; use n >= 500 to stay clear of ``citizen``)."""
    user = make_user(home=fields.pop("home", VILLAGE), **fields)
    set_iin(user, make_iin(n))
    return user


# -- filing ---------------------------------------------------------------------------------------------


def test_create_draft(pworld):
    petition = draft(pworld)
    assert (petition.state, petition.author_id, petition.authority_id) == (
        PetitionState.DRAFT,
        pworld.author.id,
        pworld.district.id,
    )
    assert (petition.territory_code, petition.topic, petition.title) == (VILLAGE, "roads_transport", TITLE)
    assert petition.body == TEXT and petition.body_html == f"<p>{TEXT}</p>\n"
    assert "turgen" in petition.search_text and "repair plan" in petition.search_text
    assert events(petition) == [PetitionEventKind.CREATED]
    assert not petition.is_public


def test_filing_needs_a_verified_account_with_an_iin(pworld, make_user):
    with pytest.raises(NotAllowed):
        draft(pworld, user=iin_user(make_user, 500, verified=False))
    with pytest.raises(NotAllowed, match="IIN"):
        draft(pworld, user=make_user(home=VILLAGE))
    with pytest.raises(NotAllowed):
        draft(pworld, user=None)
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(Petition)) == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("territory", "999999999", "place"),
        ("territory", "", "place"),
        ("topic", "astrology", "topic"),
        ("authority", "kurultai", "addressee"),
        ("authority", "akimat:623800000", "addressee"),  # another district's akimat
        ("authority", "maslikhat:623800000", "addressee"),
        ("title", "Road", "title"),
        ("title", "x" * 201, "title"),
        ("title", "<b></b>" * 5, "title"),  # nothing left once the tags are gone
        ("body", "Too short to say anything.", "at least"),
        ("body", "x" * 10_001, "at most"),
        ("body", "-\n" * 30, "at least"),  # markup with no text
    ],
)
def test_filing_guards(pworld, field, value, message):
    if field == "authority":
        value = find_authority(value)
    with pytest.raises(PetitionError, match=message):
        draft(pworld, **{field: value})


def test_the_text_limits_are_inclusive(pworld):
    petition = draft(pworld, title="x" * 200, body="y" * 10_000)
    assert (len(petition.title), len(petition.body)) == (200, 10_000)
    petition = draft(pworld, title="x" * 10, body="y" * 50)
    assert (len(petition.title), len(petition.body)) == (10, 50)


def test_body_html_is_the_markdown_subset_sanitised(pworld):
    body = (
        "We ask for **bold** action and *soon*:\n\n"
        "- repair the road\n- light the street\n\n"
        "See [the plan](https://example.kz/plan) and [this](javascript:alert(1)).\n\n"
        '<script>alert("x")</script> <img src=x onerror=alert(1)>'
    )
    petition = draft(pworld, body=body)
    html = petition.body_html
    assert "<strong>bold</strong>" in html and "<em>soon</em>" in html
    assert "<ul>\n<li>repair the road</li>\n<li>light the street</li>\n</ul>" in html
    assert '<a href="https://example.kz/plan" rel="noopener noreferrer nofollow">the plan</a>' in html
    assert "javascript:" not in html.replace("[this](javascript:alert(1))", "")  # left as text, never a link
    assert 'href="javascript' not in html
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html  # raw HTML is shown as text
    assert petition.body == body  # the text as typed is kept for editing


def test_title_is_plain_text(pworld):
    petition = draft(pworld, title="  <b>Water</b> &   roads\nfor Turgen  ")
    assert petition.title == "Water & roads for Turgen"


def test_addressees_lowest_first_with_competence(pworld):
    found = services.addressees(VILLAGE, "education")
    assert [a.key for a, _ in found] == [
        "akim:623633000",
        "akimat:623600000",
        "akimat:620000000",
        "maslikhat:623600000",
        "maslikhat:620000000",
        "government",
    ]
    competent = {a.key: ok for a, ok in found}
    assert competent["akimat:623600000"] and competent["government"]
    assert not competent["maslikhat:623600000"] and not competent["maslikhat:620000000"]  # not for schools
    assert all(ok for _, ok in services.addressees(VILLAGE, None))  # no topic: nothing flagged
    roads = dict((a.key, ok) for a, ok in services.addressees(VILLAGE, "roads_transport"))
    assert roads["maslikhat:623600000"] and not roads["government"]
    assert "kurultai" not in {a.key for a, _ in services.addressees(VILLAGE)}
    assert services.addressees("999999999") == [] and services.addressees(None) == []


@pytest.mark.parametrize("key", ["maslikhat:623600000", "maslikhat:620000000", "government", "akim:623633000"])
def test_every_listed_addressee_can_be_chosen(pworld, key):
    assert draft(pworld, authority=find_authority(key)).authority.key == key


def test_update_draft_only_by_the_author_while_editable(pworld, citizen):
    petition = draft(pworld)
    with pytest.raises(NotAllowed):
        services.update_draft(
            petition, citizen(), VILLAGE, pworld.district, "roads_transport", "Another title, longer", TEXT
        )
    services.update_draft(
        petition, pworld.author, VILLAGE, pworld.rural, "water_supply", "Drinking water for Ainabulak", TEXT + " More."
    )
    assert (petition.authority_id, petition.topic, petition.title) == (
        pworld.rural.id,
        "water_supply",
        "Drinking water for Ainabulak",
    )
    assert "drinking water" in petition.search_text
    assert events(petition)[-1] == PetitionEventKind.EDITED
    with pytest.raises(PetitionError):  # the same checks as a new draft
        services.update_draft(petition, pworld.author, VILLAGE, pworld.rural, "water_supply", "Short", TEXT)
    services.submit(petition, pworld.author, acknowledged=True)
    services.update_draft(petition, pworld.author, VILLAGE, pworld.rural, "water_supply", "Water for Ainabulak", TEXT)
    assert petition.state == PetitionState.PENDING  # still editable in moderation
    services.take(petition, pworld.moderator)
    services.publish(petition, pworld.moderator)
    with pytest.raises(Conflict):
        services.update_draft(petition, pworld.author, VILLAGE, pworld.rural, "water_supply", "Water, changed", TEXT)


def test_submit_needs_the_acknowledgement(pworld):
    petition = draft(pworld)
    with pytest.raises(PetitionError, match="excluded"):
        services.submit(petition, pworld.author, acknowledged=False)
    assert petition.state == PetitionState.DRAFT
    services.submit(petition, pworld.author, acknowledged=True)
    assert petition.state == PetitionState.PENDING
    assert petition.exclusions_acknowledged_at is not None and petition.submitted_at is not None
    assert petition.moderation_due_on == add_working_days(TODAY, 20) == D("2026-03-02")
    assert events(petition) == [PetitionEventKind.CREATED, PetitionEventKind.SUBMITTED]
    with pytest.raises(Conflict):
        services.submit(petition, pworld.author, acknowledged=True)


def test_only_the_author_submits(pworld, citizen):
    petition = draft(pworld)
    with pytest.raises(NotAllowed):
        services.submit(petition, citizen(), acknowledged=True)


@pytest.mark.parametrize("stage", [draft, pending])
def test_withdraw_before_publication(pworld, citizen, stage):
    petition = stage(pworld)
    with pytest.raises(NotAllowed):
        services.withdraw(petition, citizen())
    services.withdraw(petition, pworld.author)
    assert petition.state == PetitionState.WITHDRAWN and petition.closed_at is not None
    assert petition.moderator_id is None
    assert events(petition)[-1] == PetitionEventKind.WITHDRAWN
    with pytest.raises(Conflict):
        services.withdraw(petition, pworld.author)


def test_no_withdrawal_once_published(pworld, collecting):
    petition = collecting()
    with pytest.raises(Conflict):
        services.withdraw(petition, pworld.author)
    assert petition.state == PetitionState.COLLECTING


# -- similar petitions ----------------------------------------------------------------------------------


def test_similar_finds_a_petition_sharing_words(pworld, collecting, citizen):
    road = collecting(initial=1, title="Отремонтировать дорогу в селе Айнабулак")
    sign_all(road, [citizen()])
    assert road.listed_at is not None
    water = collecting(initial=1, title="Провести водопровод в селе Белкараган")
    sign_all(water, [citizen()])
    found = services.similar("Ремонт дороги к Айнабулаку", "Дорога в Айнабулак разбита.")
    assert found[0] == road
    assert water not in found
    assert services.similar("Ремонт дороги к Айнабулаку", exclude_id=road.id) == []
    assert services.similar("", "") == [] and services.similar("a b c") == []


@pytest.mark.parametrize(("existing", "typed"), [("дорога", "дороги"), ("дороги", "дорогу"), ("школа", "школы")])
def test_similar_matches_inflected_words(pworld, collecting, citizen, existing, typed):
    """A word that differs only in its ending still counts (the six-letter stem alone would not: the
    ending of a short word is inside its first six letters)."""
    petition = collecting(initial=1, title=f"Новая {existing} для нашего села")
    sign_all(petition, [citizen()])
    assert services.similar(f"{typed.capitalize()} разбита") == [petition]


def test_similar_ignores_drafts_and_unlisted_petitions(pworld, collecting, citizen):
    draft(pworld, title="Отремонтировать дорогу в селе Айнабулак")
    unlisted = collecting(initial=2, title="Отремонтировать дорогу в селе Айнабулак")
    sign_all(unlisted, [citizen()])  # one of the two initial supporters
    assert unlisted.listed_at is None
    assert services.similar("Отремонтировать дорогу в селе Айнабулак") == []
    sign_all(unlisted, [citizen()])
    assert services.similar("Отремонтировать дорогу в селе Айнабулак") == [unlisted]


# -- moderation -----------------------------------------------------------------------------------------


def test_take_is_a_lock(pworld):
    petition = pending(pworld)
    services.take(petition, pworld.moderator)
    assert petition.moderator_id == pworld.moderator.id and petition.taken_at is not None
    assert services.holds_lock(petition, pworld.moderator)
    with pytest.raises(Conflict, match="Another moderator"):
        services.take(petition, pworld.moderator2)
    assert petition.moderator_id == pworld.moderator.id
    services.take(petition, pworld.moderator)  # again: fine, the hold is renewed
    with pytest.raises(Conflict):
        services.publish(petition, pworld.moderator2)
    assert events(petition)[-2:] == [PetitionEventKind.TAKEN, PetitionEventKind.TAKEN]


def test_take_needs_a_moderator_and_a_pending_petition(pworld, citizen):
    petition = draft(pworld)
    with pytest.raises(Conflict, match="no longer waiting"):
        services.take(petition, pworld.moderator)
    services.submit(petition, pworld.author, acknowledged=True)
    for who in (citizen(), pworld.officer, None):
        with pytest.raises(NotAllowed):
            services.take(petition, who)


def test_the_lock_lapses(pworld, monkeypatch):
    petition = pending(pworld)
    services.take(petition, pworld.moderator)
    later = services.current_time() + timedelta(hours=rules.moderation_lock_hours(), minutes=1)
    monkeypatch.setattr(services, "current_time", lambda: later)
    assert not services.holds_lock(petition, pworld.moderator)
    services.take(petition, pworld.moderator2)
    assert petition.moderator_id == pworld.moderator2.id
    with pytest.raises(Conflict):
        services.publish(petition, pworld.moderator)
    services.publish(petition, pworld.moderator2)


def test_the_lock_holds_until_it_lapses(pworld, monkeypatch):
    petition = pending(pworld)
    services.take(petition, pworld.moderator)
    nearly = services.current_time() + timedelta(hours=rules.moderation_lock_hours(), minutes=-1)
    monkeypatch.setattr(services, "current_time", lambda: nearly)
    with pytest.raises(Conflict):
        services.take(petition, pworld.moderator2)


def test_release(pworld):
    petition = taken(pworld)
    with pytest.raises(Conflict):
        services.release(petition, pworld.moderator2)
    services.release(petition, pworld.moderator)
    assert (petition.moderator_id, petition.taken_at) == (None, None)
    assert events(petition)[-1] == PetitionEventKind.RELEASED
    with pytest.raises(Conflict):
        services.release(petition, pworld.moderator)
    services.take(petition, pworld.moderator2)


@pytest.mark.parametrize(
    "decide",
    [
        lambda p, m: services.publish(p, m),
        lambda p, m: services.return_to_author(p, m, "Say which road."),
        lambda p, m: services.reject(p, m, "duplicate"),
    ],
)
def test_every_decision_needs_the_hold(pworld, decide):
    petition = pending(pworld)
    with pytest.raises(Conflict, match="Take the petition"):
        decide(petition, pworld.moderator)
    assert petition.state == PetitionState.PENDING


def test_publish(pworld):
    petition = taken(pworld)
    services.publish(petition, pworld.moderator)
    assert petition.state == PetitionState.COLLECTING and petition.is_public
    assert petition.published_at is not None
    assert petition.closes_on == D("2026-08-01")  # six months less a day from Monday 2 February
    assert (petition.threshold, petition.threshold_population, petition.threshold_scope) == (
        2_500,  # a district akimat, population unknown: the fallback
        None,
        Scope.DISTRICT_AKIMAT,
    )
    assert petition.initial_supporters == rules.initial_supporters() == 50
    assert petition.listed_at is None
    assert events(petition)[-1] == PetitionEventKind.PUBLISHED
    published = _db.session.scalar(
        sa.select(PetitionEvent).where(
            PetitionEvent.petition_id == petition.id, PetitionEvent.kind == PetitionEventKind.PUBLISHED
        )
    )
    assert published.count == 2_500 and published.actor_id == pworld.moderator.id
    with pytest.raises(Conflict):
        services.publish(petition, pworld.moderator)


def test_publish_follows_the_settings(pworld, app, monkeypatch):
    monkeypatch.setitem(app.config, "PETITIONS_COLLECTION_MONTHS", 3)
    monkeypatch.setitem(app.config, "PETITIONS_INITIAL_SUPPORTERS", 0)
    petition = taken(pworld)
    services.publish(petition, pworld.moderator)
    assert petition.closes_on == D("2026-05-01")
    assert petition.initial_supporters == 0 and petition.listed_at is not None  # listed at once


def test_initial_supporters_never_exceed_the_threshold(pworld):
    rules.set_rule("", fixed=7, authority=pworld.district)
    petition = taken(pworld)
    services.publish(petition, pworld.moderator)
    assert (petition.threshold, petition.initial_supporters) == (7, 7)


def test_return_to_the_author_needs_a_note(pworld):
    petition = taken(pworld)
    for note in ("", "   ", "x" * 2001):
        with pytest.raises(PetitionError):
            services.return_to_author(petition, pworld.moderator, note)
    services.return_to_author(petition, pworld.moderator, "Name the road and the villages along it.")
    assert petition.state == PetitionState.RETURNED and petition.is_editable
    assert petition.moderation_note == "Name the road and the villages along it."
    assert petition.moderator_id is None
    assert events(petition)[-1] == PetitionEventKind.RETURNED
    # The author changes it and sends it again: a new moderation deadline.
    services.update_draft(petition, pworld.author, VILLAGE, pworld.district, "roads_transport", TITLE, TEXT + " KZ-1")
    services.submit(petition, pworld.author, acknowledged=True)
    assert petition.state == PetitionState.PENDING and petition.moderation_due_on == D("2026-03-02")


def test_reject_needs_a_reason_from_the_list(pworld):
    petition = taken(pworld)
    for code in ("", None, "because"):
        with pytest.raises(PetitionError, match="reason"):
            services.reject(petition, pworld.moderator, code)
    services.reject(petition, pworld.moderator, "duplicate", "See petition 12.")
    assert (petition.state, petition.reject_reason, petition.moderation_note) == (
        PetitionState.REJECTED,
        "duplicate",
        "See petition 12.",
    )
    assert petition.closed_at is not None and not petition.is_public
    event = _db.session.scalar(
        sa.select(PetitionEvent).where(PetitionEvent.petition_id == petition.id).order_by(PetitionEvent.id.desc())
    )
    assert (event.kind, event.reason_code, event.note) == (PetitionEventKind.REJECTED, "duplicate", "See petition 12.")
    with pytest.raises(Conflict):
        services.update_draft(petition, pworld.author, VILLAGE, pworld.district, "roads_transport", TITLE, TEXT)


def test_moderation_flag(pworld):
    petition = pending(pworld)  # due Monday 2 March
    assert services.moderation_flag(petition) == services.SlaFlag(20, False, False)
    assert services.moderation_flag(petition, on=D("2026-02-20")) == services.SlaFlag(6, False, False)
    assert services.moderation_flag(petition, on=D("2026-02-23")) == services.SlaFlag(5, False, True)
    assert services.moderation_flag(petition, on=D("2026-03-02")) == services.SlaFlag(0, False, True)
    assert services.moderation_flag(petition, on=D("2026-03-03")) == services.SlaFlag(-1, True, False)
    services.take(petition, pworld.moderator)
    services.publish(petition, pworld.moderator)
    assert services.moderation_flag(petition) is None


# -- signing --------------------------------------------------------------------------------------------


def test_sign_counts_exactly(pworld, collecting, citizen):
    petition = collecting(threshold=10, initial=5)
    users = [citizen() for _ in range(4)]
    for n, user in enumerate(users, start=1):
        signature = _db.session.get(Signature, services.sign(petition, user))
        assert (signature.kind, signature.user_id, signature.iin_hash) == (SignatureKind.ONLINE, user.id, user.iin_hash)
        assert signature.settlement_code == VILLAGE
        assert (signature.region_code, signature.district_code) == ("620000000", "623600000")
        assert services.counts(petition.id) == services.Counts(online=n, paper=0)
    assert rows(petition) == tally_sum(petition) == 4
    assert services.my_signature(petition, users[0]) is not None
    assert services.my_signature(petition, pworld.author) is None


def test_a_second_signature_is_refused(pworld, collecting, citizen):
    petition = collecting(threshold=10)
    user = citizen()
    services.sign(petition, user)
    with pytest.raises(AlreadySigned):
        services.sign(petition, user)
    assert services.counts(petition.id).total == rows(petition) == 1


def test_the_author_may_sign(pworld, collecting):
    petition = collecting(threshold=10)
    services.sign(petition, pworld.author)
    assert services.counts(petition.id).total == 1


@pytest.mark.parametrize(
    ("who", "message"),
    [
        ("unverified", "Confirm your email"),
        ("no_iin", "Add your IIN"),
        ("no_home", "Set your home place"),
        ("elsewhere", "Only residents of Жанааркинский район"),
        ("anonymous", "Sign in"),
    ],
)
def test_who_may_not_sign(pworld, collecting, citizen, make_user, who, message):
    petition = collecting(threshold=10)
    user = {
        "unverified": lambda: citizen(verified=False),
        "no_iin": lambda: make_user(home=VILLAGE),
        "no_home": lambda: citizen(home=None),
        "elsewhere": lambda: citizen(home=OTHER_DISTRICT_VILLAGE),
        "anonymous": lambda: None,
    }[who]()
    assert message in services.signing_problem(petition, user)
    with pytest.raises(SignError, match=message):
        services.sign(petition, user)
    assert rows(petition) == services.counts(petition.id).total == 0


def test_the_non_resident_is_told_their_home(pworld, collecting, citizen):
    petition = collecting(threshold=10)
    problem = services.signing_problem(petition, citizen(home=OTHER_DISTRICT_VILLAGE))
    assert problem == ("Only residents of Жанааркинский район can sign this petition; your home place is с.Кенгирское.")


def test_residents_of_the_whole_territory_sign(pworld, collecting, citizen):
    """A district petition: anyone at home anywhere in the district, not only in the petition's village."""
    petition = collecting(threshold=10)
    services.sign(petition, citizen(home="623633107"))
    services.sign(petition, citizen(home="623633000"))
    assert services.counts(petition.id).total == 2


def test_a_government_petition_is_signed_by_anyone_with_an_iin(pworld, collecting, citizen, make_user):
    petition = collecting(threshold=10, authority=pworld.government)
    assert services.electorate(petition) is None
    for home in (None, ASTANA, OTHER_DISTRICT_VILLAGE, VILLAGE):
        services.sign(petition, citizen(home=home))
    assert services.counts(petition.id).total == 4
    with pytest.raises(SignError, match="IIN"):
        services.sign(petition, make_user(home=ASTANA))


def test_no_signing_outside_collection(pworld, collecting, citizen, monkeypatch):
    petition = draft(pworld)
    with pytest.raises(SignError, match="not collecting"):
        services.sign(petition, citizen())
    services.submit(petition, pworld.author, acknowledged=True)
    with pytest.raises(SignError, match="not collecting"):
        services.sign(petition, citizen())

    petition = collecting(threshold=10)
    last_day = petition.closes_on
    monkeypatch.setattr(services, "today", lambda: last_day)
    services.sign(petition, citizen())  # the last day counts
    monkeypatch.setattr(services, "today", lambda: last_day + timedelta(days=1))
    with pytest.raises(SignError, match="has ended"):
        services.sign(petition, citizen())
    assert services.counts(petition.id).total == 1


def test_sign_rereads_the_state(pworld, collecting, citizen):
    """The signer's copy of the petition may be stale: ``sign`` goes by the row."""
    petition = collecting(threshold=10)
    _db.session.execute(sa.update(Petition).where(Petition.id == petition.id).values(state=PetitionState.REACHED))
    with pytest.raises(SignError):
        services.sign(petition, citizen())


def test_unsign(pworld, collecting, citizen):
    petition = collecting(threshold=10)
    user, other = citizen(), citizen()
    sign_all(petition, [user, other], after=False)
    services.unsign(petition, user)
    assert services.counts(petition.id).total == rows(petition) == tally_sum(petition) == 1
    assert services.my_signature(petition, user) is None
    with pytest.raises(Conflict, match="not signed"):
        services.unsign(petition, user)
    services.sign(petition, user)  # and may sign again
    assert services.counts(petition.id).total == rows(petition) == 2


def test_no_unsigning_after_the_close(pworld, collecting, citizen, monkeypatch):
    petition = collecting(threshold=10)
    user = citizen()
    services.sign(petition, user)
    monkeypatch.setattr(services, "today", lambda: petition.closes_on + timedelta(days=1))
    with pytest.raises(Conflict, match="ended"):
        services.unsign(petition, user)
    assert services.counts(petition.id).total == 1


def test_no_unsigning_once_reached(pworld, collecting, citizen):
    petition = collecting(threshold=2)
    users = [citizen(), citizen()]
    sign_all(petition, users)
    assert petition.state == PetitionState.REACHED
    with pytest.raises(Conflict):
        services.unsign(petition, users[0])
    assert services.counts(petition.id).total == petition.final_count == 2


# -- the initial supporters and the threshold -----------------------------------------------------------


def test_listed_once_at_the_initial_supporters(pworld, collecting, citizen):
    petition = collecting(threshold=10, initial=3)
    for _ in range(2):
        services.sign(petition, citizen())
        assert services.after_signing(petition.id).listed is False
    assert petition.listed_at is None
    services.sign(petition, citizen())
    result = services.after_signing(petition.id)
    assert (result.total, result.listed, result.reached) == (3, True, None)
    _db.session.refresh(petition)
    assert petition.listed_at is not None and petition.state == PetitionState.COLLECTING
    for _ in range(3):
        assert services.after_signing(petition.id).listed is False
    services.sign(petition, citizen())
    services.after_signing(petition.id)
    listed = _db.session.scalars(
        sa.select(PetitionEvent).where(
            PetitionEvent.petition_id == petition.id, PetitionEvent.kind == PetitionEventKind.LISTED
        )
    ).all()
    assert len(listed) == 1 and listed[0].count == 3


def test_reaching_the_threshold_hands_over_to_the_loop(pworld, collecting, citizen):
    petition = collecting(threshold=3, initial=2)
    users = [citizen(locale=locale) for locale in ("kk", "ru")]
    sign_all(petition, users)
    assert petition.state == PetitionState.COLLECTING and petition.case_id is None
    last = citizen()
    services.sign(petition, last)
    result = services.after_signing(petition.id)
    case = result.reached
    assert case is not None and result.total == 3
    _db.session.refresh(petition)
    assert (petition.state, petition.case_id, petition.final_count) == (PetitionState.REACHED, case.id, 3)
    assert petition.reached_at is not None and petition.listed_at is not None
    assert (case.source, case.source_ref, case.authority_id) == (
        CaseSource.PETITION,
        str(petition.id),
        pworld.district.id,
    )
    assert (case.title, case.body, case.territory_code) == (petition.title, petition.body, VILLAGE)
    assert (case.state, case.received_on) == (CaseState.OPENED, TODAY)
    assert case.due_on == add_working_days(TODAY, 20) == D("2026-03-02")  # a local body: 20 working days
    assert participants(case) == {
        pworld.author.id: ParticipantRole.AUTHOR,
        **{u.id: ParticipantRole.SIGNER for u in [*users, last]},
    }
    assert events(petition).count(PetitionEventKind.REACHED) == 1
    assert services.for_case(case) == petition
    # Nothing more happens, and no one signs any more.
    assert services.after_signing(petition.id).reached is None
    assert services.reach(petition.id) is None
    with pytest.raises(SignError, match="not collecting"):
        services.sign(petition, citizen())
    assert services.counts(petition.id).total == 3
    assert _db.session.scalar(sa.select(sa.func.count()).where(CaseParticipant.case_id == case.id)) == 4


def test_an_author_who_signed_stays_the_author(pworld, collecting, citizen):
    petition = collecting(threshold=2)
    sign_all(petition, [pworld.author, citizen()])
    assert participants(petition.case)[pworld.author.id] == ParticipantRole.AUTHOR


def test_a_government_case_has_40_working_days(pworld, collecting, citizen):
    petition = collecting(threshold=2, authority=pworld.government)
    sign_all(petition, [citizen(home=ASTANA), citizen(home=None)])
    case = petition.case
    assert case.authority_id == pworld.government.id
    assert case.due_on == add_working_days(TODAY, 40)


def test_reaching_queues_the_mail_after_commit(pworld, collecting, citizen, run_jobs):
    petition = collecting(threshold=2)
    sign_all(petition, [citizen(), citizen()])
    assert petition.state == PetitionState.REACHED
    assert run_jobs.queue.count == 0  # nothing before the commit
    commit()
    queued = [job.args for job in run_jobs.queue.jobs]
    assert ("petitions.jobs:notify_reached", petition.id) in queued


def test_reached_mail_goes_to_every_online_signer_in_their_language(pworld, collecting, citizen, run_jobs, monkeypatch):
    sent = []
    real = jobs.build_message

    def spy(user, template, context):
        message = real(user, template, context)
        sent.append((user.email, template, message["Content-Language"]))
        return message

    monkeypatch.setattr(jobs, "build_message", spy)
    petition = collecting(threshold=4)
    users = [citizen(locale=locale) for locale in ("kk", "ru", "en")]
    sign_all(petition, users)
    services.add_paper_batch(petition, pworld.officer, [PaperRow(make_iin(700), "Ерлан Сапаров", VILLAGE)])
    services.after_signing(petition.id)
    _db.session.refresh(petition)
    assert petition.state == PetitionState.REACHED
    commit()
    run_jobs()
    reached = sorted(m for m in sent if m[1] == "petition_reached")
    assert reached == sorted(
        [(u.email, "petition_reached", u.locale) for u in users]
        + [(pworld.author.email, "petition_reached", pworld.author.locale)]
    )


# -- paper signatures -----------------------------------------------------------------------------------


def test_paper_batch_counts_separately_and_deduplicates(pworld, collecting, citizen, make_user):
    petition = collecting(threshold=100)
    online = iin_user(make_user, 600)
    services.sign(petition, online)
    result = services.add_paper_batch(
        petition,
        pworld.officer,
        [
            PaperRow(make_iin(601), "Ерлан Сапаров", VILLAGE),
            PaperRow(make_iin(602), "Гүлнар Әбдірова", "Айнабұлақ а."),  # by its name
            PaperRow(make_iin(601), "Ерлан Сапаров", VILLAGE),  # the same person twice in the batch
            PaperRow(make_iin(600), "The online signer", VILLAGE),  # already signed online
            PaperRow("123", "Bad IIN", VILLAGE),
            PaperRow(make_iin(603), "", VILLAGE),
            PaperRow(make_iin(604), "Somewhere Else", OTHER_DISTRICT_VILLAGE),  # outside the district
            PaperRow(make_iin(605), "Nowhere", "Atlantis"),
        ],
        note="Sheets from the akimat's office",
    )
    assert result.accepted == 2
    assert [n for n, _ in result.duplicates] == [3, 4]
    assert "row 1" in result.duplicates[0][1] and "online" in result.duplicates[1][1]
    assert [n for n, _ in result.invalid] == [5, 6, 7, 8]
    batch = result.batch
    assert (batch.accepted, batch.duplicates, batch.invalid, batch.entered_by_id) == (2, 2, 4, pworld.officer.id)
    assert services.counts(petition.id) == services.Counts(online=1, paper=2)
    assert rows(petition) == tally_sum(petition) == 3
    paper = _db.session.scalars(
        sa.select(Signature).where(Signature.petition_id == petition.id, Signature.kind == SignatureKind.PAPER)
    ).all()
    assert {s.public_name for s in paper} == {"Ерлан С.", "Гүлнар Ә."}
    assert {(s.user_id, s.batch_id, s.district_code) for s in paper} == {(None, batch.id, "623600000")}
    assert events(petition)[-1] == PetitionEventKind.PAPER
    # Entered again: every row is now a duplicate.
    again = services.add_paper_batch(petition, pworld.officer, [PaperRow(make_iin(602), "Гүлнар Әбдірова", VILLAGE)])
    assert again.accepted == 0 and "paper" in again.duplicates[0][1]
    assert services.counts(petition.id).total == 3


def test_an_online_signer_already_on_paper_is_already_signed(pworld, collecting, make_user):
    petition = collecting(threshold=100)
    services.add_paper_batch(petition, pworld.officer, [PaperRow(make_iin(610), "Ерлан Сапаров", VILLAGE)])
    user = iin_user(make_user, 610)
    with pytest.raises(AlreadySigned):
        services.sign(petition, user)
    with pytest.raises(Conflict, match="not signed"):  # nor can they withdraw the paper signature
        services.unsign(petition, user)
    assert services.counts(petition.id) == services.Counts(online=0, paper=1)


def test_paper_batch_guards(pworld, collecting, citizen, make_user):
    petition = collecting(threshold=100)
    row = PaperRow(make_iin(620), "Ерлан Сапаров", VILLAGE)
    with pytest.raises(NotAllowed):  # not an officer of the addressee
        services.add_paper_batch(petition, citizen(), [row])
    with pytest.raises(NotAllowed):
        services.add_paper_batch(petition, pworld.moderator, [row])
    with pytest.raises(PetitionError):
        services.add_paper_batch(petition, pworld.officer, [])
    with pytest.raises(PetitionError):
        services.add_paper_batch(petition, pworld.officer, [row] * (services.PAPER_BATCH_MAX + 1))
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(PaperBatch)) == 0
    pending_one = pending(pworld)
    with pytest.raises(Conflict):
        services.add_paper_batch(pending_one, pworld.officer, [row])


def test_paper_signatures_reach_the_threshold_but_are_not_participants(pworld, collecting, citizen):
    petition = collecting(threshold=3)
    online = citizen()
    sign_all(petition, [online])
    services.add_paper_batch(
        petition,
        pworld.officer,
        [PaperRow(make_iin(630), "Ерлан Сапаров", VILLAGE), PaperRow(make_iin(631), "Гүлнар Әбдірова", VILLAGE)],
    )
    result = services.after_signing(petition.id)
    assert result.reached is not None
    _db.session.refresh(petition)
    assert petition.final_count == 3
    assert participants(petition.case) == {
        pworld.author.id: ParticipantRole.AUTHOR,
        online.id: ParticipantRole.SIGNER,
    }


# -- the sweep ------------------------------------------------------------------------------------------


def test_sweep_closes_a_petition_that_ended_below_its_threshold(pworld, collecting, citizen):
    petition = collecting(threshold=3)
    sign_all(petition, [citizen()])
    assert services.sweep(petition.closes_on) == services.SweepResult(0, 0)  # the last day: still open
    after = petition.closes_on + timedelta(days=1)
    assert services.sweep(after) == services.SweepResult(reached=0, not_reached=1)
    _db.session.refresh(petition)
    assert (petition.state, petition.final_count, petition.case_id) == (PetitionState.NOT_REACHED, 1, None)
    assert petition.closed_at is not None and petition.is_public
    assert events(petition)[-1] == PetitionEventKind.NOT_REACHED
    assert services.sweep(after) == services.SweepResult(0, 0)  # idempotent
    assert events(petition).count(PetitionEventKind.NOT_REACHED) == 1


def test_sweep_hands_over_a_petition_missed_at_its_threshold(pworld, collecting, citizen):
    """The signer's process died between its commit and ``after_signing``: the sweep hands it over."""
    petition = collecting(threshold=3)
    users = [citizen() for _ in range(4)]
    sign_all(petition, users, after=False)
    assert petition.state == PetitionState.COLLECTING
    assert services.sweep() == services.SweepResult(reached=1, not_reached=0)
    _db.session.refresh(petition)
    assert (petition.state, petition.final_count) == (PetitionState.REACHED, 4)
    assert set(participants(petition.case)) == {pworld.author.id, *(u.id for u in users)}
    assert services.sweep() == services.SweepResult(0, 0)


def test_sweep_hands_over_a_petition_that_reached_on_its_last_day(pworld, collecting, citizen):
    petition = collecting(threshold=2)
    sign_all(petition, [citizen(), citizen()], after=False)
    after = petition.closes_on + timedelta(days=1)
    assert services.sweep(after) == services.SweepResult(reached=1, not_reached=0)
    _db.session.refresh(petition)
    assert petition.state == PetitionState.REACHED and petition.case.received_on == add_working_days(after, 0)


def test_sweep_leaves_other_states_alone(pworld, collecting, citizen):
    reached = collecting(threshold=1)
    sign_all(reached, [citizen()])
    draft(pworld)
    pending(pworld)
    assert services.sweep(D("2027-01-01")) == services.SweepResult(0, 0)
    _db.session.refresh(reached)
    assert reached.state == PetitionState.REACHED


# -- threshold rules ------------------------------------------------------------------------------------


def test_an_authority_rule_overrides_the_scope_rule_which_overrides_the_default(pworld):
    other = find_authority("akimat:623800000")  # Ulytau district
    assert rules.threshold_for(pworld.district) == (2_500, None, Scope.DISTRICT_AKIMAT)  # the default
    rules.set_rule(Scope.DISTRICT_AKIMAT, fixed=700)
    assert rules.threshold_for(pworld.district)[0] == rules.threshold_for(other)[0] == 700
    rules.set_rule("", fixed=42, authority=pworld.district)
    assert rules.threshold_for(pworld.district) == (42, None, Scope.DISTRICT_AKIMAT)
    assert rules.threshold_for(other)[0] == 700
    petition = taken(pworld)
    services.publish(petition, pworld.moderator)
    assert petition.threshold == 42
    assert rules.threshold_for(pworld.rural)[0] == 100  # other scopes keep their default
    with pytest.raises(rules.ThresholdError):
        rules.threshold_for(find_authority("kurultai"))


def test_a_rule_changed_after_publication_does_not_move_the_threshold(pworld):
    rules.set_rule("", fixed=42, authority=pworld.district)
    petition = taken(pworld)
    services.publish(petition, pworld.moderator)
    rules.set_rule("", fixed=9_000, authority=pworld.district)
    assert petition.threshold == 42


# -- into the loop and up the ladder --------------------------------------------------------------------


def test_an_unsatisfying_answer_carries_every_signer_up_to_the_region(pworld, collecting, citizen):
    petition = collecting(threshold=3)
    users = [citizen() for _ in range(3)]
    sign_all(petition, users)
    case = petition.case
    loop.publish_answer(
        case, Decision.NOT_SUPPORTED, "There is no money in this year's budget for the road.", [], pworld.officer
    )
    assert case.state == CaseState.ANSWERED
    for user in users[:2]:
        loop.rate(case, user, False, "Nothing will change.", on=TODAY)
    loop.rate(case, users[2], True, on=TODAY)
    result = loop.sweep(case.rating_closes_on + timedelta(days=1))
    assert result.escalated == 1
    _db.session.refresh(case)
    assert (case.state, case.escalation_reason) == (CaseState.ESCALATED, EscalationReason.DISSATISFIED)
    upper = case.escalated_to
    assert (upper.authority_id, upper.source, upper.source_ref, upper.level) == (
        pworld.region.id,
        CaseSource.PETITION,
        str(petition.id),
        1,
    )
    assert (
        participants(upper)
        == participants(case)
        == {
            pworld.author.id: ParticipantRole.AUTHOR,
            **{u.id: ParticipantRole.SIGNER for u in users},
        }
    )
    assert services.for_case(upper) == petition  # the petition's page follows its case up the chain
    assert petition.state == PetitionState.REACHED


def test_errors_are_app_errors(pworld, collecting, citizen):
    """Views render these centrally: every guard raises an AppError subclass."""
    petition = collecting(threshold=10)
    for action in (
        lambda: services.sign(petition, None),
        lambda: services.unsign(petition, citizen()),
        lambda: services.withdraw(petition, pworld.author),
        lambda: services.take(petition, pworld.moderator),
        lambda: draft(pworld, title=""),
    ):
        with pytest.raises(AppError):
            action()


def test_a_signer_far_below_the_threshold_leaves_the_hand_over_check_to_others(
    pworld, collecting, citizen, monkeypatch
):
    """The check after the commit is needed while the petition is unlisted, and once the count a signer saw is
    within HANDOVER_MARGIN of the threshold; otherwise the signer's commit cannot reach the threshold."""
    monkeypatch.setattr(services, "HANDOVER_MARGIN", 2)
    petition = collecting(threshold=6, initial=2)
    needed = []
    for _ in range(6):
        signed = services.sign_once(petition, citizen())
        needed.append(signed.check_needed)
        if signed.check_needed:
            services.after_signing(petition.id)
    # 1st: unlisted; 2nd: unlisted (it lists it); 3rd: saw 3, 3 + 2 < 6; 4th: saw 4, 4 + 2 >= 6; 5th, 6th: near.
    assert needed == [True, True, False, True, True, True]
    assert petition.state == PetitionState.REACHED
