"""The FAQ pages' data: the corpus grouped into documents and sections with answers rendered
(the catalogue), and what every HTML page is rendered with.

    >>> catalogue = build_catalogue(bot.index.passages)      # doctest: +SKIP
    >>> catalogue.documents["ci-faq"].question_count         # doctest: +SKIP
    42

Answers are rendered by the render layer (`faqbot.doors.render.markdown_to_html`: raw
HTML shown as text, relative links resolved against the published page). A document's key
is its path under /faq/: the corpus-relative source without ".md" (`document_key`). Other
spellings (an included file's path, "x.md") are aliases that redirect to it. The catalogue is built once per loaded bot (`catalogue(app)`) and follows
the bot when a new index build is swapped in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from faqbot.core.records import Passage
from faqbot.doors.assets import templates_dir
from faqbot.doors.render import html_parser, markdown_to_html

if TYPE_CHECKING:
    from faqbot.answer.pipeline import FAQBot

__all__ = [
    "PRODUCT_NAME",
    "TEMPLATES",
    "build_catalogue",
    "catalogue",
    "document_key",
    "not_found_page",
    "page_context",
]

PRODUCT_NAME = "Contoso Insights"

TEMPLATES = Jinja2Templates(directory=str(templates_dir()))
"""The pages' templates (autoescaped); reading a template waits for its first use."""


@dataclass
class _Entry:
    passage: Passage
    html: str


@dataclass
class _Section:
    title: str | None
    entries: list[_Entry] = field(default_factory=list)

    @property
    def questions(self) -> list[_Entry]:
        return [entry for entry in self.entries if entry.passage.question]

    @property
    def first_anchor(self) -> str:
        return (self.questions or self.entries)[0].passage.anchor


@dataclass
class _FaqDocument:
    key: str  # the URL path under /faq/: the source without ".md"
    title: str
    source: str
    url: str | None
    sections: list[_Section]

    @property
    def question_count(self) -> int:
        return sum(len(section.questions) for section in self.sections)


@dataclass
class _Catalogue:
    documents: dict[str, _FaqDocument]
    aliases: dict[str, str]  # other spellings (an include's path, "x.md") -> document key


def document_key(passage: Passage) -> str:
    """The document a passage belongs to, as its /faq/ path: `ci-faq` for `ci-faq#some-question`."""
    suffix = "#" + passage.anchor
    if passage.passage_id.endswith(suffix) and len(passage.passage_id) > len(suffix):
        return passage.passage_id[: -len(suffix)]
    return _strip_md(passage.source)


def _strip_md(source: str) -> str:
    return source[:-3] if source.lower().endswith(".md") else source


def build_catalogue(passages: Sequence[Passage]) -> _Catalogue:
    """Group passages (in index order) into documents and sections, with answers rendered."""
    md = html_parser()
    grouped: dict[str, list[Passage]] = {}
    for passage in passages:
        grouped.setdefault(document_key(passage), []).append(passage)
    documents: dict[str, _FaqDocument] = {}
    aliases: dict[str, str] = {}
    for key, members in grouped.items():
        own = [p for p in members if _strip_md(p.source) == key] or members
        doc_url = next((p.url.split("#", 1)[0] for p in own if p.url), None)
        sections: list[_Section] = []
        for passage in members:
            if not sections or sections[-1].title != passage.section:
                sections.append(_Section(passage.section))
            sections[-1].entries.append(_Entry(passage, markdown_to_html(passage.answer_markdown, doc_url, md=md)))
            aliases.setdefault(_strip_md(passage.source), key)
        documents[key] = _FaqDocument(key, own[0].doc_title, own[0].source, doc_url, sections)
        aliases[own[0].source] = key
    return _Catalogue(documents, {alias: key for alias, key in aliases.items() if alias != key})


def catalogue(app: FastAPI) -> _Catalogue | None:
    """The catalogue of the bot in service (built on first use after each swap), or None
    while the bot is loading."""
    bot: FAQBot | None = app.state.bot
    if bot is None:
        return None
    with app.state.lock:
        if app.state.catalogue_of is not bot:
            app.state.catalogue = build_catalogue(bot.index.passages)
            app.state.catalogue_of = bot
        return app.state.catalogue


def page_context(request: Request, **extra: Any) -> dict[str, Any]:
    """What every page template gets: the product's name, the year, and `extra`."""
    return {"product": PRODUCT_NAME, "year": dt.date.today().year, **extra}


def not_found_page(request: Request) -> Response:
    """The 404 page, listing the FAQ documents (when the bot is loaded)."""
    found = catalogue(request.app)
    return TEMPLATES.TemplateResponse(
        request,
        "not_found.html",
        page_context(
            request,
            title="Page not found",
            path=request.url.path,
            documents=list(found.documents.values()) if found else [],
        ),
        status_code=404,
    )
