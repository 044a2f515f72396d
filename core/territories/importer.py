"""Reading the KATO classifier: the CSV layout of ``kato.csv`` and the stat.gov.kz workbook.

Both readers return plain dicts ``{code, parent_code, level, name_kk, name_ru, [name_en], [population],
line}``. The workbook has no parent or level columns; ``derive_tree`` rebuilds them from the 9-digit code
AB CD EF HIJ exactly as the classifier does: the parent is the first of ABCDEF000, ABCD00000, AB0000000
present in the file (never the unit itself), so the city districts of the republican cities hang directly
under the city; a settlement nested in another settlement hangs under its rural district, so the tree has
exactly four levels. Nothing here touches the database.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

CODE_RE = re.compile(r"^\d{9}$")
MAX_LEVEL = 4
#: Header names of the official workbook (any case, any order).
XLSX_COLUMNS = ("te", "ab", "cd", "ef", "hij", "k", "kaz_name", "rus_name", "nn")
XLSX_HEADER_SEARCH_ROWS = 15


class KatoFormatError(ValueError):
    """The file cannot be read as KATO at all (unknown suffix, missing columns)."""


def read_rows(path: str | Path) -> list[dict]:
    """The rows of a KATO file, CSV or XLSX by suffix."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return read_csv(path)
    if suffix in (".xlsx", ".xlsm"):
        return read_xlsx(path)
    raise KatoFormatError(f"{path.name}: expected a .csv or .xlsx file")


def _clean(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _population(value) -> int | None | str:
    """An int, ``None`` for an empty cell, or the raw text when it is not a number (reported later)."""
    text = _clean(value).replace(" ", "").replace("\u00a0", "")
    if not text:
        return None
    return int(text) if text.isdigit() else text


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        fields = {(name or "").strip().lower() for name in reader.fieldnames or ()}
        missing = {"code", "name_kk", "name_ru"} - fields
        if missing:
            raise KatoFormatError(f"{path.name}: missing columns {', '.join(sorted(missing))}")
        has_parent = "parent_code" in fields
        rows = []
        for line, raw in enumerate(reader, start=2):
            raw = {(k or "").strip().lower(): v for k, v in raw.items()}
            row = {
                "line": line,
                "code": _clean(raw.get("code")),
                "name_kk": _clean(raw.get("name_kk")),
                "name_ru": _clean(raw.get("name_ru")),
            }
            if has_parent:
                row["parent_code"] = _clean(raw.get("parent_code")) or None
            if "level" in fields:
                row["level"] = _clean(raw.get("level")) or None
            if "name_en" in fields:
                row["name_en"] = _clean(raw.get("name_en"))
            if "population" in fields:
                row["population"] = _population(raw.get("population"))
            rows.append(row)
    if not has_parent:
        derive_tree(rows)
    return rows


def read_xlsx(path: Path) -> list[dict]:
    """The first sheet of the official workbook (openpyxl read-only; the header may follow title rows)."""
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        rows: list[dict] = []
        columns: dict[str, int] | None = None
        for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if columns is None:
                names = [_clean(v).lower() for v in values]
                if "te" in names and "kaz_name" in names and "rus_name" in names:
                    columns = {name: i for i, name in enumerate(names) if name}
                elif line >= XLSX_HEADER_SEARCH_ROWS:
                    break
                continue
            if not any(_clean(v) for v in values):
                continue
            row = {
                "line": line,
                "code": _clean(_cell(values, columns, "te")),
                "name_kk": _clean(_cell(values, columns, "kaz_name")),
                "name_ru": _clean(_cell(values, columns, "rus_name")),
            }
            if "population" in columns:
                row["population"] = _population(_cell(values, columns, "population"))
            rows.append(row)
    finally:
        workbook.close()
    if columns is None:
        raise KatoFormatError(f"{path.name}: no header row with the columns te, kaz_name, rus_name")
    derive_tree(rows)
    return rows


def _cell(values: tuple, columns: dict[str, int], name: str):
    index = columns.get(name)
    return values[index] if index is not None and index < len(values) else None


def derive_parent_codes(codes) -> dict[str, str | None]:
    """The parent of each code by the KATO rule (first of ABCDEF000, ABCD00000, AB0000000 present)."""
    present = set(codes)
    parents: dict[str, str | None] = {}
    for code in present:
        parent = None
        if CODE_RE.match(code):
            for candidate in (code[:6] + "000", code[:4] + "00000", code[:2] + "0000000"):
                if candidate != code and candidate in present:
                    parent = candidate
                    break
        parents[code] = parent
    return parents


def derive_tree(rows: list[dict]) -> list[dict]:
    """Fill ``parent_code`` and ``level`` of rows that have only a code (in place; returns the rows)."""
    parents = derive_parent_codes(row["code"] for row in rows)
    levels: dict[str, int] = {}
    # Codes sort parents first: a parent's code is the child's with trailing digits zeroed.
    for code in sorted(parents):
        parent = parents[code]
        level = 1 if parent is None else levels[parent] + 1
        while level > MAX_LEVEL and parent is not None:
            # A settlement inside a settlement belongs to the rural district above it.
            parent = parents[parent]
            level -= 1
        parents[code] = parent
        levels[code] = level
    for row in rows:
        row["parent_code"] = parents.get(row["code"])
        row["level"] = levels.get(row["code"])
    return rows
