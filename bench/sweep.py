"""Benchmark: the feedback sweep over many open cases on PostgreSQL.

    .venv/bin/python bench/sweep.py [--cases 100000] [--mix day|heavy] [--users 20000] [--trace] [--explain] [--keep]

Drops and creates the database ``tyndau_bench`` on the server of DATABASE_URL (default
postgresql://postgres@127.0.0.1), creates the schema, loads the KATO sample and the authority ladder, and
inserts the cases in bulk (server-side ``generate_series``, no Python loop over rows), spread over every
authority and over the states the sweep deals with:

    open, not due yet        untouched                   answered, window open   untouched (or closed early
    due, not yet marked      -> overdue                                          when everyone has rated)
    overdue for long         -> escalated                answered, window ended  -> resolved / escalated
    filed long ago, unmarked -> overdue, then escalated  at the Kurultai, unhappy -> closed
    final states             untouched

Then it times ``sweep()`` + commit (notifications go to a queue that drops them) and a second sweep the same
day, which must change nothing. ``--trace`` prints every statement of the sweep with its time.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import KATO_SAMPLE, drop_database, recreate_database, server_url, timed  # noqa: E402

DATABASE = "tyndau_bench"
ON = date(2026, 3, 2)  # a Monday: the day the sweep runs

#: (share of the cases in per mille, what they are), per mix. "day": what a daily sweep meets (about 15 % of the
#: cases change); "heavy": the first sweep after a long stop (41 % change, 14 % escalate at once).
MIXES = {
    "day": (
        (600, "open"),  # opened/awaiting, not due yet
        (50, "due"),  # due 1-5 working days ago, not yet marked: becomes overdue
        (10, "late"),  # marked overdue, more than 5 working days late: escalates
        (5, "forgotten"),  # opened long ago, never marked: overdue and escalated in one run
        (150, "rating"),  # answered, rating window still open
        (10, "all_rated"),  # answered, window open, every participant rated: closes early, resolved
        (60, "resolve"),  # answered, window ended, satisfied or no ratings: resolved
        (15, "unhappy"),  # answered, window ended, dissatisfied majority: escalates
        (5, "top"),  # at the Kurultai, answered, dissatisfied: closed unresolved
        (95, "final"),  # resolved / withdrawn already
    ),
    "heavy": (
        (350, "open"),
        (100, "due"),
        (60, "late"),
        (30, "forgotten"),
        (200, "rating"),
        (20, "all_rated"),
        (100, "resolve"),
        (50, "unhappy"),
        (20, "top"),
        (70, "final"),
    ),
}


class NullQueue:
    """Takes the jobs the sweep queues after commit and drops them: mail is not timed."""

    def __init__(self):
        self.jobs = 0

    def enqueue(self, *args, **kwargs):
        self.jobs += 1


def dates(on: date) -> dict[str, list[date]]:
    """The handful of dates the generated rows pick from, by what they are for."""
    from core.calendar import add_working_days
    from feedback.services import working_days_cutoff

    cutoff = working_days_cutoff(on, 5)  # due on or before: more than 5 working days late
    ahead = [add_working_days(on, k) for k in range(0, 15)]
    due = [d for d in (add_working_days(cutoff, k) for k in range(1, 8)) if cutoff < d < on]
    late = [working_days_cutoff(cutoff, k) for k in range(0, 10)]
    assert due and late
    return {
        "ahead": ahead,  # due today or later
        "due": due,  # 1-5 working days late
        "late": late,  # more than 5 working days late
        "window_open": ahead[:10],  # rating windows closing today or later
        "window_ended": [working_days_cutoff(on, k) for k in range(0, 8)],  # closed before today
    }


def fill(n_cases: int, n_users: int, mix) -> dict[str, int]:
    """Users, cases, participants and ratings, all by INSERT ... SELECT over generate_series."""
    from core.authorities.models import Authority, AuthorityKind
    from core.db import db

    s = db.session
    s.execute(
        sa.text(
            "INSERT INTO users (email, password_hash, display_name, locale, active, session_version, created_at) "
            "SELECT 'bench' || g || '@example.kz', 'x', 'Bench Citizen ' || g, "
            "(ARRAY['kk','ru','en'])[1 + g % 3], true, 1, now() FROM generate_series(1, :n) g"
        ),
        {"n": n_users},
    )
    below = list(
        s.scalars(sa.select(Authority.id).where(Authority.kind != AuthorityKind.KURULTAI).order_by(Authority.id))
    )
    top = s.scalar(sa.select(Authority.id).where(Authority.kind == AuthorityKind.KURULTAI))
    first_user = s.scalar(sa.text("SELECT min(id) FROM users"))
    d = dates(ON)

    def pick(name: str) -> str:
        values = ",".join(f"DATE '{x.isoformat()}'" for x in d[name])
        return f"(ARRAY[{values}])[1 + (g / 7) % {len(d[name])}]"

    counts = {}
    start = 0
    for share, what in mix:
        n = n_cases * share // 1000 if what != mix[-1][1] else n_cases - start
        counts[what] = n
        authority = f"{top}" if what == "top" else f"(ARRAY[{','.join(map(str, below))}])[1 + g % {len(below)}]"
        state, due, extra_cols, extra_vals = {
            "open": ("CASE WHEN g % 2 = 0 THEN 'opened' ELSE 'awaiting' END", pick("ahead"), "", ""),
            "due": ("CASE WHEN g % 2 = 0 THEN 'opened' ELSE 'awaiting' END", pick("due"), "", ""),
            "late": ("'overdue'", pick("late"), ", overdue_since", ", DATE '2026-01-05'"),
            "forgotten": ("'opened'", pick("late"), "", ""),
            "rating": ("'answered'", pick("late"), ", rating_closes_on", ", " + pick("window_open")),
            "all_rated": ("'answered'", pick("late"), ", rating_closes_on", ", " + pick("window_open")),
            "resolve": ("'answered'", pick("late"), ", rating_closes_on", ", " + pick("window_ended")),
            "unhappy": ("'answered'", pick("late"), ", rating_closes_on", ", " + pick("window_ended")),
            "top": ("'answered'", pick("late"), ", rating_closes_on", ", " + pick("window_ended")),
            "final": ("CASE WHEN g % 2 = 0 THEN 'resolved' ELSE 'withdrawn' END", pick("late"), "", ""),
        }[what]
        answered = what in ("rating", "all_rated", "resolve", "unhappy", "top")
        if answered:
            extra_cols += ", decision, answered_at, answered_on_time, answer_working_days"
            extra_vals += ", 'not_supported', now() - interval '5 days', true, 10"
        if what == "final":
            extra_cols += ", closed_at"
            extra_vals += ", now() - interval '20 days'"
        s.execute(
            sa.text(
                "INSERT INTO cases (source, state, title, body, territory_code, authority_id, author_id, "  # noqa: S608
                "opened_at, received_on, due_on, level, created_at, source_ref" + extra_cols + ") "
                f"SELECT 'proposal', {state}, 'Bench case ' || g, 'Drinking water in the village, case ' || g, "
                f"NULL, {authority}, {first_user} + g % :users, now(), DATE '2026-01-05', {due}, 0, now(), "
                f"'{what}'" + extra_vals + f" FROM generate_series({start + 1}, {start + n}) g"
            ),
            {"users": n_users},
        )
        start += n
    s.execute(sa.text("UPDATE cases SET root_id = id"))
    # Participants: the author, and a second person on every third case.
    s.execute(
        sa.text(
            "INSERT INTO case_participants (case_id, user_id, role, joined_at) "
            "SELECT id, author_id, 'author', now() FROM cases "
            "UNION ALL "
            "SELECT id, :first + (author_id - :first + 1) % :users, 'signer', now() FROM cases WHERE id % 3 = 0"
        ),
        {"first": first_user, "users": n_users},
    )
    # Ratings: the author, by what the case is for; on "all_rated" every participant.
    s.execute(
        sa.text(
            "INSERT INTO ratings (case_id, user_id, satisfied, created_at) "
            "SELECT c.id, p.user_id, c.source_ref NOT IN ('unhappy', 'top'), now() "
            "FROM cases c JOIN case_participants p ON p.case_id = c.id "
            "WHERE (c.source_ref IN ('unhappy', 'top') AND p.role = 'author') "
            "OR (c.source_ref = 'rating' AND p.role = 'author' AND c.id % 3 = 0) "
            "OR c.source_ref = 'all_rated' OR (c.source_ref = 'resolve' AND c.id % 2 = 0 AND p.role = 'author')"
        )
    )
    s.execute(sa.text("UPDATE cases SET source_ref = NULL"))
    return counts


def expected(counts: dict[str, int]) -> dict[str, int]:
    return {
        "overdue": counts["due"] + counts["forgotten"],
        "resolved": counts["resolve"] + counts["all_rated"],
        "closed": counts["top"],
        "escalated": counts["late"] + counts["forgotten"] + counts["unhappy"],
    }


def trace(engine):
    """Print each statement the sweep runs, with its time."""
    started = {}

    @sa.event.listens_for(engine, "before_cursor_execute")
    def before(conn, cursor, statement, parameters, context, executemany):
        started[id(cursor)] = time.perf_counter()

    @sa.event.listens_for(engine, "after_cursor_execute")
    def after(conn, cursor, statement, parameters, context, executemany):
        elapsed = time.perf_counter() - started.pop(id(cursor), time.perf_counter())
        print(f"    {elapsed * 1000:8.1f} ms  {' '.join(statement.split())[:110]}", flush=True)


def explain(engine):
    """Print the plan (EXPLAIN ANALYZE, run in a savepoint that is rolled back) of each slow write the sweep runs."""

    @sa.event.listens_for(engine, "before_cursor_execute")
    def before(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("INSERT INTO CASE", "UPDATE CASES")):
            return
        cursor.execute("SAVEPOINT bench_explain")
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
        plan = "\n".join(f"      {row[0]}" for row in cursor.fetchall())
        cursor.execute("ROLLBACK TO SAVEPOINT bench_explain")
        print(f"    {' '.join(statement.split())[:110]}\n{plan}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--mix", choices=sorted(MIXES), default="day", help="what share of the cases the sweep changes")
    parser.add_argument("--trace", action="store_true", help="print every statement of the sweeps with its time")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the sweep's writes")
    parser.add_argument("--keep", action="store_true", help=f"keep the {DATABASE} database afterwards")
    args = parser.parse_args()

    from core.authorities.services import generate_ladder
    from core.db import commit, db
    from core.territories.services import import_file
    from feedback.models import Case
    from feedback.services import sweep
    from wsgi import create_app

    try:
        url = recreate_database(server_url(), DATABASE)
    except sa.exc.OperationalError as exc:
        print(f"sweep benchmark skipped: no PostgreSQL ({str(exc).splitlines()[0]})")
        return
    print(f"PostgreSQL: {url.render_as_string(hide_password=True).split('@')[-1]}")
    with tempfile.TemporaryDirectory() as instance:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url.render_as_string(hide_password=False),
                "SECRET_KEY": "bench",
                "IIN_HASH_KEY": "bench",
                "REDIS_URL": None,
                "MAIL_OUTBOX": str(Path(instance) / "outbox"),
                "RATELIMIT_ENABLED": False,
            }
        )
        queue = NullQueue()
        app.extensions["tyndau_queue"] = queue
        try:
            with app.app_context():
                db.create_all()
                import_file(KATO_SAMPLE)
                generate_ladder()
                commit()
                counts, _ = timed(
                    f"insert {args.cases:,} cases", lambda: (fill(args.cases, args.users, MIXES[args.mix]), commit())[0]
                )
                timed("vacuum analyze", lambda: vacuum(db.engine))
                print(f"  cases by kind ({args.mix} mix): {counts}")
                if args.explain:
                    explain(db.engine)
                if args.trace:
                    trace(db.engine)
                result, first = timed("sweep + commit", lambda: (sweep(ON), commit())[0])
                print(
                    f"  sweep: {result.overdue:,} overdue, {result.resolved:,} resolved, {result.closed:,} closed, "
                    f"{result.escalated:,} escalated ({result.changed:,} changes; {queue.jobs} job queued)"
                )
                want = expected(counts)
                got = {k: getattr(result, k) for k in want}
                if got != want:
                    print(f"  MISMATCH: expected {want}")
                again, second = timed("second sweep, same day + commit", lambda: (sweep(ON), commit())[0])
                print(f"  second sweep: {again.changed} changes")
                total = db.session.scalar(sa.select(sa.func.count()).select_from(Case))
                print(
                    f"  cases now {total:,}; first sweep {first:.2f} s, second {second:.2f} s "
                    f"(target < 2 s at 100,000 cases, < 10 s at 1,000,000)"
                )
                db.session.remove()
                db.engine.dispose()
                if got != want or again.changed:
                    sys.exit(1)
        finally:
            if not args.keep:
                with app.app_context():
                    db.engine.dispose()
                drop_database(url, DATABASE)


def vacuum(engine) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))


if __name__ == "__main__":
    main()
