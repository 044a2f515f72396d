"""Geometry of the signatures bar chart (``templates/petitions/_chart.html``).

Everything is computed here, so the template only draws it: a horizontal bar per territory, most signatures
first, at most ``MAX_BARS`` of them plus one "Other" bar for the rest; the table beside the chart lists every
row with its share of the total.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import g
from flask_babel import format_number, format_percent
from flask_babel import gettext as _

MAX_BARS = 15
WIDTH = 400
ROW = 44
BAR = 16
TOP = 6
VALUE_ROOM = 70  # room to the right of the longest bar for its number
LABEL_CHARS = 46


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1].rstrip() + "…"


def _share(count: int, total: int) -> str:
    return format_percent(count / total if total else 0, format="#,##0.#%")


def _uid() -> str:
    """An id prefix unique within the page being rendered (a page may hold several charts)."""
    n = g.get("_petition_charts", 0) + 1
    g._petition_charts = n
    return f"signatures-chart-{n}"


def signatures_chart(rows: Iterable[tuple[str, int]]) -> dict:
    """The chart and table of ``rows`` — (label, count) pairs, most first."""
    rows = [(str(label), int(count)) for label, count in rows]
    total = sum(count for _label, count in rows)
    drawn = rows[:MAX_BARS]
    rest = rows[MAX_BARS:]
    if rest:
        drawn = [*drawn, (_("Other (%(num)d more)", num=len(rest)), sum(count for _label, count in rest))]
    top = max([count for _label, count in drawn] + [1])
    usable = WIDTH - VALUE_ROOM
    bars = []
    for i, (label, count) in enumerate(drawn):
        width = max(round(usable * count / top, 1), 1.5)
        y = TOP + i * ROW
        bars.append(
            {
                "name": label,
                "label": _short(label),
                "value": format_number(count),
                "share": _share(count, total),
                "label_y": y + 14,
                "bar_y": y + 20,
                "width": width,
                "value_x": width + 6,
                "value_y": y + 20 + BAR - 3,
                "other": bool(rest) and i == len(drawn) - 1,
            }
        )
    return {
        "id": _uid(),
        "width": WIDTH,
        "height": TOP * 2 + max(1, len(bars)) * ROW,
        "bar_height": BAR,
        "bars": bars,
        "other": len(rest),
        "total": format_number(total),
        "total_share": _share(total, total),
        "table": [
            {"label": label, "value": format_number(count), "share": _share(count, total)} for label, count in rows
        ],
    }
