"""Online petitions: the petition and its lifecycle events, signatures (online and paper), the sharded
signature tally, paper batches, and threshold rules."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import db, utcnow
from core.enums import enum_column


class PetitionState(enum.StrEnum):
    DRAFT = "draft"  # the author is writing it; only they see it
    PENDING = "pending"  # sent to moderation
    RETURNED = "returned"  # returned to the author for changes, with a note
    REJECTED = "rejected"  # refused by a moderator with a coded reason
    COLLECTING = "collecting"  # published; collecting signatures (unlisted until the initial supporters)
    REACHED = "reached"  # reached its threshold: a case in the loop carries it on
    NOT_REACHED = "not_reached"  # the collection window ended below the threshold
    WITHDRAWN = "withdrawn"  # withdrawn by its author before publication

    @property
    def label(self) -> str:
        return str(STATE_LABELS[self])


STATE_LABELS = {
    PetitionState.DRAFT: _l("Draft"),
    PetitionState.PENDING: _l("In moderation"),
    PetitionState.RETURNED: _l("Returned for changes"),
    PetitionState.REJECTED: _l("Rejected"),
    PetitionState.COLLECTING: _l("Collecting signatures"),
    PetitionState.REACHED: _l("Threshold reached"),
    PetitionState.NOT_REACHED: _l("Threshold not reached"),
    PetitionState.WITHDRAWN: _l("Withdrawn"),
}
#: States in which the author may still change the text.
EDITABLE_STATES = (PetitionState.DRAFT, PetitionState.PENDING, PetitionState.RETURNED)
#: States that the public can see.
PUBLIC_STATES = (PetitionState.COLLECTING, PetitionState.REACHED, PetitionState.NOT_REACHED)


class PetitionEventKind(enum.StrEnum):
    CREATED = "created"
    EDITED = "edited"
    SUBMITTED = "submitted"
    TAKEN = "taken"
    RELEASED = "released"
    RETURNED = "returned"
    REJECTED = "rejected"
    PUBLISHED = "published"
    LISTED = "listed"  # passed the initial-supporters gate
    PAPER = "paper"  # a batch of paper signatures entered
    REACHED = "reached"
    NOT_REACHED = "not_reached"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return str(EVENT_LABELS[self])

    @property
    def is_public(self) -> bool:
        return self in PUBLIC_EVENTS


EVENT_LABELS = {
    PetitionEventKind.CREATED: _l("Draft started"),
    PetitionEventKind.EDITED: _l("Text changed"),
    PetitionEventKind.SUBMITTED: _l("Sent to moderation"),
    PetitionEventKind.TAKEN: _l("Taken by a moderator"),
    PetitionEventKind.RELEASED: _l("Released by the moderator"),
    PetitionEventKind.RETURNED: _l("Returned to the author for changes"),
    PetitionEventKind.REJECTED: _l("Rejected"),
    PetitionEventKind.PUBLISHED: _l("Published"),
    PetitionEventKind.LISTED: _l("Gathered its initial supporters and listed publicly"),
    PetitionEventKind.PAPER: _l("Paper signatures entered"),
    PetitionEventKind.REACHED: _l("Threshold reached: sent to the authority as a case"),
    PetitionEventKind.NOT_REACHED: _l("Collection ended below the threshold"),
    PetitionEventKind.WITHDRAWN: _l("Withdrawn by the author"),
}
PUBLIC_EVENTS = frozenset(
    {
        PetitionEventKind.PUBLISHED,
        PetitionEventKind.LISTED,
        PetitionEventKind.PAPER,
        PetitionEventKind.REACHED,
        PetitionEventKind.NOT_REACHED,
    }
)


class SignatureKind(enum.StrEnum):
    ONLINE = "online"
    PAPER = "paper"


class Petition(db.Model):
    __tablename__ = "petitions"
    __table_args__ = (
        sa.Index("ix_petitions_state_listed_at", "state", "listed_at"),
        sa.Index("ix_petitions_state_closes_on", "state", "closes_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[PetitionState] = mapped_column(enum_column(PetitionState, 16), default=PetitionState.DRAFT)
    title: Mapped[str] = mapped_column(sa.String(200))
    #: The author's text in the Markdown subset, as typed.
    body: Mapped[str] = mapped_column(sa.Text)
    #: ``body`` rendered and sanitised (nh3) when saved; the only form shown as HTML.
    body_html: Mapped[str] = mapped_column(sa.Text, default="")
    #: Lower-cased title and text, for search and similar petitions.
    search_text: Mapped[str] = mapped_column(sa.Text, default="")
    topic: Mapped[str] = mapped_column(sa.String(32), index=True)
    territory_code: Mapped[str] = mapped_column(sa.ForeignKey("territories.code"), index=True)
    authority_id: Mapped[int] = mapped_column(sa.ForeignKey("authorities.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The author acknowledged the list of excluded topics when sending it to moderation.
    exclusions_acknowledged_at: Mapped[datetime | None]

    submitted_at: Mapped[datetime | None]
    #: The moderation deadline (working days from the latest submission).
    moderation_due_on: Mapped[date | None]
    #: The moderation lock: who is handling it, since when.
    moderator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    taken_at: Mapped[datetime | None]
    moderation_note: Mapped[str | None] = mapped_column(sa.Text)
    reject_reason: Mapped[str | None] = mapped_column(sa.String(32))

    published_at: Mapped[datetime | None]
    #: The last day of collection (inclusive).
    closes_on: Mapped[date | None]
    #: Signatures required, fixed when published from the rules then in force.
    threshold: Mapped[int | None]
    #: The population the threshold was computed from (None: the absolute fallback applied).
    threshold_population: Mapped[int | None]
    #: The rule's scope key (e.g. "district_akimat"), for the page's explanation.
    threshold_scope: Mapped[str | None] = mapped_column(sa.String(32))
    initial_supporters: Mapped[int | None]
    #: When it gathered its initial supporters and appeared in the public list.
    listed_at: Mapped[datetime | None]
    reached_at: Mapped[datetime | None]
    #: The case that carries it in the loop once it reached its threshold.
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id", ondelete="SET NULL"), unique=True)
    closed_at: Mapped[datetime | None]
    #: Signatures at the moment it reached its threshold or closed (the live count is in the tally).
    final_count: Mapped[int | None]

    authority = relationship("Authority", lazy="joined")
    territory = relationship("Territory", lazy="joined")
    author = relationship("User", foreign_keys=[author_id])
    moderator = relationship("User", foreign_keys=[moderator_id])
    case = relationship("Case", lazy="joined")

    @property
    def is_public(self) -> bool:
        return self.state in PUBLIC_STATES

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE_STATES

    def __repr__(self) -> str:
        return f"<Petition {self.id} {self.state}>"


class PetitionEvent(db.Model):
    """What happened to a petition, when, by whom: the private moderation trail and the public timeline."""

    __tablename__ = "petition_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int] = mapped_column(sa.ForeignKey("petitions.id", ondelete="CASCADE"), index=True)
    kind: Mapped[PetitionEventKind] = mapped_column(enum_column(PetitionEventKind, 16))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(sa.Text)
    reason_code: Mapped[str | None] = mapped_column(sa.String(32))
    count: Mapped[int | None]

    actor = relationship("User")


class Signature(db.Model):
    """One person's signature on one petition, online or on paper.

    ``iin_hash`` is the keyed hash of the signer's IIN (copied from the account, or computed from the IIN
    written on a paper sheet); the unique constraint on (petition, IIN hash) is what makes it one signature
    per person per petition, online and on paper together.
    """

    __tablename__ = "signatures"
    __table_args__ = (
        sa.UniqueConstraint("petition_id", "iin_hash", name="uq_signatures_petition_id_iin_hash"),
        sa.Index("ix_signatures_petition_id_id", "petition_id", "id"),
        sa.Index("ix_signatures_petition_id_district_code", "petition_id", "district_code"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    petition_id: Mapped[int] = mapped_column(sa.ForeignKey("petitions.id", ondelete="CASCADE"))
    kind: Mapped[SignatureKind] = mapped_column(enum_column(SignatureKind, 8), default=SignatureKind.ONLINE)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    iin_hash: Mapped[str] = mapped_column(sa.String(64))
    #: First name and initial, as shown publicly.
    public_name: Mapped[str] = mapped_column(sa.String(80))
    settlement_code: Mapped[str | None] = mapped_column(sa.String(9))
    region_code: Mapped[str | None] = mapped_column(sa.String(9))
    district_code: Mapped[str | None] = mapped_column(sa.String(9))
    batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("paper_batches.id", ondelete="CASCADE"), index=True)
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)


class SignatureTally(db.Model):
    """The signature count, split over a few rows per petition so that concurrent signers of one petition
    update different rows instead of queueing on one hot counter. The count is the sum of the rows, exact
    because each shard changes in the same transaction as the signature."""

    __tablename__ = "signature_tallies"

    petition_id: Mapped[int] = mapped_column(sa.ForeignKey("petitions.id", ondelete="CASCADE"), primary_key=True)
    shard: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True, autoincrement=False)
    online: Mapped[int] = mapped_column(default=0)
    paper: Mapped[int] = mapped_column(default=0)


class PaperBatch(db.Model):
    """Signatures collected on paper and entered by an officer of the addressee, audited as one batch."""

    __tablename__ = "paper_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int] = mapped_column(sa.ForeignKey("petitions.id", ondelete="CASCADE"), index=True)
    entered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    entered_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(sa.String(300), default="")
    accepted: Mapped[int] = mapped_column(default=0)
    duplicates: Mapped[int] = mapped_column(default=0)
    invalid: Mapped[int] = mapped_column(default=0)

    entered_by = relationship("User")


class ThresholdRule(db.Model):
    """How many signatures a petition to an authority needs; one row per scope (an authority kind at a level,
    e.g. ``district_akimat``), or per authority. Where no row matches, ``petitions.rules.DEFAULTS`` apply.

    The number is ``fixed`` when the territory's population exceeds ``large_from`` (or when there is no
    percentage); otherwise ``percent`` of the residents; ``fallback`` where no population is known.
    """

    __tablename__ = "threshold_rules"
    __table_args__ = (
        sa.Index(
            "uq_threshold_rules_scope",
            "scope",
            unique=True,
            postgresql_where=sa.text("authority_id IS NULL"),
            sqlite_where=sa.text("authority_id IS NULL"),
        ),
        sa.Index(
            "uq_threshold_rules_authority_id",
            "authority_id",
            unique=True,
            postgresql_where=sa.text("authority_id IS NOT NULL"),
            sqlite_where=sa.text("authority_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(sa.String(32))
    authority_id: Mapped[int | None] = mapped_column(sa.ForeignKey("authorities.id", ondelete="CASCADE"))
    fixed: Mapped[int | None]
    percent: Mapped[Decimal | None] = mapped_column(sa.Numeric(6, 3))
    large_from: Mapped[int | None]
    fallback: Mapped[int | None]
    note: Mapped[str] = mapped_column(sa.String(300), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    authority = relationship("Authority")
