"""Benchmark: one petition going viral. Concurrent signing of one petition, then reading its page.

    .venv/bin/python bench/sign.py [--signers 6000] [--concurrency 32] [--workers 2] [--threads 4]
                                   [--reads 8000] [--keep]

Drops and creates the database ``tyndau_bench_sign`` on the server of DATABASE_URL (default
postgresql://postgres@127.0.0.1), creates the schema, loads the KATO sample and the authority ladder, files a
petition to the Government through the services and publishes it, and creates the signers: verified accounts
with an IIN and a home place, each with a signed-in session (a real Flask session cookie and CSRF token, made
with the app's secret key, so no password hashing is timed).

Then it starts the app under gunicorn (gthread workers) on PostgreSQL and drives it from this process with
``--concurrency`` keep-alive connections (asyncio, raw HTTP/1.1, so the load generator stays light on the
same two cores):

1. every signer POSTs /petitions/<id>/sign once, as fast as the server answers;
2. ``--reads`` GETs of /petitions/<id> (anonymous).

It prints requests per second and p50/p95/p99 latency for each; the CPU time each request cost the app, PostgreSQL
and the load generator (which depends much less on what else the machine is doing than the rates do); checks
that accepted signatures, rows, the tally and the count the page shows are all equal and that no IIN signed
twice; and prints each gunicorn worker's resident memory. The per-address signing limit is raised for the run
(every request comes from 127.0.0.1).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import KATO_SAMPLE, ROOT, drop_database, recreate_database, server_url, timed  # noqa: E402

DATABASE = "tyndau_bench_sign"
SECRET_KEY = "bench-sign-secret"  # noqa: S105 - a throwaway database
IIN_HASH_KEY = "bench-sign-iin"
USER_AGENT = "tyndau-bench/1"
HOME = "623633100"  # a village of the KATO sample


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(app, n_signers: int) -> tuple[int, list[tuple[str, str]]]:
    """The petition and the signers' (cookie, csrf token), committed."""
    import sqlalchemy as sa
    from flask import g, session
    from flask_login import login_user
    from flask_wtf.csrf import generate_csrf

    from core.accounts.models import Role, User
    from core.accounts.services import grant_role, hash_password
    from core.authorities.services import find_authority, generate_ladder
    from core.db import commit, db, utcnow
    from core.territories.services import import_file
    from petitions import services

    with app.app_context():
        db.create_all()
        import_file(KATO_SAMPLE)
        generate_ladder()
        commit()
        password = hash_password("bench password")
        now = utcnow()
        author = User(
            email="author@bench.kz",
            password_hash=password,
            display_name="Айгүл Серікова",
            locale="kk",
            email_verified_at=now,
            iin_hash=hashlib.sha256(b"author").hexdigest(),
            home_territory_code=HOME,
        )
        moderator = User(email="moderator@bench.kz", password_hash=password, display_name="Moderator", locale="en")
        db.session.add_all([author, moderator])
        db.session.flush()
        grant_role(moderator, Role.MODERATOR)
        petition = services.create_draft(
            author,
            HOME,
            find_authority("government"),
            "animals",
            "Гуманная программа для бездомных животных вместо отлова и усыпления",
            "Просим Правительство принять программу отлова, стерилизации, вакцинации и возврата (ОСВВ) "
            "бездомных животных и финансировать приюты вместо усыпления.",
        )
        services.submit(petition, author, acknowledged=True)
        services.take(petition, moderator)
        services.publish(petition, moderator)
        commit()
        petition_id = petition.id
        db.session.execute(
            sa.insert(User),
            [
                {
                    "email": f"signer{i}@bench.kz",
                    "password_hash": password,
                    "display_name": f"Signer{i} Benchov",
                    "locale": ("kk", "ru", "en")[i % 3],
                    "email_verified_at": now,
                    "iin_hash": hashlib.sha256(f"iin-{i}".encode()).hexdigest(),
                    "home_territory_code": HOME,
                    "active": True,
                    "session_version": 1,
                    "created_at": now,
                }
                for i in range(n_signers)
            ],
        )
        commit()
        ids = list(db.session.scalars(sa.select(User.id).where(User.email.like("signer%")).order_by(User.id)))
        serializer = app.session_interface.get_signing_serializer(app)
        sessions = []
        environ = {"REMOTE_ADDR": "127.0.0.1"}
        for user_id in ids:
            with app.test_request_context(environ_base=environ, headers={"User-Agent": USER_AGENT}):
                user = db.session.get(User, user_id)
                login_user(user)
                g.pop("csrf_token", None)  # Flask-WTF caches the token in g, shared by the outer app context
                token = generate_csrf()
                cookie = serializer.dumps(dict(session))
                db.session.expunge(user)
            sessions.append((cookie, token))
    return petition_id, sessions


# -- the load generator ---------------------------------------------------------------------------------


class Connection:
    """One keep-alive HTTP/1.1 connection; reconnects when the server closes it."""

    def __init__(self, port: int):
        self.port = port
        self.reader = self.writer = None

    async def request(self, raw: bytes) -> tuple[int, bytes, bytes]:
        for attempt in (1, 2):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
            try:
                self.writer.write(raw)
                await self.writer.drain()
                head = await self.reader.readuntil(b"\r\n\r\n")
                break
            except (asyncio.IncompleteReadError, ConnectionError):
                self.close()
                if attempt == 2:
                    raise
        status = int(head[9:12])
        length = 0
        close = False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        body = await self.reader.readexactly(length) if length else b""
        if close:
            self.close()
        return status, head, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def drive(port: int, requests: list[bytes], concurrency: int) -> tuple[list[float], list[int], float]:
    """Send every request over ``concurrency`` connections; latencies (s), statuses, wall time."""
    latencies: list[float] = []
    statuses: list[int] = []
    queue = iter(requests)

    async def worker() -> None:
        connection = Connection(port)
        for raw in queue:
            started = time.perf_counter()
            status, _head, _body = await connection.request(raw)
            latencies.append(time.perf_counter() - started)
            statuses.append(status)
        connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, statuses, time.perf_counter() - started


def sign_request(petition_id: int, cookie: str, token: str) -> bytes:
    body = f"csrf_token={token}".encode()
    return (
        f"POST /petitions/{petition_id}/sign HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: {USER_AGENT}\r\n"
        f"Cookie: session={cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\nAccept-Language: ru\r\n\r\n"
    ).encode() + body


def read_request(petition_id: int) -> bytes:
    return (
        f"GET /petitions/{petition_id} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: {USER_AGENT}\r\n"
        "Accept-Language: ru\r\n\r\n"
    ).encode()


def report(label: str, latencies: list[float], statuses: list[int], wall: float) -> None:
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

    by_status: dict[int, int] = {}
    for s in statuses:
        by_status[s] = by_status.get(s, 0) + 1
    print(
        f"  {label:<26} {len(latencies) / wall:8.0f} req/s   p50 {pct(0.50):6.1f} ms   p95 {pct(0.95):6.1f} ms   "
        f"p99 {pct(0.99):6.1f} ms   mean {statistics.fmean(latencies) * 1000:6.1f} ms   "
        f"({len(latencies):,} in {wall:.2f} s; statuses {by_status})",
        flush=True,
    )


# -- gunicorn ---------------------------------------------------------------------------------------------


def start_gunicorn(url: str, port: int, workers: int, threads: int, instance: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": SECRET_KEY,
        "IIN_HASH_KEY": IIN_HASH_KEY,
        "REDIS_URL": "",
        "SMTP_HOST": "",
        "FLASK_PETITIONS_SIGN_IP_LIMIT": "1000000 per minute",
        "FLASK_MAIL_OUTBOX": str(Path(instance) / "outbox"),
    }
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--keep-alive",
        "30",
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "wsgi:create_app()",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)  # noqa: S603
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("gunicorn did not start")


TICKS = os.sysconf("SC_CLK_TCK")


def _processes():
    """(pid, command name, parent pid, CPU seconds so far) of every process."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        name = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        yield int(entry.name), name, int(fields[1]), (int(fields[11]) + int(fields[12])) / TICKS


def cpu_snapshot(master: int) -> dict[str, float]:
    """CPU seconds used so far by the gunicorn workers, by PostgreSQL, and by this load generator."""
    app = pg = 0.0
    for _pid, name, parent, seconds in _processes():
        if parent == master:
            app += seconds
        elif name == "postgres" or name.startswith("postgres:"):
            pg += seconds
    return {"app": app, "postgres": pg, "load": time.process_time()}


def cpu_report(before: dict[str, float], after: dict[str, float], requests: int) -> str:
    parts = [f"{k} {(after[k] - before[k]) / requests * 1000:.2f}" for k in ("app", "postgres", "load")]
    return "CPU ms per request: " + ", ".join(parts)


def worker_memory(master: int) -> list[int]:
    """Resident memory (kB) of each gunicorn worker (the master's children)."""
    sizes = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        if re.search(rf"^PPid:\s+{master}$", status, re.M):
            match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
            if match:
                sizes.append(int(match.group(1)))
    return sorted(sizes)


def warm_up(port: int, petition_id: int, workers: int, threads: int) -> None:
    """A few page reads so each worker has built the app and opened its connections before timing."""
    asyncio.run(drive(port, [read_request(petition_id)] * (workers * threads * 8), workers * threads))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--signers", type=int, default=6000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--reads", type=int, default=8000)
    parser.add_argument("--keep", action="store_true", help=f"keep the {DATABASE} database afterwards")
    args = parser.parse_args()

    import sqlalchemy as sa

    from core.db import db
    from petitions.models import Signature
    from petitions.services import counts
    from wsgi import create_app

    try:
        url = recreate_database(server_url(), DATABASE)
    except sa.exc.OperationalError as exc:
        print(f"signing benchmark skipped: no PostgreSQL ({str(exc).splitlines()[0]})")
        return
    plain_url = url.render_as_string(hide_password=False).replace("postgresql+psycopg://", "postgresql://")
    print(f"PostgreSQL: {url.render_as_string(hide_password=True).split('@')[-1]}")
    with tempfile.TemporaryDirectory() as instance:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url.render_as_string(hide_password=False),
                "SECRET_KEY": SECRET_KEY,
                "IIN_HASH_KEY": IIN_HASH_KEY,
                "REDIS_URL": None,
                "MAIL_OUTBOX": str(Path(instance) / "outbox"),
                "RATELIMIT_ENABLED": False,
            }
        )
        (petition_id, sessions), _ = timed(
            f"create a petition and {args.signers:,} signers", lambda: prepare(app, args.signers)
        )
        with app.app_context():
            db.engine.dispose()
        port = free_port()
        print(
            f"gunicorn: {args.workers} gthread workers × {args.threads} threads; "
            f"{args.concurrency} concurrent connections from this process"
        )
        server = start_gunicorn(plain_url, port, args.workers, args.threads, instance)
        try:
            warm_up(port, petition_id, args.workers, args.threads)
            requests = [sign_request(petition_id, cookie, token) for cookie, token in sessions]
            before = cpu_snapshot(server.pid)
            latencies, statuses, wall = asyncio.run(drive(port, requests, args.concurrency))
            after = cpu_snapshot(server.pid)
            report(f"sign one petition ({args.concurrency})", latencies, statuses, wall)
            print(f"  {'':<26} {cpu_report(before, after, len(requests))}")
            reads = [read_request(petition_id)] * args.reads
            before = cpu_snapshot(server.pid)
            latencies, statuses_r, wall = asyncio.run(drive(port, reads, args.concurrency))
            after = cpu_snapshot(server.pid)
            report(f"read its page ({args.concurrency})", latencies, statuses_r, wall)
            print(f"  {'':<26} {cpu_report(before, after, len(reads))}")
            status, _head, page = asyncio.run(_one(port, read_request(petition_id)))
            memory = worker_memory(server.pid)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        print(f"  worker resident memory: {', '.join(f'{kb / 1024:.0f} MB' for kb in memory)}")
        with app.app_context():
            rows = db.session.scalar(
                sa.select(sa.func.count()).select_from(Signature).where(Signature.petition_id == petition_id)
            )
            distinct = db.session.scalar(
                sa.select(sa.func.count(sa.distinct(Signature.iin_hash))).where(Signature.petition_id == petition_id)
            )
            tally = counts(petition_id).total
            db.engine.dispose()
        accepted = sum(1 for s in statuses if s in (302, 303))
        shown = re.search(rb'data-signatures="(\d+)"', page)
        shown_count = int(shown.group(1)) if shown else None
        ok = accepted == rows == distinct == tally == len(sessions) and shown_count in (None, tally)
        print(
            f"  counts: {accepted:,} accepted, {rows:,} rows, {distinct:,} distinct IINs, tally {tally:,}, "
            f"page shows {shown_count if shown_count is not None else '?'} — {'exact' if ok else 'MISMATCH'}"
        )
        if not args.keep:
            drop_database(url, DATABASE)
        if not ok or status != 200:
            raise SystemExit(1)


async def _one(port: int, raw: bytes):
    connection = Connection(port)
    try:
        return await connection.request(raw)
    finally:
        connection.close()


if __name__ == "__main__":
    main()
