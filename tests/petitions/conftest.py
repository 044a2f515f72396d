"""Shared fixtures of the petitions tests: the KATO-sample ladder, citizens with IINs at home in a village of
district 623600000, moderators and officers, and a helper that takes a petition to collection."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from core.accounts.models import Role
from core.authorities.services import find_authority
from core.iin import control_digit
from feedback import services as loop
from petitions import rules, services

TODAY = date.fromisoformat("2026-02-02")  # a Monday, far from any holiday
VILLAGE = "623633100"  # Ainabulak: a village of the KATO sample (district 623600000, region 620000000)
TEXT = (
    "The road from the village to the district centre has not been repaired for ten years. "
    "We ask the akimat to include it in next year's repair plan."
)


def make_iin(n: int) -> str:
    """A valid IIN (born 1 January 1990, a man), different for each ``n``."""
    while True:
        first = f"9001013{n:04d}"
        digit = control_digit(first)
        if digit is not None:
            return first + str(digit)
        n += 7000


@pytest.fixture
def iin_counter():
    return {"n": 0}


@pytest.fixture
def citizen(make_user, iin_counter):
    """``citizen(home=VILLAGE, **fields)``: a verified user with an IIN."""
    from core.accounts.services import set_iin

    def make(home=VILLAGE, **fields):
        iin_counter["n"] += 1
        user = make_user(home=home, **fields)
        set_iin(user, make_iin(iin_counter["n"]))
        return user

    return make


@pytest.fixture
def pworld(kato, db, make_user, citizen, monkeypatch):
    monkeypatch.setattr(loop, "today", lambda: TODAY)
    monkeypatch.setattr(services, "today", lambda: TODAY)
    services.forget_breakdowns()
    district = find_authority("akimat:623600000")
    return SimpleNamespace(
        rural=find_authority("akim:623633000"),
        district=district,
        region=find_authority("akimat:620000000"),
        government=find_authority("government"),
        author=citizen(display_name="Айгүл Серікова"),
        moderator=make_user("moderator@example.kz", roles=[Role.MODERATOR]),
        moderator2=make_user("moderator2@example.kz", roles=[Role.MODERATOR]),
        officer=make_user("district@example.kz", roles=[(Role.OFFICER, district)]),
        admin=make_user("admin@example.kz", roles=[Role.ADMIN]),
    )


@pytest.fixture
def collecting(pworld, db):
    """``collecting(threshold=3, authority=None, initial=1)``: a published petition with a small threshold."""

    def make(threshold=3, authority=None, initial=1, title="Repair the road from Turgen to the district centre"):
        authority = authority or pworld.district
        rules.set_rule("", fixed=threshold, authority=authority)
        db.session.flush()
        petition = services.create_draft(pworld.author, VILLAGE, authority, "roads_transport", title, TEXT)
        services.submit(petition, pworld.author, acknowledged=True)
        services.take(petition, pworld.moderator)
        from flask import current_app

        old = current_app.config["PETITIONS_INITIAL_SUPPORTERS"]
        current_app.config["PETITIONS_INITIAL_SUPPORTERS"] = initial
        try:
            services.publish(petition, pworld.moderator)
        finally:
            current_app.config["PETITIONS_INITIAL_SUPPORTERS"] = old
        db.session.flush()
        return petition

    return make
