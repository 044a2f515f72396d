"""The one place user-supplied HTML is cleaned (nh3, the maintained successor of bleach)."""

from __future__ import annotations

import html

import nh3

ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "a", "blockquote", "h3", "h4"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}


def clean_html(html: str) -> str:
    """Strip everything but a small, safe subset; links get rel=noopener noreferrer nofollow."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


def plain_text(text: str) -> str:
    """Text with every tag removed (for names, titles and other plain fields). The result is plain text, not
    HTML: entities are decoded ("Roads &amp; bridges" is stored as "Roads & bridges"); templates escape it."""
    return html.unescape(nh3.clean(text, tags=set())).strip()
