"""The audit log: append-only, each row hash-chained to the one before it.

``record(action, obj, actor=None, **details)`` adds a row in the current unit of work. Each
row's ``hash`` is SHA-256 over its own content and the previous row's hash, so altering or
deleting any row breaks the chain from there on; ``verify()`` finds the first broken link.
Appends are serialised: PostgreSQL takes a transaction-level advisory lock, and a unique
constraint on ``prev_hash`` makes two writers that raced for the same tail fail loudly
instead of forking the chain.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.db import db, utcnow

GENESIS = "0" * 64
ADVISORY_LOCK_ID = 7_312_026  # any constant shared by every writer of this table


class AuditEntry(db.Model):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    object_type: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[str] = mapped_column(sa.String(64))
    details: Mapped[str] = mapped_column(sa.Text, default="{}")
    prev_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    hash: Mapped[str] = mapped_column(sa.String(64))

    __table_args__ = (sa.Index("ix_audit_log_object", "object_type", "object_id"),)

    @property
    def details_dict(self) -> dict:
        return json.loads(self.details or "{}")


def _canonical(entry) -> bytes:
    payload = {
        "actor_id": entry.actor_id,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "details": entry.details,
        "created_at": entry.created_at.isoformat(timespec="microseconds"),
        "prev_hash": entry.prev_hash,
    }
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def compute_hash(entry) -> str:
    """SHA-256 of a row's content and link; ``entry`` is an ``AuditEntry`` or a row with its columns."""
    return hashlib.sha256(_canonical(entry)).hexdigest()


def _object_ref(obj) -> tuple[str, str]:
    if isinstance(obj, tuple):
        return str(obj[0]), str(obj[1])
    table = getattr(obj, "__tablename__", type(obj).__name__.lower())
    ident = sa.inspect(obj).identity
    return table, ",".join(str(v) for v in ident) if ident else ""


def _lock_tail() -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": ADVISORY_LOCK_ID})


def record(action: str, obj, actor=None, **details) -> AuditEntry:
    """Append an audit row in the current unit of work.

    ``obj`` is a mapped object (flushed, so it has its key) or a ``(type, id)`` pair;
    ``actor`` a user, a user id, or ``None`` for the system (CLI, jobs).
    """
    if not isinstance(obj, tuple):
        db.session.flush()
    object_type, object_id = _object_ref(obj)
    actor_id = getattr(actor, "id", actor)
    _lock_tail()
    tail = db.session.execute(sa.select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).scalar()
    entry = AuditEntry(
        created_at=utcnow(),
        actor_id=actor_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        details=json.dumps(details, sort_keys=True, ensure_ascii=False, default=str),
        prev_hash=tail or GENESIS,
    )
    entry.hash = compute_hash(entry)
    db.session.add(entry)
    db.session.flush()
    return entry


@dataclass
class Broken:
    entry_id: int
    reason: str


def verify(batch: int = 5000) -> tuple[int, Broken | None]:
    """Walk the chain in order; return how many rows were checked and the first broken link."""
    expected_prev = GENESIS
    checked = 0
    last_id = 0
    # Plain rows, not ORM objects: the session's identity map stays as it was (a page that
    # verifies keeps its signed-in user attached), and memory stays flat over a long table.
    columns = AuditEntry.__table__.c
    while True:
        rows = db.session.execute(
            sa.select(*columns).where(columns.id > last_id).order_by(columns.id).limit(batch)
        ).all()
        if not rows:
            return checked, None
        for entry in rows:
            if entry.prev_hash != expected_prev:
                return checked, Broken(entry.id, "previous-hash link does not match the row before it")
            if compute_hash(entry) != entry.hash:
                return checked, Broken(entry.id, "row content does not match its hash")
            expected_prev = entry.hash
            checked += 1
            last_id = entry.id
