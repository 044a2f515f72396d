from datetime import date

import pytest

from core import calendar
from core.calendar import DayKind, add_working_days, is_working_day, statutory_days_off, working_days_between


def test_statutory_holidays_2026_follow_the_law():
    off = statutory_days_off(2026)
    # 8 March 2026 is a Sunday: the day off moves to Monday 9 March.
    assert date(2026, 3, 8) in off and off[date(2026, 3, 9)] == "transfer"
    # Nauryz 21-23 March 2026 is Sat, Sun, Mon: 21 and 22 move to Tue 24 and Wed 25.
    for day in (21, 22, 23, 24, 25):
        assert date(2026, 3, day) in off
    assert date(2026, 3, 26) not in off
    # Victory Day on Saturday 9 May 2026 moves to Monday 11 May.
    assert off[date(2026, 5, 11)] == "transfer"
    # Republic Day (25 October) is a holiday again; Sunday in 2026 -> Monday 26 October.
    assert off[date(2026, 10, 25)] == "republic_day"
    assert off[date(2026, 10, 26)] == "transfer"
    # Independence Day is 16 December only.
    assert date(2026, 12, 16) in off and date(2026, 12, 17) not in off


def test_religious_holiday_on_a_weekend_is_not_moved():
    # 7 January 2024 (Orthodox Christmas) was a Sunday; no day off is added for it.
    off = statutory_days_off(2024)
    assert off[date(2024, 1, 7)] == "orthodox_christmas"
    assert date(2024, 1, 8) not in off


def test_add_working_days_skips_weekends_and_holidays(db):
    assert add_working_days(date(2026, 3, 20), 1) == date(2026, 3, 26)
    assert add_working_days(date(2026, 11, 20), 1) == date(2026, 11, 23)  # Friday -> Monday
    assert add_working_days(date(2026, 11, 23), 15) == date(2026, 12, 14)
    # 15 working days from 10 December 2026 cross Independence Day (16th) and New Year
    # (2 January 2027 is a Saturday, so Monday 4 January is off).
    assert add_working_days(date(2026, 12, 10), 15) == date(2027, 1, 5)
    assert add_working_days(date(2026, 11, 21), 0) == date(2026, 11, 23)
    with pytest.raises(ValueError, match="negative"):
        add_working_days(date(2026, 1, 1), -1)


def test_working_days_between_is_inverse_of_add(db):
    start = date(2026, 1, 5)
    for n in (0, 1, 5, 15, 20, 40, 120):
        end = add_working_days(start, n)
        assert working_days_between(start, end) == n
    assert working_days_between(date(2026, 3, 26), date(2026, 3, 20)) == -1


def test_moveable_holiday_and_transfers_are_data(db):
    kurban = date(2026, 5, 27)
    assert is_working_day(kurban)
    calendar.load_known_moveable()
    assert not is_working_day(kurban)
    # A Government transfer: Friday 2 January 2026 off is statutory; make Saturday 3 January working.
    saturday = date(2026, 1, 3)
    assert not is_working_day(saturday)
    calendar.set_day(saturday, DayKind.WORKING_DAY, {"ru": "Рабочая суббота"}, "test resolution")
    assert is_working_day(saturday)
    calendar.set_day(date(2026, 11, 27), DayKind.DAY_OFF, {"en": "Moved day off"}, "test resolution")
    assert add_working_days(date(2026, 11, 26), 1) == date(2026, 11, 30)
    assert calendar.remove_day(date(2026, 11, 27))
    assert add_working_days(date(2026, 11, 26), 1) == date(2026, 11, 27)


def test_calendar_admin_page(client, make_user, login):
    admin = make_user(email="admin-cal@example.kz", roles=["admin"])
    citizen = make_user(email="citizen-cal@example.kz")
    login(citizen)
    assert client.get("/admin/calendar/").status_code == 403
    client.post("/account/logout")
    login(admin)
    page = client.get("/admin/calendar/?year=2026&lang=en")
    assert page.status_code == 200
    assert b"Nauryz" in page.data
    response = client.post(
        "/admin/calendar/?lang=en",
        data={"day": "2026-05-27", "kind": "holiday", "name_en": "Kurban Ait", "name_ru": "Курбан айт"},
    )
    assert response.status_code == 302
    assert not is_working_day(date(2026, 5, 27))
    bad = client.post("/admin/calendar/?lang=en", data={"day": "not a date", "kind": "holiday"})
    assert bad.status_code == 200
    assert b"Not a valid date value" in bad.data or b"Enter a date" in bad.data


def test_calendar_cli(runner):
    result = runner.invoke(args=["calendar", "set", "2026-12-31", "day_off", "--name-en", "New Year's Eve"])
    assert result.exit_code == 0, result.output
    shown = runner.invoke(args=["calendar", "show", "2026"])
    assert "2026-12-31" in shown.output and "2026-03-24" in shown.output
