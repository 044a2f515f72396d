from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import db, utcnow
from core.enums import enum_column


def public_name(full_name: str) -> str:
    """First name and the initial of the surname ("Айгүл Серікова" → "Айгүл С."), the only form shown publicly."""
    parts = full_name.split()
    if len(parts) < 2:
        return full_name
    return f"{parts[0]} {parts[1][0]}."


class Role(enum.StrEnum):
    """Roles beyond "citizen", which everyone is. Officer and head are held for one authority."""

    MODERATOR = "moderator"
    ADMIN = "admin"
    OFFICER = "officer"
    HEAD = "head"

    @property
    def needs_authority(self) -> bool:
        return self in (Role.OFFICER, Role.HEAD)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    display_name: Mapped[str] = mapped_column(sa.String(120))
    locale: Mapped[str] = mapped_column(sa.String(5), default="kk")
    email_verified_at: Mapped[datetime | None]
    #: HMAC-SHA256 of the IIN under IIN_HASH_KEY; the IIN itself is never stored.
    iin_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    iin_added_at: Mapped[datetime | None]
    home_territory_code: Mapped[str | None] = mapped_column(
        sa.ForeignKey("territories.code", ondelete="SET NULL"), index=True
    )
    active: Mapped[bool] = mapped_column(default=True)
    #: Bumped on password change: every remembered session of the old password stops working.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    home_territory = relationship("Territory", lazy="joined")
    grants: Mapped[list[RoleGrant]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin", foreign_keys="RoleGrant.user_id"
    )

    def get_id(self) -> str:
        return f"{self.id}.{self.session_version}"

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def has_iin(self) -> bool:
        return self.iin_hash is not None

    def has_role(self, role: Role, authority_id: int | None = None) -> bool:
        return any(g.role == role and (authority_id is None or g.authority_id == authority_id) for g in self.grants)

    @property
    def is_admin(self) -> bool:
        return self.has_role(Role.ADMIN)

    @property
    def is_moderator(self) -> bool:
        return self.has_role(Role.MODERATOR)

    def authority_ids(self) -> set[int]:
        """Authorities this user is an officer or head of."""
        return {g.authority_id for g in self.grants if g.role.needs_authority and g.authority_id}

    @property
    def public_name(self) -> str:
        """First name and initial, the only form shown publicly."""
        return public_name(self.display_name)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class RoleGrant(db.Model):
    __tablename__ = "role_grants"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "role", "authority_id", name="uq_role_grants_user_role_authority"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(enum_column(Role, 16))
    authority_id: Mapped[int | None] = mapped_column(sa.ForeignKey("authorities.id", ondelete="CASCADE"), index=True)
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    granted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(back_populates="grants", foreign_keys=[user_id])
    authority = relationship("Authority", lazy="joined")
