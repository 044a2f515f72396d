"""Background jobs: queued with the unit of work, sent only after it commits.

``enqueue_after_commit(job, *ids)`` records the job in the session; ``core.db.commit()``
dispatches it after a successful commit, and a rollback drops it. With no ``REDIS_URL``
jobs run inline (in the same process, right after the commit); otherwise they go to rq.
Jobs take primary keys and plain values, reload their rows, tolerate vanished ones, commit
their own work and are safe to run twice.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable

from flask import current_app

from core.db import db, pending_jobs

log = logging.getLogger(__name__)


def job_path(func: Callable) -> str:
    return f"{func.__module__}:{func.__qualname__}"


def resolve(path: str) -> Callable:
    module, _, name = path.partition(":")
    target = importlib.import_module(module)
    for part in name.split("."):
        target = getattr(target, part)
    return target


def enqueue_after_commit(func: Callable, *args) -> None:
    """Queue ``func(*args)`` to run once the current unit of work has committed."""
    # Begin the transaction now, so that a rollback (which drops the queue) always has one to end.
    db.session.connection()
    pending_jobs().append((func, args))


def get_queue():
    """The rq queue, or ``None`` when jobs run inline."""
    ext = current_app.extensions.get("tyndau_queue")
    if ext is not None:
        return ext
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    from redis import Redis
    from rq import Queue

    queue = Queue(current_app.config["JOBS_QUEUE_NAME"], connection=Redis.from_url(url))
    current_app.extensions["tyndau_queue"] = queue
    return queue


def dispatch(func: Callable, *args) -> None:
    """Send a job now: to rq when configured, else run it inline."""
    queue = get_queue()
    if queue is None:
        run_inline(func, *args)
    else:
        queue.enqueue(run_job, job_path(func), *args, job_timeout=600)


def run_inline(func: Callable, *args) -> None:
    """Run a job in this process without disturbing the caller's session."""
    try:
        func(*args)
    except Exception:
        db.session.rollback()
        log.exception("inline job %s failed", job_path(func))
        if current_app.testing:
            raise


def run_job(path: str, *args):
    """Entry point rq calls in the worker (inside the app context the worker pushed)."""
    try:
        return resolve(path)(*args)
    finally:
        db.session.remove()


def make_worker(app, burst: bool = False):
    """An rq worker bound to the app's queue; the engine is disposed before each fork."""
    from rq import Worker

    class AppWorker(Worker):
        def fork_work_horse(self, job, queue):
            with app.app_context():
                db.engine.dispose()
            return super().fork_work_horse(job, queue)

    queue = get_queue()
    if queue is None:
        raise RuntimeError("REDIS_URL is not set: jobs run inline, there is no worker to start")
    return AppWorker([queue], connection=queue.connection)
