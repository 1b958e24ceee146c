"""What every format shares: link targets, citation labels and the place of an answer's
source, MS Learn's markdown extensions, and cutting a long text at a line or word."""

from __future__ import annotations

import re
from urllib.parse import quote, urljoin, urlsplit

from markdown_it import MarkdownIt

from faqbot.core.records import Answer, Citation, RelatedQuestion

__all__ = [
    "citation_label",
    "citation_url",
    "document_base",
    "faq_page",
    "learn_markdown",
    "markdown_parser",
    "resolve_link",
    "spell_out_alerts",
    "trim",
    "unlisted_related",
]

_ALERT = re.compile(
    r"^((?:[ \t]*>)+[ \t]*)\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\][ \t]*", re.IGNORECASE | re.MULTILINE
)
_DIV = re.compile(r"^(?:[ \t]*>)*[ \t]*\[!div[^\]]*\][ \t]*$\n?", re.IGNORECASE | re.MULTILINE)
_LINK_SCHEMES = ("http", "https", "mailto")


def markdown_parser() -> MarkdownIt:
    """CommonMark with tables and strikethrough, as the corpus is written."""
    # html=False: raw HTML in an answer is text, shown escaped, never markup.
    return MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


def learn_markdown(markdown: str) -> str:
    """MS Learn's extensions as plain markdown: `> [!NOTE]` -> `> **Note:**`, `[!div]` lines dropped.

    >>> learn_markdown("> [!NOTE]\\n> Read this.")
    '> **Note:** \\n> Read this.'
    """
    return spell_out_alerts(_DIV.sub("", markdown))


def spell_out_alerts(markdown: str) -> str:
    """MS Learn's alerts as bold words: `> [!NOTE]` -> `> **Note:**`."""
    return _ALERT.sub(lambda m: f"{m.group(1)}**{m.group(2).capitalize()}:** ", markdown)


def resolve_link(href: str, base_url: str | None) -> str | None:
    """An absolute http(s)/mailto URL for a link target, or None when it cannot be made one.

    >>> resolve_link("other-page.md#top", "https://x.test/docs/faq")
    'https://x.test/docs/other-page#top'
    >>> resolve_link("javascript:alert(1)", None) is None
    True
    """
    href = href.strip()
    parts = urlsplit(href)
    if not parts.scheme:
        if not base_url or href.startswith("//"):
            return None
        path = parts.path[:-3] if parts.path.lower().endswith(".md") else parts.path
        href = urljoin(base_url, path + (f"#{parts.fragment}" if parts.fragment else ""))
        parts = urlsplit(href)
    if parts.scheme.lower() not in _LINK_SCHEMES:
        return None
    return href


def trim(text: str, limit: int, *, tail: str = "") -> str:
    """`text` if it fits in `limit` characters, else cut at a line or word with `…` and `tail`.

    Never cuts inside a `<...>` link or an `&...;` entity, and closes an open code fence."""
    if len(text) <= limit:
        return text
    room = max(limit - len(tail) - 8, 0)  # 8: "…", a closing fence
    cut = text[:room]
    for separator in ("\n", " "):
        at = cut.rfind(separator)
        if at > room // 2:
            cut = cut[:at]
            break
    if cut.rfind("<") > cut.rfind(">"):
        cut = cut[: cut.rfind("<")]
    if cut.rfind("&") > cut.rfind(";"):
        cut = cut[: cut.rfind("&")]
    cut = cut.rstrip() + " …"
    if cut.count("```") % 2:
        cut += "\n```"
    return cut + tail


def _document_key(passage_id: str, anchor: str | None = None) -> str:
    """The document part of a passage id (`ci-faq` for `ci-faq#some-question`)."""
    if anchor and passage_id.endswith("#" + anchor) and len(passage_id) > len(anchor) + 1:
        return passage_id[: -len(anchor) - 1]
    return passage_id.split("#", 1)[0]


def faq_page(public_base_url: str | None, passage_id: str, anchor: str | None = None) -> str | None:
    """The bot's own `/faq/<doc>#<anchor>` page for a passage, when the public base URL is known.

    >>> faq_page("https://faq.example.com/", "ci-faq#what-is-it")
    'https://faq.example.com/faq/ci-faq#what-is-it'
    """
    if not public_base_url:
        return None
    anchor = anchor if anchor is not None else passage_id.split("#", 1)[-1]
    key = _document_key(passage_id, anchor)
    return f"{public_base_url.rstrip('/')}/faq/{quote(key)}#{quote(anchor)}"


def citation_url(citation: Citation, public_base_url: str | None = None) -> str | None:
    """Where a person can read the cited passage: its public URL, else the bot's own page."""
    if citation.url and resolve_link(citation.url, None):
        return citation.url
    return faq_page(public_base_url, citation.passage_id, citation.anchor)


def citation_label(citation: Citation) -> str:
    """`<document> › <question>` (or the section, or the document alone)."""
    return f"{citation.doc_title} › {citation.question or citation.section or citation.doc_title}"


def document_base(citations: list[Citation]) -> str | None:
    """The published page relative links in an answer are relative to (its first cited document's)."""
    for citation in citations:
        if citation.url:
            return citation.url.split("#", 1)[0]
    return None


def unlisted_related(answer: Answer) -> list[RelatedQuestion]:
    """Related questions not already in the answer's text."""
    # The no-answer message already lists its suggestions in the text: do not list them twice.
    return [item for item in answer.related if item.question not in answer.answer]
