from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import db, utcnow
from core.enums import enum_column


class AuthorityKind(enum.StrEnum):
    RURAL_AKIM = "rural_akim"  # akim's office of a rural district, town or settlement administration
    DISTRICT_AKIMAT = "district_akimat"  # akimat of a district or city (incl. city districts)
    REGIONAL_AKIMAT = "regional_akimat"
    CITY_AKIMAT = "city_akimat"  # akimat of a city of republican significance
    MASLIKHAT = "maslikhat"
    MINISTRY = "ministry"
    GOVERNMENT = "government"
    KURULTAI = "kurultai"

    @property
    def label(self) -> str:
        return str(KIND_LABELS[self])

    @property
    def is_central(self) -> bool:
        return self in (AuthorityKind.MINISTRY, AuthorityKind.GOVERNMENT, AuthorityKind.KURULTAI)


KIND_LABELS = {
    AuthorityKind.RURAL_AKIM: _l("Rural district akim's office"),
    AuthorityKind.DISTRICT_AKIMAT: _l("District or city akimat"),
    AuthorityKind.REGIONAL_AKIMAT: _l("Regional akimat"),
    AuthorityKind.CITY_AKIMAT: _l("Akimat of a city of republican significance"),
    AuthorityKind.MASLIKHAT: _l("Maslikhat"),
    AuthorityKind.MINISTRY: _l("Ministry"),
    AuthorityKind.GOVERNMENT: _l("Government"),
    AuthorityKind.KURULTAI: _l("National Kurultai"),
}


class Authority(db.Model):
    __tablename__ = "authorities"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stable identity used by the ladder generator, e.g. ``akimat:710000000``, ``government``.
    key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    kind: Mapped[AuthorityKind] = mapped_column(enum_column(AuthorityKind, 24), index=True)
    name_kk: Mapped[str] = mapped_column(sa.String(300))
    name_ru: Mapped[str] = mapped_column(sa.String(300))
    name_en: Mapped[str] = mapped_column(sa.String(300), default="")
    territory_code: Mapped[str | None] = mapped_column(sa.ForeignKey("territories.code"), index=True)
    #: Where a case escalates to.
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("authorities.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    territory = relationship("Territory", lazy="joined")
    parent: Mapped[Authority | None] = relationship(remote_side=[id])

    def ladder(self) -> list[Authority]:
        """This authority and every one above it, up to the top."""
        chain = [self]
        seen = {self.id}
        node = self.parent
        while node is not None and node.id not in seen:
            chain.append(node)
            seen.add(node.id)
            node = node.parent
        return chain

    def __repr__(self) -> str:
        return f"<Authority {self.key}>"
