"""Kazakhstan's working-day calendar.

Public holidays follow the Law of the Republic of Kazakhstan "On holidays in the Republic of
Kazakhstan" of 13 December 2001 No. 267-II, as amended in 2022 (25 October, Republic Day, became a
national holiday and Independence Day is 16 December only). Its holidays that are days off
(with the Labour Code of 23 November 2015 No. 414-V, Art. 85 "Holidays"):

* 1–2 January — New Year                       * 30 August — Constitution Day
* 8 March — International Women's Day          * 25 October — Republic Day
* 21–23 March — Nauryz meiramy                  * 16 December — Independence Day
* 1 May — Unity Day of the People of Kazakhstan * 7 January — Orthodox Christmas (religious)
* 7 May — Defender of the Fatherland Day        * first day of Kurban Ait (religious; date set
* 9 May — Victory Day                             each year by the Government — data, not code)
* 6 July — Capital Day

Labour Code Art. 85: when a day off coincides with a holiday, the day off moves to the next
working day after the holiday — except for the religious holidays (7 January, Kurban Ait).
The Government may also move days off by resolution (e.g. make a Friday off and a Saturday
working); those transfers, and Kurban Ait, are data: ``CalendarDay`` rows an admin edits.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta

import click
import sqlalchemy as sa
from flask import Blueprint, abort, flash, g, has_app_context, redirect, render_template, request, url_for
from flask.cli import AppGroup
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy.orm import Mapped, mapped_column
from wtforms import DateField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from core.db import commit, db, utcnow
from core.enums import enum_column

#: (month, day, name key) — secular holidays: a day off that falls on a weekend moves forward.
SECULAR_HOLIDAYS: tuple[tuple[int, int, str], ...] = (
    (1, 1, "new_year"),
    (1, 2, "new_year"),
    (3, 8, "womens_day"),
    (3, 21, "nauryz"),
    (3, 22, "nauryz"),
    (3, 23, "nauryz"),
    (5, 1, "unity_day"),
    (5, 7, "defender_day"),
    (5, 9, "victory_day"),
    (7, 6, "capital_day"),
    (8, 30, "constitution_day"),
    (10, 25, "republic_day"),
    (12, 16, "independence_day"),
)
#: Religious holidays: days off, never moved when they fall on a weekend.
RELIGIOUS_FIXED: tuple[tuple[int, int, str], ...] = ((1, 7, "orthodox_christmas"),)

HOLIDAY_NAMES = {
    "new_year": _l("New Year"),
    "womens_day": _l("International Women's Day"),
    "nauryz": _l("Nauryz meiramy"),
    "unity_day": _l("Unity Day of the People of Kazakhstan"),
    "defender_day": _l("Defender of the Fatherland Day"),
    "victory_day": _l("Victory Day"),
    "capital_day": _l("Capital Day"),
    "constitution_day": _l("Constitution Day"),
    "republic_day": _l("Republic Day"),
    "independence_day": _l("Independence Day"),
    "orthodox_christmas": _l("Orthodox Christmas"),
    "transfer": _l("Day off moved from a holiday on a weekend"),
}


CACHE_KEY = "tyndau_calendar_years"


class DayKind(enum.StrEnum):
    HOLIDAY = "holiday"  # a moveable holiday set each year (Kurban Ait); not moved if on a weekend
    DAY_OFF = "day_off"  # a weekday made a day off by a Government transfer
    WORKING_DAY = "working_day"  # a weekend day made working by a Government transfer


DAY_KIND_LABELS = {
    DayKind.HOLIDAY: _l("Holiday (e.g. Kurban Ait)"),
    DayKind.DAY_OFF: _l("Day off moved by the Government"),
    DayKind.WORKING_DAY: _l("Weekend day made a working day"),
}


class CalendarDay(db.Model):
    """Per-year calendar data: moveable holidays and the Government's day-off transfers."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(primary_key=True)
    kind: Mapped[DayKind] = mapped_column(enum_column(DayKind, 16))
    name_kk: Mapped[str] = mapped_column(sa.String(200), default="")
    name_ru: Mapped[str] = mapped_column(sa.String(200), default="")
    name_en: Mapped[str] = mapped_column(sa.String(200), default="")
    source: Mapped[str] = mapped_column(sa.String(300), default="")  # e.g. the Government resolution
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))


# --- the rules -------------------------------------------------------------------------------


def statutory_days_off(year: int) -> dict[date, str]:
    """Days off the Law and the Labour Code give for a year, before any per-year data."""
    off: dict[date, str] = {}
    for month, day, key in RELIGIOUS_FIXED:
        off[date(year, month, day)] = key
    secular = [(date(year, m, d), key) for m, d, key in SECULAR_HOLIDAYS]
    for when, key in secular:
        off[when] = key
    # Art. 85: a secular holiday on Saturday or Sunday moves the day off to the next working day.
    for when, _key in secular:
        if when.weekday() >= 5:
            moved = when + timedelta(days=1)
            while moved.weekday() >= 5 or moved in off:
                moved += timedelta(days=1)
            off[moved] = "transfer"
    return off


def entries_of_year(year: int) -> list[CalendarDay]:
    """The calendar data rows of one year, in date order."""
    return list(
        db.session.scalars(
            sa.select(CalendarDay)
            .where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
            .order_by(CalendarDay.day)
        )
    )


def _year_from_rows(year: int, rows: dict) -> tuple[frozenset[date], frozenset[date]]:
    off = set(statutory_days_off(year))
    working = set()
    for day, kind in rows.items():
        if kind in (DayKind.HOLIDAY, DayKind.DAY_OFF):
            off.add(day)
        elif kind == DayKind.WORKING_DAY:
            working.add(day)
            off.discard(day)
    return frozenset(off), frozenset(working)


def _year(year: int) -> tuple[frozenset[date], frozenset[date]]:
    """Days off and weekend working days of a year; read once per request or command."""
    cache = g.setdefault(CACHE_KEY, {}) if has_app_context() else {}
    if year not in cache:
        cache[year] = _year_from_rows(year, {r.day: DayKind(r.kind) for r in entries_of_year(year)})
    return cache[year]


def forget_cache() -> None:
    if has_app_context():
        g.pop(CACHE_KEY, None)


def is_working_day(day: date) -> bool:
    off, working = _year(day.year)
    if day in working:
        return True
    return day.weekday() < 5 and day not in off


def add_working_days(start: date | datetime, n: int) -> date:
    """The date ``n`` working days after ``start`` (``start`` itself is not counted).

    ``n = 0`` gives ``start`` if it is a working day, else the next working day.
    """
    day = start.date() if isinstance(start, datetime) else start
    if n < 0:
        raise ValueError("n must not be negative")
    if n == 0:
        while not is_working_day(day):
            day += timedelta(days=1)
        return day
    counted = 0
    while counted < n:
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day


def working_days_between(a: date | datetime, b: date | datetime) -> int:
    """Working days after ``a`` up to and including ``b``; negative when ``b`` is before ``a``."""
    a = a.date() if isinstance(a, datetime) else a
    b = b.date() if isinstance(b, datetime) else b
    if b < a:
        return -working_days_between(b, a)
    count = 0
    day = a
    while day < b:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


def days_off(year: int) -> list[tuple[date, str]]:
    """Every non-weekend day off and every weekend working day of a year, for display."""
    off, working = _year(year)
    data = {r.day: r for r in entries_of_year(year)}
    statutory = statutory_days_off(year)
    out = []
    for day in sorted(off | working):
        if day in data:
            from core.i18n import localized

            label = localized(data[day]) or str(DAY_KIND_LABELS[data[day].kind])
        else:
            label = str(HOLIDAY_NAMES[statutory[day]])
        out.append((day, label))
    return out


# --- services --------------------------------------------------------------------------------


def set_day(day: date, kind: DayKind, names: dict[str, str], source: str, actor=None) -> CalendarDay:
    from core import audit

    row = db.session.get(CalendarDay, day) or CalendarDay(day=day)
    row.kind = kind
    row.name_kk, row.name_ru, row.name_en = names.get("kk", ""), names.get("ru", ""), names.get("en", "")
    row.source = source
    row.updated_at = utcnow()
    row.updated_by_id = getattr(actor, "id", None)
    db.session.add(row)
    db.session.flush()
    forget_cache()
    audit.record("calendar.set_day", ("calendar_days", day.isoformat()), actor, kind=kind.value, source=source)
    return row


def remove_day(day: date, actor=None) -> bool:
    from core import audit

    row = db.session.get(CalendarDay, day)
    if row is None:
        return False
    db.session.delete(row)
    db.session.flush()
    forget_cache()
    audit.record("calendar.remove_day", ("calendar_days", day.isoformat()), actor)
    return True


#: Moveable holidays known when this was written (Kurban Ait, first day; Government decrees).
KNOWN_MOVEABLE = {
    date(2025, 6, 6): ("Құрбан айт", "Курбан айт", "Kurban Ait"),
    date(2026, 5, 27): ("Құрбан айт", "Курбан айт", "Kurban Ait"),
}


def load_known_moveable(actor=None) -> int:
    added = 0
    for day, (kk, ru, en) in KNOWN_MOVEABLE.items():
        if db.session.get(CalendarDay, day) is None:
            set_day(day, DayKind.HOLIDAY, {"kk": kk, "ru": ru, "en": en}, "Kurban Ait", actor)
            added += 1
    return added


# --- admin pages -----------------------------------------------------------------------------

bp = Blueprint("calendar", __name__, url_prefix="/admin/calendar")


class CalendarDayForm(FlaskForm):
    day = DateField(_l("Date"), validators=[DataRequired(message=_l("Enter a date."))])
    kind = SelectField(
        _l("Kind"),
        choices=lambda: [SelectChoice(k.value, str(DAY_KIND_LABELS[k])) for k in DayKind],
        validators=[DataRequired()],
    )
    name_kk = StringField(_l("Name in Kazakh"), validators=[Optional(), Length(max=200)])
    name_ru = StringField(_l("Name in Russian"), validators=[Optional(), Length(max=200)])
    name_en = StringField(_l("Name in English"), validators=[Optional(), Length(max=200)])
    source = StringField(_l("Source (e.g. Government resolution)"), validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("Save"))


class DeleteDayForm(FlaskForm):
    submit = SubmitField(_l("Remove"))


def _require_admin():
    if not current_user.is_admin:
        abort(403)


@bp.route("/", methods=["GET", "POST"])
@login_required
def index():
    _require_admin()
    try:
        year = int(request.args.get("year", utcnow().year))
    except ValueError:
        year = utcnow().year
    year = min(max(year, 2000), 2100)
    form = CalendarDayForm()
    if form.validate_on_submit():
        set_day(
            form.day.data,
            DayKind(form.kind.data),
            {"kk": form.name_kk.data or "", "ru": form.name_ru.data or "", "en": form.name_en.data or ""},
            form.source.data or "",
            current_user,
        )
        commit()
        flash(_("The calendar was updated."), "success")
        return redirect(url_for("calendar.index", year=form.day.data.year))
    rows = entries_of_year(year)
    return render_template(
        "core/calendar.html",
        year=year,
        form=form,
        rows=rows,
        days=days_off(year),
        delete_form=DeleteDayForm(),
        kind_labels=DAY_KIND_LABELS,
    )


@bp.post("/<day>/delete")
@login_required
def delete(day: str):
    _require_admin()
    form = DeleteDayForm()
    try:
        when = date.fromisoformat(day)
    except ValueError:
        abort(404)
    if form.validate_on_submit() and remove_day(when, current_user):
        commit()
        flash(_("The day was removed from the calendar."), "success")
    return redirect(url_for("calendar.index", year=when.year))


# --- CLI ---------------------------------------------------------------------------------------

calendar_cli = AppGroup("calendar", help="The working-day calendar.")


@calendar_cli.command("show")
@click.argument("year", type=int)
def show_command(year: int) -> None:
    """List the days off (besides weekends) and weekend working days of YEAR."""
    for day, label in days_off(year):
        click.echo(f"{day.isoformat()}  {day.strftime('%a')}  {label}")


@calendar_cli.command("set")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.argument("kind", type=click.Choice([k.value for k in DayKind]))
@click.option("--name-kk", default="")
@click.option("--name-ru", default="")
@click.option("--name-en", default="")
@click.option("--source", default="")
def set_command(day, kind, name_kk, name_ru, name_en, source) -> None:
    """Record a moveable holiday or a Government day-off transfer."""
    set_day(day.date(), DayKind(kind), {"kk": name_kk, "ru": name_ru, "en": name_en}, source)
    commit()
    click.echo(f"{day.date().isoformat()} set to {kind}")
