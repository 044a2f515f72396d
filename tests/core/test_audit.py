import threading

import pytest
import sqlalchemy as sa

from core import audit
from core.audit import AuditEntry
from core.db import db as _db


def _tail():
    return _db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()


def test_entries_are_chained(db):
    first = audit.record("test.one", ("things", "1"), None, note="a")
    second = audit.record("test.two", ("things", "2"), None, note="b")
    assert second.prev_hash == first.hash
    assert audit.compute_hash(second) == second.hash
    checked, broken = audit.verify()
    assert broken is None and checked >= 2


def test_altered_row_is_named(db, runner):
    audit.record("test.one", ("things", "1"), None, amount=1)
    victim = audit.record("test.two", ("things", "2"), None, amount=2)
    audit.record("test.three", ("things", "3"), None, amount=3)
    db.session.execute(sa.update(AuditEntry).where(AuditEntry.id == victim.id).values(details='{"amount": 200}'))
    db.session.expire_all()
    checked, broken = audit.verify()
    assert broken is not None and broken.entry_id == victim.id
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"row {victim.id}" in result.output


def test_deleted_row_breaks_the_next_link(db):
    audit.record("test.one", ("things", "1"), None)
    gone = audit.record("test.two", ("things", "2"), None)
    after = audit.record("test.three", ("things", "3"), None)
    db.session.execute(sa.delete(AuditEntry).where(AuditEntry.id == gone.id))
    db.session.expire_all()
    _, broken = audit.verify()
    assert broken is not None and broken.entry_id == after.id


def test_verify_cli_passes_on_intact_log(db, runner):
    audit.record("test.one", ("things", "1"), None)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "intact" in result.output


def test_object_reference_from_a_model(db, make_user):
    user = make_user()
    entry = audit.record("test.user", user, user, reason="x")
    assert (entry.object_type, entry.object_id, entry.actor_id) == ("users", str(user.id), user.id)
    assert entry.details_dict == {"reason": "x"}


def test_concurrent_writers_keep_one_chain(app):
    """Two sessions appending at once: on PostgreSQL the advisory lock serialises them; on SQLite
    the database lock does. Either way no two rows share a previous hash."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite serialises writers itself; the race needs PostgreSQL")
    with app.app_context():
        before = _db.session.scalar(sa.select(sa.func.max(AuditEntry.id))) or 0
        _db.session.remove()
    errors = []

    def writer(n):
        try:
            with app.app_context():
                for i in range(10):
                    audit.record("race", ("things", f"{n}-{i}"), None)
                    _db.session.commit()
                _db.session.remove()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with app.app_context():
        try:
            assert not errors
            checked, broken = audit.verify()
            assert broken is None
            added = _db.session.scalar(sa.select(sa.func.count()).where(AuditEntry.id > before))
            assert added == 20
        finally:
            _db.session.execute(sa.delete(AuditEntry).where(AuditEntry.id > before))
            _db.session.commit()
            _db.session.remove()
