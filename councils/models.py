"""Public councils: the council and its rules, members, meetings with their agendas and materials,
attendance, votes and ballots, decisions' recommendations (each a case in the loop), minutes, followers and
citizens' proposals for the agenda."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import db, utcnow
from core.enums import enum_column


class _Labelled(enum.StrEnum):
    @property
    def label(self) -> str:
        return str(LABELS[type(self)][self])


class CouncilKind(_Labelled):
    PUBLIC_COUNCIL = "public_council"  # the public council of a ministry or an akimat
    LOCAL_COMMUNITY = "local_community"  # a rural district's local community gathering (Law on public councils, art. 6)


class MajorityBase(_Labelled):
    """What the majority is a share of."""

    PRESENT = "present"  # members with voting rights present (abstaining counts against)
    CAST = "cast"  # votes cast for or against (abstentions left out)


class Position(_Labelled):
    CHAIR = "chair"
    DEPUTY_CHAIR = "deputy_chair"
    SECRETARY = "secretary"
    MEMBER = "member"


class Affiliation(_Labelled):
    CIVIL_SOCIETY = "civil_society"
    STATE_BODY = "state_body"


class MeetingFormat(_Labelled):
    IN_PERSON = "in_person"
    ONLINE = "online"
    HYBRID = "hybrid"


class MeetingState(_Labelled):
    PLANNED = "planned"  # date and place set; the agenda is being prepared (shown only to the council)
    ANNOUNCED = "announced"  # the agenda is published
    IN_PROGRESS = "in_progress"  # the meeting is being held: attendance, votes
    HELD = "held"  # the meeting ended; minutes follow
    CANCELLED = "cancelled"


class ItemKind(_Labelled):
    CASE = "case"  # a case from the loop: a proposal, an escalated petition, any case
    DRAFT_ACT = "draft_act"  # a draft normative act (its review arrives with its own issue)
    REPORT = "report"  # an official's report
    MONITORING = "monitoring"  # public monitoring results
    OTHER = "other"


class VoteState(_Labelled):
    OPEN = "open"
    CLOSED = "closed"


class VoteOutcome(_Labelled):
    ADOPTED = "adopted"  # an option other than abstention won the majority the council's rules ask
    REJECTED = "rejected"  # quorum was met but no option won the majority
    NOT_HELD = "not_held"  # no quorum when the vote closed


class MinutesState(_Labelled):
    DRAFT = "draft"
    APPROVED = "approved"
    PUBLISHED = "published"


class ProposalState(_Labelled):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


LABELS: dict[type, dict] = {
    CouncilKind: {
        CouncilKind.PUBLIC_COUNCIL: _l("Public council"),
        CouncilKind.LOCAL_COMMUNITY: _l("Local community gathering"),
    },
    MajorityBase: {
        MajorityBase.PRESENT: _l("of the members with voting rights present"),
        MajorityBase.CAST: _l("of the votes cast for or against"),
    },
    Position: {
        Position.CHAIR: _l("Chair"),
        Position.DEPUTY_CHAIR: _l("Deputy chair"),
        Position.SECRETARY: _l("Secretary"),
        Position.MEMBER: _l("Member"),
    },
    Affiliation: {
        Affiliation.CIVIL_SOCIETY: _l("Civil society"),
        Affiliation.STATE_BODY: _l("State body"),
    },
    MeetingFormat: {
        MeetingFormat.IN_PERSON: _l("In person"),
        MeetingFormat.ONLINE: _l("Online"),
        MeetingFormat.HYBRID: _l("In person and online"),
    },
    MeetingState: {
        MeetingState.PLANNED: _l("Planned"),
        MeetingState.ANNOUNCED: _l("Agenda published"),
        MeetingState.IN_PROGRESS: _l("In progress"),
        MeetingState.HELD: _l("Held"),
        MeetingState.CANCELLED: _l("Cancelled"),
    },
    ItemKind: {
        ItemKind.CASE: _l("Citizens' case"),
        ItemKind.DRAFT_ACT: _l("Draft normative act"),
        ItemKind.REPORT: _l("Official's report"),
        ItemKind.MONITORING: _l("Public monitoring results"),
        ItemKind.OTHER: _l("Other question"),
    },
    VoteState: {
        VoteState.OPEN: _l("Voting open"),
        VoteState.CLOSED: _l("Voting closed"),
    },
    VoteOutcome: {
        VoteOutcome.ADOPTED: _l("Adopted"),
        VoteOutcome.REJECTED: _l("Not adopted"),
        VoteOutcome.NOT_HELD: _l("Not held: no quorum"),
    },
    MinutesState: {
        MinutesState.DRAFT: _l("Draft minutes"),
        MinutesState.APPROVED: _l("Minutes approved"),
        MinutesState.PUBLISHED: _l("Minutes published"),
    },
    ProposalState: {
        ProposalState.PENDING: _l("Awaiting the secretary"),
        ProposalState.ACCEPTED: _l("Accepted onto the agenda"),
        ProposalState.DECLINED: _l("Declined"),
    },
}


class Council(db.Model):
    """A public council (or a rural district's local community gathering) and its rules, as data.

    Quorum: present members with voting rights ≥ quorum_numerator/quorum_denominator of all members with voting
    rights. Majority: the winning option's votes > majority_numerator/majority_denominator of the base
    (``majority_base``). Agenda notice: published at least ``notice_days`` calendar days before the meeting.
    """

    __tablename__ = "councils"

    id: Mapped[int] = mapped_column(primary_key=True)
    authority_id: Mapped[int] = mapped_column(sa.ForeignKey("authorities.id"), index=True)
    kind: Mapped[CouncilKind] = mapped_column(enum_column(CouncilKind, 24), default=CouncilKind.PUBLIC_COUNCIL)
    name_kk: Mapped[str] = mapped_column(sa.String(300))
    name_ru: Mapped[str] = mapped_column(sa.String(300))
    name_en: Mapped[str] = mapped_column(sa.String(300), default="")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    term_starts_on: Mapped[date]
    term_ends_on: Mapped[date | None]
    quorum_numerator: Mapped[int] = mapped_column(default=2)
    quorum_denominator: Mapped[int] = mapped_column(default=3)
    majority_numerator: Mapped[int] = mapped_column(default=1)
    majority_denominator: Mapped[int] = mapped_column(default=2)
    majority_base: Mapped[MajorityBase] = mapped_column(enum_column(MajorityBase, 16), default=MajorityBase.PRESENT)
    notice_days: Mapped[int] = mapped_column(default=10)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    authority = relationship("Authority", lazy="joined")
    members: Mapped[list[CouncilMember]] = relationship(
        back_populates="council", order_by="CouncilMember.id", cascade="all, delete-orphan"
    )
    meetings: Mapped[list[Meeting]] = relationship(
        back_populates="council", order_by="Meeting.starts_at", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Council {self.id}>"


class CouncilMember(db.Model):
    """A seat on a council. ``user_id`` links the member's own account (to vote from it); a member without an
    account still counts and can have a vote recorded by hand by the secretary. Names of members are public."""

    __tablename__ = "council_members"
    __table_args__ = (sa.UniqueConstraint("council_id", "user_id", name="uq_council_members_council_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(sa.ForeignKey("councils.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    full_name: Mapped[str] = mapped_column(sa.String(200))
    position: Mapped[Position] = mapped_column(enum_column(Position, 16), default=Position.MEMBER)
    affiliation: Mapped[Affiliation] = mapped_column(enum_column(Affiliation, 16), default=Affiliation.CIVIL_SOCIETY)
    #: The NGO, party, business or state body the member comes from.
    organisation: Mapped[str] = mapped_column(sa.String(300), default="")
    #: Counted in the youth share (up to 35 years old, as the youth policy law counts).
    is_youth: Mapped[bool] = mapped_column(default=False)
    voting_right: Mapped[bool] = mapped_column(default=True)
    term_starts_on: Mapped[date]
    term_ends_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    council: Mapped[Council] = relationship(back_populates="members")
    user = relationship("User")

    def serves_on(self, day: date) -> bool:
        return self.term_starts_on <= day and (self.term_ends_on is None or day <= self.term_ends_on)

    def __repr__(self) -> str:
        return f"<CouncilMember {self.id} {self.position}>"


class Meeting(db.Model):
    __tablename__ = "council_meetings"
    __table_args__ = (sa.UniqueConstraint("council_id", "number", name="uq_council_meetings_council_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(sa.ForeignKey("councils.id", ondelete="CASCADE"), index=True)
    #: The meeting's number within the council (No. 1, 2, ...).
    number: Mapped[int]
    #: UTC, like every stored time.
    starts_at: Mapped[datetime] = mapped_column(index=True)
    format: Mapped[MeetingFormat] = mapped_column(enum_column(MeetingFormat, 16), default=MeetingFormat.IN_PERSON)
    place: Mapped[str] = mapped_column(sa.String(300), default="")
    online_url: Mapped[str | None] = mapped_column(sa.String(500))
    state: Mapped[MeetingState] = mapped_column(enum_column(MeetingState, 16), default=MeetingState.PLANNED)
    agenda_published_at: Mapped[datetime | None]
    #: Why the agenda was published later than the council's notice period allows.
    late_reason: Mapped[str | None] = mapped_column(sa.Text)
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    cancelled_reason: Mapped[str | None] = mapped_column(sa.Text)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    council: Mapped[Council] = relationship(back_populates="meetings")
    items: Mapped[list[AgendaItem]] = relationship(
        back_populates="meeting", order_by="AgendaItem.position", cascade="all, delete-orphan"
    )
    attendance: Mapped[list[Attendance]] = relationship(back_populates="meeting", cascade="all, delete-orphan")
    minutes: Mapped[Minutes | None] = relationship(
        back_populates="meeting", uselist=False, cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Meeting {self.id} {self.state}>"


class AgendaItem(db.Model):
    __tablename__ = "council_agenda_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("council_meetings.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[ItemKind] = mapped_column(enum_column(ItemKind, 16), default=ItemKind.OTHER)
    title: Mapped[str] = mapped_column(sa.String(300))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    rapporteur: Mapped[str] = mapped_column(sa.String(200), default="")
    #: The loop's case this item takes up (kind CASE).
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id", ondelete="SET NULL"), index=True)
    #: The citizen's proposal this item came from, if any.
    proposal_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("council_proposals.id", ondelete="SET NULL"), index=True
    )
    #: Votes on this item are secret: no roll call is shown.
    secret_ballot: Mapped[bool] = mapped_column(default=False)
    #: The council's decision on the item, as the secretary records it.
    decision_text: Mapped[str | None] = mapped_column(sa.Text)
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    meeting: Mapped[Meeting] = relationship(back_populates="items")
    case = relationship("Case")
    proposal: Mapped[Proposal | None] = relationship(foreign_keys=[proposal_id])
    materials: Mapped[list[Material]] = relationship(
        back_populates="item", order_by="Material.id", cascade="all, delete-orphan"
    )
    votes: Mapped[list[Vote]] = relationship(back_populates="item", order_by="Vote.id", cascade="all, delete-orphan")
    recommendations: Mapped[list[Recommendation]] = relationship(
        back_populates="item", order_by="Recommendation.id", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<AgendaItem {self.id}>"


class Material(db.Model):
    """An attachment of an agenda item (PDF, ODT, DOCX), kept in the database with its checksum."""

    __tablename__ = "council_materials"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("council_agenda_items.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    content: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    item: Mapped[AgendaItem] = relationship(back_populates="materials")


class Attendance(db.Model):
    """A member at a meeting: present from ``arrived_at``, until ``left_at`` if they left before the end."""

    __tablename__ = "council_attendance"

    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("council_meetings.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(
        sa.ForeignKey("council_members.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    present: Mapped[bool] = mapped_column(default=True)
    arrived_at: Mapped[datetime | None]
    left_at: Mapped[datetime | None]
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    meeting: Mapped[Meeting] = relationship(back_populates="attendance")
    member: Mapped[CouncilMember] = relationship()

    @property
    def is_present(self) -> bool:
        """Present now: marked present and has not left."""
        return self.present and self.left_at is None


class VoteOptionSet(db.Model):
    """The options members choose from, per agenda item kind (rules as data). ``options`` is a comma-separated
    list of keys of ``councils.rules.OPTIONS``; a kind without a row uses ``councils.rules.DEFAULT_OPTION_SETS``."""

    __tablename__ = "council_vote_option_sets"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_kind: Mapped[ItemKind] = mapped_column(enum_column(ItemKind, 16), unique=True)
    options: Mapped[str] = mapped_column(sa.String(200))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Vote(db.Model):
    """A vote on an agenda item among the members present with voting rights. Results stay hidden until it
    closes; on closing, the counts and the outcome under the council's rules are stored with it."""

    __tablename__ = "council_votes"
    __table_args__ = (
        # One open vote per item at a time.
        sa.Index(
            "uq_council_votes_open_item",
            "item_id",
            unique=True,
            postgresql_where=sa.text("state = 'open'"),
            sqlite_where=sa.text("state = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("council_agenda_items.id", ondelete="CASCADE"), index=True)
    question: Mapped[str] = mapped_column(sa.String(500))
    #: Comma-separated option keys, copied from the option set when the vote opened.
    options: Mapped[str] = mapped_column(sa.String(200))
    secret: Mapped[bool] = mapped_column(default=False)
    state: Mapped[VoteState] = mapped_column(enum_column(VoteState, 16), default=VoteState.OPEN)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    opened_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # Stored on closing:
    members_with_vote: Mapped[int | None]  # all members with voting rights serving that day
    present_with_vote: Mapped[int | None]  # of them, present for the vote
    quorum_needed: Mapped[int | None]
    quorum_met: Mapped[bool | None]
    majority_needed: Mapped[int | None]  # votes the winning option needed
    #: {"for": 9, "against": 2, "abstain": 1}
    counts: Mapped[dict | None] = mapped_column(sa.JSON)
    outcome: Mapped[VoteOutcome | None] = mapped_column(enum_column(VoteOutcome, 16))
    winning_option: Mapped[str | None] = mapped_column(sa.String(32))

    item: Mapped[AgendaItem] = relationship(back_populates="votes")
    ballots: Mapped[list[Ballot]] = relationship(
        back_populates="vote", order_by="Ballot.id", cascade="all, delete-orphan"
    )

    @property
    def option_keys(self) -> list[str]:
        return [o for o in self.options.split(",") if o]


class Ballot(db.Model):
    __tablename__ = "council_ballots"
    __table_args__ = (sa.UniqueConstraint("vote_id", "member_id", name="uq_council_ballots_vote_member"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(sa.ForeignKey("council_votes.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("council_members.id", ondelete="CASCADE"), index=True)
    choice: Mapped[str] = mapped_column(sa.String(32))
    cast_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Set when the secretary recorded a vote the member gave by hand (marked as such in the roll call).
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    vote: Mapped[Vote] = relationship(back_populates="ballots")
    member: Mapped[CouncilMember] = relationship()

    @property
    def by_hand(self) -> bool:
        return self.recorded_by_id is not None


class Recommendation(db.Model):
    """A recommendation of a council's decision addressed to an authority; sending it opens a case in the loop
    (source: council recommendation) and links it here."""

    __tablename__ = "council_recommendations"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("council_agenda_items.id", ondelete="CASCADE"), index=True)
    authority_id: Mapped[int] = mapped_column(sa.ForeignKey("authorities.id"), index=True)
    text: Mapped[str] = mapped_column(sa.Text)
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id", ondelete="SET NULL"), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    item: Mapped[AgendaItem] = relationship(back_populates="recommendations")
    authority = relationship("Authority", lazy="joined")
    case = relationship("Case")


class Minutes(db.Model):
    """The minutes of a meeting: generated from the agenda, attendance, votes and decisions, edited by the
    secretary (plain text), approved, then published."""

    __tablename__ = "council_minutes"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("council_meetings.id", ondelete="CASCADE"), unique=True)
    text: Mapped[str] = mapped_column(sa.Text, default="")
    state: Mapped[MinutesState] = mapped_column(enum_column(MinutesState, 16), default=MinutesState.DRAFT)
    generated_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]
    edited_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    published_at: Mapped[datetime | None]
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    meeting: Mapped[Meeting] = relationship(back_populates="minutes")


class Follower(db.Model):
    """A citizen following a council: mailed when it publishes an agenda or minutes."""

    __tablename__ = "council_followers"

    council_id: Mapped[int] = mapped_column(sa.ForeignKey("councils.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Proposal(db.Model):
    """A citizen's proposal of an agenda item; the secretary accepts it onto a meeting or declines it with a
    reason, publicly."""

    __tablename__ = "council_proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(sa.ForeignKey("councils.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    state: Mapped[ProposalState] = mapped_column(enum_column(ProposalState, 16), default=ProposalState.PENDING)
    #: The meeting it was accepted onto.
    meeting_id: Mapped[int | None] = mapped_column(sa.ForeignKey("council_meetings.id", ondelete="SET NULL"))
    decline_reason: Mapped[str | None] = mapped_column(sa.Text)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    council: Mapped[Council] = relationship()
    author = relationship("User", foreign_keys=[author_id])
    meeting: Mapped[Meeting | None] = relationship(foreign_keys=[meeting_id])
