"""The hot path (``petitions.hot``) on PostgreSQL, through the whole WSGI stack with CSRF on: a signature it
serves is exact and lands where the view's would; everything it must not serve reaches the view untouched and
is explained there; page reads come from the cache with the exact count; and many signers at once through it
are counted exactly, with the hand-over made once.

Its statements run on connections of their own, outside the ``db`` fixture's rolled-back transaction, so these
tests use the committed database of ``test_signing_pg``.
"""

from __future__ import annotations

import random
import re
import threading

import pytest
import sqlalchemy as sa
from flask import g, request_started, session
from flask_login import login_user
from flask_wtf.csrf import generate_csrf

from core.accounts.models import User
from core.db import commit
from core.db import db as _db
from tests.petitions.test_signing_pg import _citizens, _collecting, _look, race_app  # noqa: F401 - a fixture

from .test_signing_pg import pytestmark  # noqa: F401 - PostgreSQL only

CANDIDATE = re.compile(r'data-signatures="(\d+)"')


@pytest.fixture
def hot_app(race_app, monkeypatch):  # noqa: F811 - the imported fixture
    """The race database's app with CSRF and rate limits on, as in production, and the page cache on."""
    from petitions import views

    monkeypatch.setitem(race_app.config, "WTF_CSRF_ENABLED", True)
    monkeypatch.setitem(race_app.config, "RATELIMIT_ENABLED", True)
    monkeypatch.setitem(race_app.config, "PETITIONS_PAGE_CACHE_SECONDS", 60)
    race_app.extensions.pop("petitions_sign_windows", None)
    views.forget_pages()
    yield race_app
    views.forget_pages()


def signed_in(app, user_id: int):
    """A test client holding ``user_id``'s signed-in session (a real cookie) and its form token."""
    serializer = app.session_interface.get_signing_serializer(app)
    with app.test_request_context(environ_base={"REMOTE_ADDR": "127.0.0.1"}):
        login_user(_db.session.get(User, user_id))
        g.pop("csrf_token", None)
        token = generate_csrf()
        cookie = serializer.dumps(dict(session))
        _db.session.remove()
    client = app.test_client()
    client.set_cookie("session", cookie)
    return client, token


class Paths:
    """Which path served: the full path runs Flask (``request_started``) and ``services.sign_once``."""

    def __init__(self, app, monkeypatch):
        from petitions import services

        self.flask = 0
        self.full_signs = 0
        real = services.sign_once

        def counted(*args, **kwargs):
            self.full_signs += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(services, "sign_once", counted)
        request_started.connect(self._started, app)
        self._app = app

    def _started(self, _sender, **_extra):
        self.flask += 1

    def close(self):
        request_started.disconnect(self._started, self._app)


@pytest.fixture
def paths(hot_app, monkeypatch):
    watcher = Paths(hot_app, monkeypatch)
    yield watcher
    watcher.close()


def test_a_signature_takes_the_hot_path_and_thanks_the_signer(hot_app, paths):
    petition_id, _author, (first, second) = _collecting(hot_app, "hot", threshold=1000, initial=1, signers=2)
    client, token = signed_in(hot_app, first)

    response = client.post(f"/petitions/{petition_id}/sign", data={"csrf_token": token})

    assert response.status_code == 302
    assert response.headers["Location"] == f"/petitions/{petition_id}?signed=1#sign"
    assert response.headers["Content-Security-Policy"] and response.headers["X-Frame-Options"] == "DENY"
    assert paths.flask == 0 and paths.full_signs == 0  # Flask never ran
    found = _look(hot_app, petition_id)
    assert found.rows == found.total == found.tally == 1 and found.signer_ids == {first}
    page = client.get(response.headers["Location"])
    assert "Thank you, your signature is counted." in page.get_data(as_text=True)
    # the same signer again: the full path explains it, and nothing changes
    again = client.post(f"/petitions/{petition_id}/sign", data={"csrf_token": token})
    assert again.status_code == 302 and "signed=" not in again.headers["Location"]
    assert paths.full_signs == 1
    assert "already signed" in client.get(again.headers["Location"]).get_data(as_text=True)
    assert _look(hot_app, petition_id).rows == 1
    with hot_app.app_context():
        signature = _db.session.execute(
            sa.text(
                "SELECT user_id, public_name, settlement_code, region_code, district_code FROM signatures "
                "WHERE petition_id = :p"
            ),
            {"p": petition_id},
        ).one()
        _db.session.remove()
    assert tuple(signature) == (first, "Айгүл С.", "623633100", "620000000", "623600000")
    assert _look(hot_app, petition_id).signer_ids == {first} and second not in {first}


def _setup_case(app, case: str, petition_id: int, user_id: int, token: str, client):
    """Make ``case`` true for this signer; the form data to post."""
    data = {"csrf_token": token}
    with app.app_context():
        if case == "stale session":  # the password was changed elsewhere: the session is dead
            _db.session.execute(
                sa.update(User).where(User.id == user_id).values(session_version=User.session_version + 1)
            )
        elif case == "deactivated":
            _db.session.execute(sa.update(User).where(User.id == user_id).values(active=False))
        elif case == "not a resident":
            _db.session.execute(sa.update(User).where(User.id == user_id).values(home_territory_code="110000000"))
        elif case == "no IIN":
            _db.session.execute(sa.update(User).where(User.id == user_id).values(iin_hash=None))
        elif case == "unverified":
            _db.session.execute(sa.update(User).where(User.id == user_id).values(email_verified_at=None))
        commit()
        _db.session.remove()
    if case == "bad token":
        data["csrf_token"] = token[:-3] + "abc"
    elif case == "no token":
        data = {}
    elif case == "no session":
        client.delete_cookie("session")
    return data


@pytest.mark.parametrize(
    ("case", "says"),
    [
        ("bad token", "Your form expired or was sent from elsewhere"),
        ("no token", "Your form expired or was sent from elsewhere"),
        ("no session", "Your form expired or was sent from elsewhere"),
        ("stale session", "Please sign in"),
        ("deactivated", "Please sign in"),
        ("not a resident", "Only residents of"),
        ("no IIN", "Add your IIN"),
        ("unverified", "Confirm your email address"),
    ],
)
def test_what_the_hot_path_must_not_serve_reaches_the_view(hot_app, paths, case, says):
    petition_id, _author, (user_id,) = _collecting(hot_app, f"fall-{case[:5]}", threshold=1000, initial=1, signers=1)
    client, token = signed_in(hot_app, user_id)
    data = _setup_case(hot_app, case, petition_id, user_id, token, client)

    response = client.post(f"/petitions/{petition_id}/sign", data=data, follow_redirects=True)

    assert paths.flask >= 1  # the full path answered
    assert says in response.get_data(as_text=True)
    assert _look(hot_app, petition_id).rows == 0


def test_the_rate_limits_count_once_whichever_path_serves(hot_app, paths, monkeypatch):
    monkeypatch.setitem(hot_app.config, "PETITIONS_SIGN_LIMIT", "3 per minute")
    ids = []
    for n in range(2):
        petition_id, _author, _signers = _collecting(hot_app, f"limit{n}", threshold=1000, initial=1, signers=0)
        ids.append(petition_id)
    with hot_app.app_context():
        (user_id,) = [u.id for u in _citizens("limited", 1)]
        commit()
        _db.session.remove()
    client, token = signed_in(hot_app, user_id)
    statuses = [
        client.post(f"/petitions/{pid}/sign", data={"csrf_token": token}).status_code
        for pid in (ids[0], ids[0], ids[1], ids[1])  # hot, full (a repeat), hot, and over the limit
    ]
    assert statuses == [302, 302, 302, 429]
    assert paths.full_signs == 1


def test_readers_get_the_cached_page_with_the_exact_count(hot_app, paths, monkeypatch):
    from petitions import services

    petition_id, _author, signers = _collecting(hot_app, "reader", threshold=1000, initial=1, signers=3)
    reader = hot_app.test_client()
    url = f"/petitions/{petition_id}"

    first = reader.get(url, headers={"Accept-Language": "ru"})
    assert paths.flask == 1
    second = reader.get(url, headers={"Accept-Language": "ru"})
    assert paths.flask == 1  # from the cache, without Flask
    assert second.status_code == 200 and second.get_data() == first.get_data()
    assert second.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]
    assert second.headers["Content-Type"] == "text/html; charset=utf-8"
    assert CANDIDATE.search(second.get_data(as_text=True)).group(1) == "0"

    client, token = signed_in(hot_app, signers[0])
    assert client.post(f"{url}/sign", data={"csrf_token": token}).status_code == 302
    after = reader.get(url, headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert CANDIDATE.search(after).group(1) == "1"  # exact at once (the page was listed: rendered anew)
    other, other_token = signed_in(hot_app, signers[1])
    assert other.post(f"{url}/sign", data={"csrf_token": other_token}).status_code == 302
    heads = []
    real_head = services.page_head
    monkeypatch.setattr(services, "page_head", lambda *a, **k: heads.append(a) or real_head(*a, **k))
    after = reader.get(url, headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert CANDIDATE.search(after).group(1) == "2"  # the count part rendered anew, into the cached page
    assert len(heads) == 1  # the view used the head the hot path had read
    monkeypatch.setattr(services, "page_head", real_head)
    flask_runs = paths.flask
    assert CANDIDATE.search(reader.get(url, headers={"Accept-Language": "ru"}).get_data(as_text=True)).group(1) == "2"
    assert paths.flask == flask_runs

    # another language is another page; ?lang= first goes through Flask, which remembers it in the session
    kazakh = reader.get(f"{url}?lang=kk")
    assert kazakh.status_code == 200 and 'lang="kk"' in kazakh.get_data(as_text=True)
    assert paths.flask == flask_runs + 1
    again = reader.get(f"{url}?lang=kk")
    assert again.get_data() == kazakh.get_data() and paths.flask == flask_runs + 1
    # a signed-in reader always gets their own page from Flask
    client.get(url)
    assert paths.flask == flask_runs + 2


def test_many_signers_at_once_through_the_hot_path_are_counted_exactly(hot_app, monkeypatch):
    monkeypatch.setitem(hot_app.config, "PETITIONS_SIGN_IP_LIMIT", "100000 per minute")
    petition_id, _author, signers = _collecting(hot_app, "hotmany", threshold=10_000, initial=20, signers=240)
    twice = random.Random(4).sample(signers, 30)
    work = [(u, *signed_in(hot_app, u)) for u in signers + twice]
    random.Random(5).shuffle(work)
    results: list[tuple[int, int, str]] = []
    lock = threading.Lock()
    it = iter(work)

    def worker():
        while True:
            with lock:
                item = next(it, None)
            if item is None:
                return
            user_id, client, token = item
            response = client.post(f"/petitions/{petition_id}/sign", data={"csrf_token": token})
            with lock:
                results.append((user_id, response.status_code, response.headers.get("Location", "")))

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)

    accepted = [u for u, status, where in results if status == 302 and "signed=" in where]
    assert sorted(accepted) == sorted(signers)  # each signer exactly once; every repeat turned away
    assert len(results) == len(work) and all(status == 302 for _u, status, _w in results)
    found = _look(hot_app, petition_id)
    assert found.rows == found.total == found.tally == len(signers)
    assert found.repeated_iins == []
    page = hot_app.test_client().get(f"/petitions/{petition_id}").get_data(as_text=True)
    assert CANDIDATE.search(page).group(1) == str(len(signers))


def test_the_hot_path_hands_over_once_at_the_threshold(hot_app):
    from petitions.models import PetitionState

    petition_id, _author, signers = _collecting(hot_app, "hothand", threshold=12, initial=1, signers=30)
    work = [(u, *signed_in(hot_app, u)) for u in signers]
    results: list[tuple[int, str]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(work))

    def sign(user_id, client, token):
        barrier.wait(timeout=60)
        response = client.post(f"/petitions/{petition_id}/sign", data={"csrf_token": token})
        with lock:
            results.append((user_id, response.headers.get("Location", "")))

    threads = [threading.Thread(target=sign, args=item) for item in work]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)

    found = _look(hot_app, petition_id)
    accepted = {u for u, where in results if "signed=" in where}
    assert found.state == PetitionState.REACHED and len(found.case_ids) == 1
    assert found.rows == found.tally == found.final_count == len(accepted) >= 12
    assert set(found.participants) >= accepted  # every accepted signer is carried into the case
    assert sum("signed=reached" in where for _u, where in results) == 1


def test_a_lost_connection_is_replaced_on_the_way(hot_app):
    from core.db import autocommit_connection
    from petitions import services

    petition_id, _author, _signers = _collecting(hot_app, "lost", threshold=1000, initial=1, signers=0)
    with hot_app.app_context():
        assert services.page_head(petition_id, outside_transaction=True) is not None
        backend = autocommit_connection(_db.engine).info.backend_pid
        _db.session.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        _db.session.remove()
        head = services.page_head(petition_id, outside_transaction=True)  # a server restart, as the thread sees it
        assert head is not None and head.counts.total == 0
        assert autocommit_connection(_db.engine).info.backend_pid != backend
