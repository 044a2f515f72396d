import os

import pytest

from core import jobs
from core.db import commit
from core.db import db as _db

CALLS: list = []


def remember(*args):
    CALLS.append(args)


def fail_job(*args):
    raise RuntimeError("boom")


@pytest.fixture(autouse=True)
def _clear():
    CALLS.clear()
    yield
    CALLS.clear()


def test_inline_job_runs_only_after_commit(db):
    jobs.enqueue_after_commit(remember, 1, "a")
    assert CALLS == []
    commit()
    assert CALLS == [(1, "a")]
    commit()  # nothing queued twice
    assert CALLS == [(1, "a")]


def test_rollback_drops_queued_jobs(db):
    jobs.enqueue_after_commit(remember, 2)
    db.session.rollback()
    commit()
    assert CALLS == []


def test_failed_request_sends_nothing(client):
    from tests.conftest import TEST_JOB_CALLS

    TEST_JOB_CALLS.clear()
    response = client.get("/_test/queue-then-fail")
    assert response.status_code == 500
    commit()
    assert TEST_JOB_CALLS == []


def test_jobs_go_to_rq_when_configured(db, run_jobs):
    jobs.enqueue_after_commit(remember, 4)
    assert run_jobs.queue.count == 0
    commit()
    assert run_jobs.queue.count == 1
    assert CALLS == []
    assert run_jobs() == 1
    assert CALLS == [(4,)]


def test_job_path_round_trips():
    assert jobs.resolve(jobs.job_path(remember)) is remember


def test_inline_failure_is_raised_in_testing(db):
    jobs.enqueue_after_commit(fail_job)
    with pytest.raises(RuntimeError, match="boom"):
        commit()


def test_worker_requires_redis(app, runner):
    result = runner.invoke(args=["jobs", "worker", "--burst"])
    assert result.exit_code != 0
    assert "REDIS_URL" in result.output


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs a real Redis (REDIS_URL)")
def test_real_redis_worker_runs_jobs(app, db, monkeypatch):
    from redis import Redis
    from rq import Queue, SimpleWorker

    connection = Redis.from_url(os.environ["REDIS_URL"])
    queue = Queue("tyndau-test-real", connection=connection)
    queue.empty()
    monkeypatch.setitem(app.extensions, "tyndau_queue", queue)
    jobs.enqueue_after_commit(remember, 5)
    commit()
    assert queue.count == 1
    SimpleWorker([queue], connection=connection).work(burst=True)
    assert CALLS == [(5,)]
    _db.session.rollback()


def write_marker(path, text):
    with open(path, "w") as fh:
        fh.write(text)


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs a real Redis (REDIS_URL)")
def test_flask_jobs_worker_runs_queued_jobs_in_a_forked_horse(app, monkeypatch, tmp_path):
    """`flask jobs worker --burst` against real Redis: the job runs in rq's forked work horse."""
    from redis import Redis
    from rq import Queue

    connection = Redis.from_url(os.environ["REDIS_URL"])
    queue = Queue("tyndau-test-worker", connection=connection)
    queue.empty()
    monkeypatch.setitem(app.extensions, "tyndau_queue", queue)
    marker = tmp_path / "ran.txt"
    with app.app_context():  # a real engine (not the per-test connection): the worker disposes it before forking
        jobs.enqueue_after_commit(write_marker, str(marker), "done by the worker")
        commit()
        _db.session.remove()
    assert queue.count == 1
    result = app.test_cli_runner().invoke(args=["jobs", "worker", "--burst", "--no-scheduler"])
    assert result.exit_code == 0, result.output
    assert marker.read_text() == "done by the worker"
    assert queue.count == 0
