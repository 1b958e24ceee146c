"""Answer markdown as HTML for the web pages (`/faq/<document>`)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin, urlsplit

from markdown_it import MarkdownIt

from faqbot.doors.render._common import spell_out_alerts

__all__ = ["html_parser", "markdown_to_html"]


def html_parser() -> MarkdownIt:
    """CommonMark with tables and strikethrough; raw HTML shown as text, never rendered."""
    # markdown-it's validateLink already refuses javascript:, vbscript: and data: links.
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
        ["table", "strikethrough"]
    )


_HTML = html_parser()


def markdown_to_html(markdown: str, doc_url: str | None = None, *, md: MarkdownIt | None = None) -> str:
    """HTML for an answer: MS Learn alerts spelled out, links relative to the published page
    (`doc_url`) made absolute, outside links `rel="noopener noreferrer"`.

    >>> markdown_to_html("See [more](other.md).", "https://x.test/docs/faq")
    '<p>See <a href="https://x.test/docs/other" rel="noopener noreferrer">more</a>.</p>\\n'
    """
    md = md or _HTML
    markdown = spell_out_alerts(markdown)
    env: dict[str, Any] = {}
    tokens = md.parse(markdown, env)
    for token in tokens:
        for child in token.children or ():
            if child.type != "link_open":
                continue
            href = str(child.attrGet("href") or "")
            parts = urlsplit(href)
            if not parts.scheme and not href.startswith("#") and doc_url:
                # A link relative to the published page (Learn style `other-page.md`).
                path = parts.path[:-3] if parts.path.lower().endswith(".md") else parts.path
                href = urljoin(doc_url, path + (f"#{parts.fragment}" if parts.fragment else ""))
                child.attrSet("href", href)
            if urlsplit(href).scheme in ("http", "https"):
                child.attrSet("rel", "noopener noreferrer")
    return md.renderer.render(tokens, md.options, env)
