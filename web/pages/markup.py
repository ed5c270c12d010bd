"""Markdown in the site: our own documents (the competitors' guide) and what organisers
write (a race's description). Python-Markdown turns both into HTML; only the organisers'
text goes through nh3 afterwards, because it comes from outside and Markdown passes raw
HTML (a <script>, an onclick) straight through."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import markdown
import nh3
from django.conf import settings
from django.utils.safestring import SafeString, mark_safe

GUIDE_PATH = Path(settings.BASE_DIR) / "docs" / "competitors.md"
# A list of links to the document's own sections, as GitHub readers need one.
HAND_WRITTEN_TOC = re.compile(r"<ul>\s*<li><a href=\"#.*?</ul>", re.DOTALL)

# What an organiser's text may keep: formatting, lists, links, code, tables; nothing that
# runs, loads or styles (no script, img, iframe, style or on* attributes).
ORGANISER_TAGS = {
    "p", "br", "hr", "em", "strong", "b", "i", "code", "pre", "blockquote", "ul", "ol", "li",
    "a", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ORGANISER_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}


@dataclass(frozen=True)
class Document:
    """A rendered document: its title, its body and its table of contents (second-level
    headings, each with the anchor Markdown gave it)."""

    title: str
    html: SafeString
    toc: tuple[tuple[str, str], ...]


def _document(text: str) -> Document:
    md = markdown.Markdown(
        extensions=["extra", "sane_lists", "toc"],
        extension_configs={"toc": {"permalink": "#", "permalink_title": "Link to this section"}},
    )
    body = md.convert(text)
    top = md.toc_tokens[0] if md.toc_tokens else {"name": "", "children": []}
    # The title is the page's <h1> (the template renders it) and the page builds its own
    # contents, so the document's first heading and its hand-written list go.
    body = body.split("</h1>", 1)[-1]
    intro, h2, rest = body.partition("<h2")
    body = HAND_WRITTEN_TOC.sub("", intro, count=1) + h2 + rest
    sections = tuple((child["id"], child["name"]) for child in top.get("children", []))
    return Document(title=top["name"], html=mark_safe(body), toc=sections)


@lru_cache(maxsize=1)
def _guide(mtime_ns: int) -> Document:
    return _document(GUIDE_PATH.read_text(encoding="utf-8"))


def guide() -> Document:
    """docs/competitors.md as a page, rendered again only when the file changes."""
    return _guide(GUIDE_PATH.stat().st_mtime_ns)


def organiser_markdown(text: str) -> SafeString:
    """An organiser's Markdown as HTML that is safe to show anyone: raw HTML that is not
    formatting is dropped, links get rel="noopener noreferrer nofollow" and stay on
    http(s) or mailto."""
    html = markdown.markdown(text or "", extensions=["sane_lists", "tables", "fenced_code"])
    clean = nh3.clean(
        html,
        tags=ORGANISER_TAGS,
        attributes=ORGANISER_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(clean)
