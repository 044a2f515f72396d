"""Authority responsiveness statistics and league tables (being built)."""

from __future__ import annotations

from markupsafe import Markup


def authority_panel(authority) -> Markup:
    """The loop's section on an authority's page."""
    return Markup("")
