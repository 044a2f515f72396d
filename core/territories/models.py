from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import db, utcnow


class Level(enum.IntEnum):
    REGION = 1  # region or city of republican significance
    DISTRICT = 2  # district, city of regional significance, city district
    RURAL_DISTRICT = 3  # rural district or town
    SETTLEMENT = 4


#: Cities of republican significance (KATO level-1 codes).
REPUBLICAN_CITIES = frozenset({"710000000", "750000000", "790000000"})


def search_key(*names: str | None) -> str:
    """Lower-cased names joined for substring search (SQLite's lower() knows only ASCII)."""
    return " | ".join(n.casefold() for n in names if n)


class Territory(db.Model):
    __tablename__ = "territories"

    code: Mapped[str] = mapped_column(sa.String(9), primary_key=True)
    parent_code: Mapped[str | None] = mapped_column(sa.ForeignKey("territories.code"), index=True)
    level: Mapped[int] = mapped_column(sa.SmallInteger, index=True)
    name_kk: Mapped[str] = mapped_column(sa.String(200))
    name_ru: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str] = mapped_column(sa.String(200), default="")
    population: Mapped[int | None]
    search_text: Mapped[str] = mapped_column(sa.String(620), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[Territory | None] = relationship(remote_side=[code], lazy="joined", join_depth=4)

    @property
    def is_republican_city(self) -> bool:
        return self.code in REPUBLICAN_CITIES

    def ancestors(self) -> list[Territory]:
        """From the region down to the parent."""
        chain: list[Territory] = []
        node = self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))

    def is_within(self, other: Territory) -> bool:
        return self.code == other.code or any(a.code == other.code for a in self.ancestors())

    def __repr__(self) -> str:
        return f"<Territory {self.code} {self.name_ru}>"
