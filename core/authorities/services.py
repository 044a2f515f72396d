"""Authority rules: the standard ladder generated from the territory tree, look-ups, ministries.

The ladder (where a case escalates to)::

    National Kurultai ← Government ← regional / city akimat ← district or city akimat ← rural akim's office
                                  ← regional maslikhat    ← district maslikhat
                                  ← ministries

Services flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from core import audit
from core.accounts.models import Role, RoleGrant, User
from core.authorities.models import Authority, AuthorityKind
from core.db import UpsertCounts, db
from core.errors import AppError
from core.territories.models import REPUBLICAN_CITIES, Level, Territory

KURULTAI_KEY = "kurultai"
GOVERNMENT_KEY = "government"

TOP = {
    KURULTAI_KEY: {
        "kind": AuthorityKind.KURULTAI,
        "name_kk": "Ұлттық құрылтай",
        "name_ru": "Национальный курултай",
        "name_en": "National Kurultai",
        "territory_code": None,
        "parent": None,
    },
    GOVERNMENT_KEY: {
        "kind": AuthorityKind.GOVERNMENT,
        "name_kk": "Қазақстан Республикасының Үкіметі",
        "name_ru": "Правительство Республики Казахстан",
        "name_en": "Government of the Republic of Kazakhstan",
        "territory_code": None,
        "parent": KURULTAI_KEY,
    },
}

#: Kinds that run a territory (as opposed to its representative body, the maslikhat).
EXECUTIVE_KINDS = (
    AuthorityKind.RURAL_AKIM,
    AuthorityKind.DISTRICT_AKIMAT,
    AuthorityKind.REGIONAL_AKIMAT,
    AuthorityKind.CITY_AKIMAT,
)
#: Display order of kinds, from the top of the ladder down.
KIND_ORDER = (
    AuthorityKind.KURULTAI,
    AuthorityKind.GOVERNMENT,
    AuthorityKind.MINISTRY,
    AuthorityKind.CITY_AKIMAT,
    AuthorityKind.REGIONAL_AKIMAT,
    AuthorityKind.DISTRICT_AKIMAT,
    AuthorityKind.RURAL_AKIM,
    AuthorityKind.MASLIKHAT,
)
#: What the authorities index shows when no kind is chosen.
INDEX_KINDS = (
    AuthorityKind.KURULTAI,
    AuthorityKind.GOVERNMENT,
    AuthorityKind.MINISTRY,
    AuthorityKind.CITY_AKIMAT,
    AuthorityKind.REGIONAL_AKIMAT,
)
_FIELDS = ("kind", "name_kk", "name_ru", "name_en", "territory_code")


GenerateResult = UpsertCounts


@dataclass(frozen=True)
class Page:
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


# -- names ----------------------------------------------------------------------------------------------


def akimat_names(kk: str, ru: str) -> dict:
    return {"name_kk": f"{kk} әкімдігі", "name_ru": f"Акимат {ru}", "name_en": f"Akimat of {ru}"}


def maslikhat_names(kk: str, ru: str) -> dict:
    return {"name_kk": f"{kk} мәслихаты", "name_ru": f"Маслихат {ru}", "name_en": f"Maslikhat of {ru}"}


def akim_office_names(kk: str, ru: str) -> dict:
    return {
        "name_kk": f"{kk} әкімінің аппараты",
        "name_ru": f"Аппарат акима {ru}",
        "name_en": f"Office of the akim of {ru}",
    }


def is_city_itself(name_ru: str, parent_name_ru: str | None) -> bool:
    """A level-3 unit that is the city of its own city administration ("г.Семей" under "Семей Г.А.")."""
    return name_ru.startswith("г.") and bool(parent_name_ru) and parent_name_ru.rstrip().endswith("Г.А.")


# -- the ladder -----------------------------------------------------------------------------------------


def desired_ladder(territories) -> dict[str, dict]:
    """The standard ladder for ``(code, parent_code, level, name_kk, name_ru)`` rows, keyed by authority key.

    Each value has the authority's fields and ``parent`` (the key of the authority above it).
    """
    rows = {t[0]: t for t in territories}
    wanted: dict[str, dict] = {key: dict(spec) for key, spec in TOP.items()}
    for code, parent_code, level, kk, ru in sorted(rows.values(), key=lambda t: (t[2], t[0])):
        if level == Level.REGION:
            kind = AuthorityKind.CITY_AKIMAT if code in REPUBLICAN_CITIES else AuthorityKind.REGIONAL_AKIMAT
            wanted[f"akimat:{code}"] = {
                "kind": kind,
                **akimat_names(kk, ru),
                "territory_code": code,
                "parent": GOVERNMENT_KEY,
            }
            wanted[f"maslikhat:{code}"] = {
                "kind": AuthorityKind.MASLIKHAT,
                **maslikhat_names(kk, ru),
                "territory_code": code,
                "parent": GOVERNMENT_KEY,
            }
        elif level == Level.DISTRICT:
            wanted[f"akimat:{code}"] = {
                "kind": AuthorityKind.DISTRICT_AKIMAT,
                **akimat_names(kk, ru),
                "territory_code": code,
                "parent": f"akimat:{parent_code}",
            }
            if parent_code not in REPUBLICAN_CITIES:
                wanted[f"maslikhat:{code}"] = {
                    "kind": AuthorityKind.MASLIKHAT,
                    **maslikhat_names(kk, ru),
                    "territory_code": code,
                    "parent": f"maslikhat:{parent_code}",
                }
        elif level == Level.RURAL_DISTRICT:
            parent = rows.get(parent_code)
            if is_city_itself(ru, parent[4] if parent else None):
                continue  # the city's akimat is its city administration's
            wanted[f"akim:{code}"] = {
                "kind": AuthorityKind.RURAL_AKIM,
                **akim_office_names(kk, ru),
                "territory_code": code,
                "parent": f"akimat:{parent_code}",
            }
    return wanted


def generate_ladder(actor=None) -> GenerateResult:
    """Create or update the standard ladder from the territory tree, in bulk; safe to run again."""
    db.session.flush()
    territories = db.session.execute(
        sa.select(Territory.code, Territory.parent_code, Territory.level, Territory.name_kk, Territory.name_ru)
    ).all()
    wanted = desired_ladder(territories)
    existing = {
        row.key: row
        for row in db.session.execute(
            sa.select(
                Authority.id,
                Authority.key,
                Authority.kind,
                Authority.name_kk,
                Authority.name_ru,
                Authority.name_en,
                Authority.territory_code,
                Authority.parent_id,
            )
        )
    }
    new = [
        {"key": key, **{f: spec[f] for f in _FIELDS}, "parent_id": None}
        for key, spec in wanted.items()
        if key not in existing
    ]
    if new:
        db.session.execute(sa.insert(Authority), new)
    ids = {key: row.id for key, row in existing.items()}
    if new:
        ids.update(
            db.session.execute(
                sa.select(Authority.key, Authority.id).where(Authority.key.in_([n["key"] for n in new]))
            ).all()
        )
    new_keys = {n["key"] for n in new}
    updates: list[dict] = []
    updated = 0
    for key, spec in wanted.items():
        parent_id = ids[spec["parent"]] if spec["parent"] else None
        if key in new_keys:
            if parent_id is not None:
                updates.append({"id": ids[key], "parent_id": parent_id})
            continue
        row = existing[key]
        changes = {f: spec[f] for f in _FIELDS if getattr(row, f) != spec[f]}
        if row.parent_id != parent_id:
            changes["parent_id"] = parent_id
        if changes:
            updates.append({"id": row.id, **changes})
            updated += 1
    if updates:
        db.session.execute(sa.update(Authority), updates)
    if new or updates:
        for obj in list(db.session.identity_map.values()):
            if isinstance(obj, Authority):
                db.session.expire(obj)
    result = GenerateResult(added=len(new), updated=updated, unchanged=len(wanted) - len(new) - updated)
    audit.record(
        "authorities.generate",
        ("authorities", "ladder"),
        actor,
        added=result.added,
        updated=result.updated,
        unchanged=result.unchanged,
    )
    return result


def ensure_top() -> tuple[Authority, Authority]:
    """The National Kurultai and the Government, created if missing."""
    found = {a.key: a for a in db.session.scalars(sa.select(Authority).where(Authority.key.in_(TOP)))}
    for key in (KURULTAI_KEY, GOVERNMENT_KEY):
        if key in found:
            continue
        spec = TOP[key]
        authority = Authority(key=key, **{f: spec[f] for f in _FIELDS})
        if spec["parent"]:
            authority.parent = found[spec["parent"]]
        db.session.add(authority)
        found[key] = authority
    db.session.flush()
    return found[KURULTAI_KEY], found[GOVERNMENT_KEY]


def create_ministry(key: str, names: dict, actor=None) -> Authority:
    """A ministry under the Government (``names``: kk, ru, en); an existing key is updated instead."""
    if not key or len(key) > 64:
        raise AppError("A ministry needs a key of at most 64 characters.")
    if not names.get("kk") or not names.get("ru"):
        raise AppError("A ministry needs a Kazakh and a Russian name.")
    _, government = ensure_top()
    ministry = db.session.scalar(sa.select(Authority).where(Authority.key == key))
    if ministry is not None and ministry.kind != AuthorityKind.MINISTRY:
        raise AppError(f"The key {key} belongs to another kind of authority.")
    created = ministry is None
    if created:
        ministry = Authority(key=key, kind=AuthorityKind.MINISTRY)
        db.session.add(ministry)
    ministry.name_kk = names["kk"]
    ministry.name_ru = names["ru"]
    ministry.name_en = names.get("en") or ""
    ministry.parent = government
    db.session.flush()
    audit.record(
        "authorities.ministry_created" if created else "authorities.ministry_updated",
        ministry,
        actor,
        key=key,
    )
    return ministry


# -- look-ups -------------------------------------------------------------------------------------------


def find_authority(key_or_id) -> Authority | None:
    """By id (an int or a string of ASCII digits) or by key; None for an id out of range."""
    if isinstance(key_or_id, str) and key_or_id.isascii() and key_or_id.isdigit():
        key_or_id = int(key_or_id)
    if isinstance(key_or_id, int):
        return db.session.get(Authority, key_or_id) if 0 < key_or_id < 2**31 else None
    if not key_or_id:
        return None
    return db.session.scalar(sa.select(Authority).where(Authority.key == str(key_or_id)))


def _kind_rank(authority: Authority) -> int:
    return KIND_ORDER.index(authority.kind)


def authorities_of_territory(code: str) -> list[Authority]:
    """The authorities seated on this very territory (akimat first, then maslikhat)."""
    found = db.session.scalars(sa.select(Authority).where(Authority.territory_code == code)).unique().all()
    return sorted(found, key=lambda a: (_kind_rank(a), a.id))


def authority_for_territory(code: str, kind: AuthorityKind | None = None) -> Authority | None:
    """The authority responsible for a territory: the nearest one up the tree of ``kind``
    (default: the akim's office or akimat), so a settlement gets its rural akim and a city inside a
    city administration gets the city administration's akimat."""
    territory = db.session.get(Territory, code) if code else None
    if territory is None:
        return None
    chain = [territory.code, *(t.code for t in reversed(territory.ancestors()))]
    kinds = (kind,) if kind is not None else EXECUTIVE_KINDS
    found = (
        db.session.scalars(sa.select(Authority).where(Authority.territory_code.in_(chain), Authority.kind.in_(kinds)))
        .unique()
        .all()
    )
    by_code: dict[str, Authority] = {}
    for authority in sorted(found, key=lambda a: (_kind_rank(a), a.id)):
        by_code.setdefault(authority.territory_code, authority)
    for step in chain:
        if step in by_code:
            return by_code[step]
    return None


def authorities_below(authority: Authority) -> list[Authority]:
    found = db.session.scalars(sa.select(Authority).where(Authority.parent_id == authority.id)).unique().all()
    return sorted(found, key=lambda a: (_kind_rank(a), a.name_ru, a.id))


def officers_of(authority: Authority, roles=(Role.OFFICER, Role.HEAD)) -> list[User]:
    """Active users holding one of ``roles`` for this authority, by name."""
    return list(
        db.session.scalars(
            sa.select(User)
            .join(RoleGrant, RoleGrant.user_id == User.id)
            .where(RoleGrant.authority_id == authority.id, RoleGrant.role.in_(roles), User.active.is_(True))
            .order_by(User.display_name, User.id)
        ).unique()
    )


def search_authorities(
    query: str = "", kinds=None, page: int = 1, per_page: int = 30, name_field: str = "name_ru"
) -> Page:
    """Authorities of ``kinds`` whose kk, ru or en name or key contains ``query`` (case-insensitive), one page.

    Names are matched in Python (SQLite lowers only ASCII); there are a few thousand authorities at most.
    """
    statement = sa.select(
        Authority.id, Authority.key, Authority.kind, Authority.name_kk, Authority.name_ru, Authority.name_en
    )
    if kinds:
        statement = statement.where(Authority.kind.in_(list(kinds)))
    needle = " ".join((query or "").split()).casefold()
    rows = [
        row
        for row in db.session.execute(statement)
        if not needle
        or any(needle in (name or "").casefold() for name in (row.key, row.name_kk, row.name_ru, row.name_en))
    ]
    rows.sort(key=lambda r: (KIND_ORDER.index(r.kind), (getattr(r, name_field) or r.name_ru).casefold(), r.id))
    total = len(rows)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    ids = [r.id for r in rows[(page - 1) * per_page : page * per_page]]
    loaded = {a.id: a for a in db.session.scalars(sa.select(Authority).where(Authority.id.in_(ids))).unique()}
    return Page(items=[loaded[i] for i in ids], total=total, page=page, per_page=per_page)
