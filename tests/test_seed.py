"""``flask seed demo``: territories, ladder, ministries, holidays and one account per role."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from core import seed, seed_data
from tests.conftest import count


def _independent_iin_valid(iin: str) -> bool:
    """The IIN rule written out again, so the seed is not checked against its own code."""
    if len(iin) != 12 or not iin.isdigit():
        return False
    yy, mm, dd, century = int(iin[0:2]), int(iin[2:4]), int(iin[4:6]), int(iin[6])
    if century not in range(1, 7):
        return False
    year = {1: 1800, 2: 1800, 3: 1900, 4: 1900, 5: 2000, 6: 2000}[century] + yy
    try:
        date(year, mm, dd)
    except ValueError:
        return False
    digits = [int(c) for c in iin]
    check = sum(digits[i] * (i + 1) for i in range(11)) % 11
    if check == 10:
        weights = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]
        check = sum(digits[i] * weights[i] for i in range(11)) % 11
        if check == 10:
            return False
    return check == digits[11]


def test_demo_iin_is_valid():
    from core.iin import is_valid_iin

    assert _independent_iin_valid(seed.DEMO_IIN)
    assert is_valid_iin(seed.DEMO_IIN)
    wrong = seed.DEMO_IIN[:11] + str((int(seed.DEMO_IIN[11]) + 1) % 10)
    assert not _independent_iin_valid(wrong)
    assert not is_valid_iin(wrong)


def test_builtin_territories_are_a_closed_tree():
    codes = {row["code"] for row in seed_data.TERRITORIES}
    assert len(codes) == len(seed_data.TERRITORIES)
    assert sum(1 for row in seed_data.TERRITORIES if row["level"] == 1) == 20
    by_code = {row["code"]: row for row in seed_data.TERRITORIES}
    for row in seed_data.TERRITORIES:
        assert len(row["code"]) == 9
        assert row["name_kk"]
        assert row["name_ru"]
        if row["level"] == 1:
            assert row["parent_code"] is None
        else:
            assert by_code[row["parent_code"]]["level"] == row["level"] - 1
    for code in (seed_data.DEMO_VILLAGE, seed_data.DEMO_RURAL_DISTRICT, seed_data.DEMO_DISTRICT):
        assert code in codes


def test_builtin_territories_match_the_classifier():
    from tests.conftest import KATO_FULL

    if not KATO_FULL.exists():
        pytest.skip("the full KATO file is not beside the project")
    import csv

    with KATO_FULL.open(encoding="utf-8") as fh:
        official = {row["code"]: row for row in csv.DictReader(fh)}
    for row in seed_data.TERRITORIES:
        real = official[row["code"]]
        assert (real["parent_code"] or None, int(real["level"]), real["name_kk"], real["name_ru"]) == (
            row["parent_code"],
            row["level"],
            row["name_kk"],
            row["name_ru"],
        )


def test_seed_demo_creates_accounts_and_skips_the_second_time(runner, db):
    from core.accounts.models import Role, User
    from core.authorities.models import Authority
    from core.calendar import CalendarDay

    # The test configuration points KATO_PATH at the sample, which has no Almaty-region villages:
    # the built-in set must still give the demo citizen a home.
    result = runner.invoke(args=["seed", "demo"])
    assert result.exit_code == 0, result.output
    assert "built-in set" in result.output
    assert seed.DEMO_PASSWORD in result.output
    assert seed.DEMO_IIN in result.output

    assert _demo_account_count() == len(seed.DEMO_ACCOUNTS)
    for account in seed.DEMO_ACCOUNTS:
        user = db.session.scalar(sa.select(User).where(User.email == account.email))
        assert user is not None, account.email
        assert user.is_verified
        assert user.locale == account.locale
        assert account.email in result.output
        if account.role == "citizen":
            assert user.grants == []
        elif account.authority_key:
            authority = db.session.scalar(sa.select(Authority).where(Authority.key == account.authority_key))
            assert authority is not None
            assert user.has_role(Role(account.role), authority.id)
        else:
            assert user.has_role(Role(account.role))

    citizen = db.session.scalar(sa.select(User).where(User.email == "citizen@tyndau.kz"))
    assert citizen.home_territory_code == seed_data.DEMO_VILLAGE
    assert citizen.home_territory.name_ru == "с.Тургень"
    assert [t.code for t in citizen.home_territory.ancestors()] == [
        "190000000",
        seed_data.DEMO_DISTRICT,
        seed_data.DEMO_RURAL_DISTRICT,
    ]
    assert not citizen.has_iin

    ministry_keys = {key for key, *_names in seed.MINISTRIES}
    found = set(db.session.scalars(sa.select(Authority.key).where(Authority.key.in_(ministry_keys))))
    assert found == ministry_keys
    assert db.session.get(CalendarDay, date(2026, 5, 27)) is not None

    again = runner.invoke(args=["seed", "demo"])
    assert again.exit_code == 0, again.output
    assert "already has users" in again.output
    assert _demo_account_count() == len(seed.DEMO_ACCOUNTS)

    verify = runner.invoke(args=["audit", "verify"])
    assert verify.exit_code == 0, verify.output
    assert "intact" in verify.output


def test_seed_demo_without_kato_file_uses_builtin_set(runner, db, app, monkeypatch, tmp_path):
    from core.territories.models import Territory

    monkeypatch.setitem(app.config, "KATO_PATH", str(tmp_path / "missing.csv"))
    result = runner.invoke(args=["seed", "demo"])
    assert result.exit_code == 0, result.output
    assert "not found" in result.output
    for row in seed_data.TERRITORIES:
        assert db.session.get(Territory, row["code"]) is not None


def test_seed_demo_skips_when_any_user_exists(runner, make_user):
    from core.accounts.models import User

    make_user(email="someone@example.kz")
    result = runner.invoke(args=["seed", "demo"])
    assert result.exit_code == 0, result.output
    assert "already has users" in result.output
    assert count(User) == 1


def test_demo_citizen_can_sign_in(runner, client):
    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    response = client.post("/account/login", data={"email": "citizen@tyndau.kz", "password": seed.DEMO_PASSWORD})
    assert response.status_code == 302


def _demo_account_count() -> int:
    """Accounts other than the extra residents and officers the loop's demo history creates for itself, and the
    signers the petitions demo creates."""
    from core.accounts.models import User
    from core.db import db
    from feedback.seed import BACKGROUND_ACCOUNTS

    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(User)
        .where(User.email.not_in([a.email for a in BACKGROUND_ACCOUNTS]), ~User.email.endswith("@demo.tyndau.kz"))
    )
