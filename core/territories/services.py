"""Territory rules: importing the KATO classifier, walking the tree, searching names.

Services flush, never commit: the CLI command or the view ends the unit of work.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core import audit
from core.db import UpsertCounts, db, utcnow
from core.errors import AppError
from core.i18n import localized
from core.territories.importer import CODE_RE, KatoFormatError, derive_tree, read_rows
from core.territories.models import Level, Territory, search_key

__all__ = [
    "ImportResult",
    "KatoImportError",
    "SearchResult",
    "children_of",
    "derive_tree",
    "get_territory",
    "import_file",
    "import_rows",
    "name_sort_key",
    "path_of",
    "read_rows",
    "search_territories",
]

#: How many bad rows an import error lists.
MAX_REPORTED_PROBLEMS = 10
NAME_FIELDS = ("name_kk", "name_ru", "name_en")
PATH_SEPARATOR = " › "


class KatoImportError(AppError):
    """The file has bad rows; nothing was imported."""

    message = _l("The classifier file has errors; nothing was imported.")

    def __init__(self, problems: list[str], total: int | None = None):
        self.problems = problems[:MAX_REPORTED_PROBLEMS]
        self.total = total if total is not None else len(problems)
        more = self.total - len(self.problems)
        text = "; ".join(self.problems) + (f"; and {more} more" if more > 0 else "")
        super().__init__(f"{self.total} bad row(s), nothing imported: {text}")


ImportResult = UpsertCounts


@dataclass(frozen=True)
class SearchResult:
    territory: Territory
    name: str
    #: Names from the region down to the territory itself, joined with " › ".
    path: str

    @property
    def code(self) -> str:
        return self.territory.code

    @property
    def level(self) -> int:
        return self.territory.level


# -- import -------------------------------------------------------------------------------------------


def import_file(path: str | Path, actor=None) -> ImportResult:
    path = Path(path)
    try:
        rows = read_rows(path)
    except KatoFormatError as error:
        raise KatoImportError([str(error)]) from error
    return import_rows(rows, actor=actor, source=path.name)


def _validate(rows: list[dict], existing: dict[str, tuple]) -> list[str]:
    """Problems of the rows, each naming its line; fills in each row's level from its parent."""
    problems: list[str] = []
    by_code: dict[str, dict] = {}
    for row in rows:
        where = f"line {row.get('line', '?')}"
        code = row.get("code", "")
        if not CODE_RE.match(code):
            problems.append(f"{where}: code {code!r} is not 9 digits")
            continue
        if code in by_code:
            problems.append(f"{where}: code {code} appears twice")
            continue
        by_code[code] = row
        if not row.get("name_kk") or not row.get("name_ru"):
            problems.append(f"{where}: code {code} has an empty Kazakh or Russian name")
        population = row.get("population")
        if population is not None and not isinstance(population, int):
            problems.append(f"{where}: code {code} has a population {population!r} that is not a number")
    # Levels follow parents: resolve each row's level from its parent (in the file or already stored).
    resolved: dict[str, int] = {}

    def level_of(code: str, seen: tuple = ()) -> int | None:
        if code in resolved:
            return resolved[code]
        row = by_code.get(code)
        if row is None:
            stored = existing.get(code)
            return stored[1] if stored else None
        if code in seen or len(seen) > Level.SETTLEMENT:
            return None  # a cycle, or deeper than the four levels
        parent = row.get("parent_code")
        if not parent:
            level = 1
        else:
            above = level_of(parent, (*seen, code))
            level = None if above is None else above + 1
        resolved[code] = level
        return level

    for code, row in by_code.items():
        where = f"line {row.get('line', '?')}"
        parent = row.get("parent_code")
        if parent and parent not in by_code and parent not in existing:
            problems.append(f"{where}: code {code} has parent {parent}, which is not in the file")
            continue
        if parent == code:
            problems.append(f"{where}: code {code} is its own parent")
            continue
        level = level_of(code)
        if level is None or level > Level.SETTLEMENT:
            problems.append(f"{where}: code {code} has no valid place in the tree")
            continue
        given = row.get("level")
        if given not in (None, "") and str(given) != str(level):
            problems.append(f"{where}: code {code} has level {given}, but its parent makes it {level}")
            continue
        row["level"] = level
    return problems


def import_rows(rows: list[dict], actor=None, source: str = "") -> ImportResult:
    """Add new territories and update changed ones, in bulk, parents before children. All or nothing."""
    db.session.flush()
    existing = {
        code: (parent, level, kk, ru, en, population)
        for code, parent, level, kk, ru, en, population in db.session.execute(
            sa.select(
                Territory.code,
                Territory.parent_code,
                Territory.level,
                Territory.name_kk,
                Territory.name_ru,
                Territory.name_en,
                Territory.population,
            )
        )
    }
    problems = _validate(rows, existing)
    if problems:
        raise KatoImportError(problems)

    now = utcnow()
    inserts: list[dict] = []
    updates: list[dict] = []
    unchanged = 0
    for row in sorted(rows, key=lambda r: (r["level"], r["code"])):
        code = row["code"]
        values = {
            "parent_code": row.get("parent_code") or None,
            "level": int(row["level"]),
            "name_kk": row["name_kk"],
            "name_ru": row["name_ru"],
        }
        if "name_en" in row:
            values["name_en"] = row["name_en"] or ""
        if "population" in row:
            values["population"] = row["population"]
        stored = existing.get(code)
        if stored is None:
            values.setdefault("name_en", "")
            values["search_text"] = search_key(values["name_kk"], values["name_ru"], values["name_en"])
            inserts.append({"code": code, **values, "updated_at": now})
            continue
        parent, level, kk, ru, en, population = stored
        current = {
            "parent_code": parent,
            "level": level,
            "name_kk": kk,
            "name_ru": ru,
            "name_en": en or "",
            "population": population,
        }
        changed = {key: value for key, value in values.items() if current[key] != value}
        if not changed:
            unchanged += 1
            continue
        merged = {**current, **changed}
        changed["search_text"] = search_key(merged["name_kk"], merged["name_ru"], merged["name_en"])
        updates.append({"code": code, **changed, "updated_at": now})

    if inserts:
        db.session.execute(sa.insert(Territory), inserts)
    if updates:
        db.session.execute(sa.update(Territory), updates)
    if inserts or updates:
        _expire_loaded_territories()
    audit.record(
        "territories.import",
        ("territories", "kato"),
        actor,
        added=len(inserts),
        updated=len(updates),
        unchanged=unchanged,
        source=source,
    )
    return ImportResult(added=len(inserts), updated=len(updates), unchanged=unchanged)


def _expire_loaded_territories() -> None:
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Territory):
            db.session.expire(obj)


# -- the tree -----------------------------------------------------------------------------------------

#: Kazakh Cyrillic alphabet order (Russian letters fall in their places).
_ALPHABET = "аәбвгғдеёжзийкқлмнңоөпрстуұүфхһцчшщъыіьэюя"
_ORDER = {ch: i for i, ch in enumerate(_ALPHABET)}


def name_sort_key(name: str) -> tuple:
    """Sort key that follows the Kazakh alphabet and ignores quotes and case."""
    text = name.casefold().lstrip("«\"'( ")
    return tuple(_ORDER.get(ch, 1000 + ord(ch)) for ch in text)


def get_territory(code: str | None) -> Territory | None:
    if not code or not CODE_RE.match(str(code)):
        return None
    return db.session.get(Territory, str(code))


def children_of(code: str | None) -> list[Territory]:
    """The units directly under ``code`` (the regions and republican cities for ``None``), by name."""
    query = sa.select(Territory)
    query = query.where(Territory.parent_code.is_(None)) if code is None else query.where(Territory.parent_code == code)
    children = db.session.scalars(query).unique().all()
    return sorted(children, key=lambda t: (name_sort_key(localized(t)), t.code))


def path_of(territory: Territory) -> list[Territory]:
    """From the region down to the territory itself."""
    return [*territory.ancestors(), territory]


def path_text(territory: Territory) -> str:
    return PATH_SEPARATOR.join(localized(t) for t in path_of(territory))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_territories(query: str, limit: int = 20, min_level: int | None = None) -> list[SearchResult]:
    """Case-insensitive substring search over the kk, ru and en names.

    Names that equal the query come first, then names with a word starting with it, then the rest;
    within each group higher levels (regions) before lower ones.
    """
    needle = " ".join((query or "").split()).casefold()
    if not needle:
        return []
    text = Territory.search_text
    escaped = _escape_like(needle)

    def like(pattern: str):
        return text.like(pattern, escape="\\")

    exact = sa.or_(
        text == needle,
        like(f"{escaped} | %"),
        like(f"% | {escaped}"),
        like(f"% | {escaped} | %"),
    )
    word_start = sa.or_(like(f"{escaped}%"), like(f"% {escaped}%"), like(f"%.{escaped}%"), like(f"%«{escaped}%"))
    rank = sa.case((exact, 0), (word_start, 1), else_=2)
    statement = sa.select(Territory).where(like(f"%{escaped}%"))
    if min_level is not None:
        statement = statement.where(Territory.level >= min_level)
    statement = statement.order_by(rank, Territory.level, Territory.name_ru, Territory.code).limit(limit)
    return [
        SearchResult(territory=t, name=localized(t), path=path_text(t)) for t in db.session.scalars(statement).unique()
    ]
