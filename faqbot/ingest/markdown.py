"""One pass over markdown-it-py block tokens: where questions, sections and text stand.

The walk never looks at raw lines with regular expressions: lists, indented
answers and block quotes are read the way a markdown renderer reads them.
It yields `Event`s (something that starts at a line and ends the text before
it: a question, a section heading, a boundary), `Unit`s (the plain text of
each leaf block, in line order) and the `[!INCLUDE]` paragraphs.

    >>> walk = walk_tokens(markdown().parse("# T\\n\\n## Why?\\n\\nBecause.\\n"), 5, 0)
    >>> [(e.kind, e.text) for e in walk.events], walk.h1
    ([('start', ''), ('boundary', ''), ('question', 'Why?')], 'T')
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.token import Token

from faqbot.ingest.mslearn import DIV_LEAD, INCLUDE, Include, alert_label

__all__ = ["Event", "Unit", "Walk", "is_question", "markdown", "squash", "walk_tokens"]

_QUESTION_HEADING_LEVELS = (2, 3, 4)
_SECTION_HEADING_LEVELS = (2, 3)
_CONTAINER_OPENS = ("bullet_list_open", "ordered_list_open", "list_item_open", "blockquote_open")
_CONTAINER_CLOSES = ("bullet_list_close", "ordered_list_close", "list_item_close", "blockquote_close")
_CONTAINER_KINDS = {"bullet_list_open": "list", "ordered_list_open": "list", "list_item_open": "item"}
_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
_HTML_TAG = re.compile(r"<[^>]*>")


@functools.cache
def markdown() -> MarkdownIt:
    """The parser: CommonMark plus the GFM tables and strikethrough that Learn pages use."""
    # maxNesting (20) keeps hostile nesting from recursing deeply.
    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


@dataclass
class Event:
    """Something that starts at a line and ends the text before it."""

    kind: str  # "start" | "question" | "section" | "boundary"
    start: int  # 0-based first line
    head_end: int  # 0-based line after the heading / question paragraph
    text: str = ""
    limit: int = 0  # a question's answer cannot run past its container's end
    from_heading: bool = False
    section_after: str | None = None


@dataclass
class Unit:
    """Plain text of one leaf block (paragraph, heading, code, table row)."""

    line: int
    text: str
    alert_label: bool = False


@dataclass
class _Container:
    kind: str  # "list" | "item" | "quote"
    level: int
    end: int
    fresh: bool = True  # no child block seen yet


@dataclass
class Walk:
    """What one pass over a file's tokens found."""

    events: list[Event]
    units: list[Unit]
    includes: list[Include]
    h1: str | None


def walk_tokens(tokens: Sequence[Token], n_lines: int, first_line: int) -> Walk:
    """One pass over the block tokens: questions, sections, text units, includes."""
    walker = _Walker(tokens, n_lines, first_line)
    for i, tok in enumerate(tokens):
        walker.visit(i, tok)
    return Walk(events=walker.events, units=walker.units, includes=walker.includes, h1=walker.h1)


@dataclass
class _Walker:
    """The state of `walk_tokens`: open containers, the current section, the title."""

    tokens: Sequence[Token]
    n_lines: int
    first_line: int
    events: list[Event] = field(default_factory=list)
    units: list[Unit] = field(default_factory=list)
    includes: list[Include] = field(default_factory=list)
    stack: list[_Container] = field(default_factory=list)
    h1: str | None = None
    section: str | None = None
    open_heading_level: int | None = None  # level of the heading question being answered

    def __post_init__(self) -> None:
        self.events.append(Event("start", self.first_line, self.first_line))

    def add_event(self, event: Event) -> None:
        event.section_after = self.section
        self.events.append(event)

    def visit(self, i: int, tok: Token) -> None:
        stack = self.stack
        if tok.nesting == -1:
            if tok.type in _CONTAINER_CLOSES and stack:
                stack.pop()
            return
        if tok.type == "inline" or (tok.map is None and tok.type not in _CONTAINER_OPENS):
            return
        first = False
        if stack and tok.level == stack[-1].level + 1:
            first, stack[-1].fresh = stack[-1].fresh, False
        parent = stack[-1] if stack else None
        start, stop = tok.map or (0, self.n_lines)
        prefix = _prefix(first, parent)

        if tok.type in _CONTAINER_OPENS:
            stack.append(_Container(_CONTAINER_KINDS.get(tok.type, "quote"), tok.level, stop))
        elif tok.type == "heading_open":
            self.heading(tok, self.tokens[i + 1], start, stop, prefix)
        elif tok.type == "paragraph_open":
            quoted = first and parent is not None and parent.kind == "quote"
            self.paragraph(self.tokens[i + 1], start, stop, prefix, quoted)
        elif tok.type in ("fence", "code_block"):
            if tok.content.strip():
                self.units.append(Unit(start, prefix + tok.content))
        elif tok.type == "html_block":
            text = html.unescape(_HTML_TAG.sub(" ", _HTML_COMMENT.sub(" ", tok.content)))
            if text.strip():
                self.units.append(Unit(start, prefix + text))
        elif tok.type == "tr_open":
            cells = []
            for child in _until_close(self.tokens, i, "tr_close"):
                if child.type == "inline":
                    cells.append(squash(_plain_inline(child)))
            if any(cells):
                self.units.append(Unit(start, " | ".join(cells)))

    def heading(self, tok: Token, inline: Token, start: int, stop: int, prefix: str) -> None:
        level = int(tok.tag[1:]) if tok.tag[1:].isdigit() else 6
        text = squash(_plain_inline(inline))
        if self.stack or not text:
            if text:
                self.units.append(Unit(start, prefix + text))
        elif level == 1 and self.h1 is None:
            # The first H1 is the title: it ends the intro, it is not a section.
            self.h1 = text
            self.add_event(Event("boundary", start, stop))
            self.open_heading_level = None
        elif level in _QUESTION_HEADING_LEVELS and is_question(text):
            self.add_event(Event("question", start, stop, text, limit=self.n_lines, from_heading=True))
            self.open_heading_level = level
        elif self.open_heading_level is not None and level > self.open_heading_level:
            self.units.append(Unit(start, text))  # a sub-heading inside a heading question's answer
        elif level == 1 or level in _SECTION_HEADING_LEVELS:
            self.section = text
            self.add_event(Event("section", start, stop, text))
            self.open_heading_level = None
        elif self.open_heading_level is not None:
            self.add_event(Event("boundary", start, stop))  # same or higher level: ends the answer
            self.open_heading_level = None
            self.units.append(Unit(start, text))
        else:
            self.units.append(Unit(start, text))

    def paragraph(self, inline: Token, start: int, stop: int, prefix: str, quoted: bool) -> None:
        match = INCLUDE.fullmatch(inline.content.strip())
        if match:
            self.includes.append(Include(start, match.group(1)))
            return
        question = _bold_question(inline)
        if question is not None:
            container = next((c for c in reversed(self.stack) if c.kind != "list"), None)
            limit = container.end if container else self.n_lines
            self.add_event(Event("question", start, stop, question, limit=limit))
            self.open_heading_level = None
            return
        # `[!div class="..."]` only wraps (an image, usually): drop the marker.
        text = DIV_LEAD.sub("", _plain_inline(inline))
        alert = False
        if quoted:
            text, alert = alert_label(text)
        text = text.strip()
        if text:
            self.units.append(Unit(start, prefix + text, alert_label=alert and text[-1:] == ":"))


def _until_close(tokens: Sequence[Token], i: int, close: str) -> Iterator[Token]:
    # Index, don't slice: a slice per table row would copy the rest of the stream.
    for j in range(i + 1, len(tokens)):
        if tokens[j].type == close:
            return
        yield tokens[j]


def _prefix(first: bool, parent: _Container | None) -> str:
    """List items become lines starting with '- ' in plain text."""
    return "- " if first and parent is not None and parent.kind == "item" else ""


def _plain_inline(inline: Token) -> str:
    """Inline tokens as plain text: markup, images and inline HTML dropped, link text kept."""
    parts: list[str] = []
    for child in inline.children or ():
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type == "softbreak":
            parts.append(" ")
        elif child.type == "hardbreak":
            parts.append("\n")
    return "".join(parts)


def _bold_question(inline: Token) -> str | None:
    """The question text if the paragraph is all bold and ends in `?`, else None."""
    children = [
        c
        for c in inline.children or ()
        if not (c.type in ("softbreak", "hardbreak") or (c.type == "text" and not c.content.strip()))
    ]
    if len(children) < 3 or children[0].type != "strong_open" or children[-1].type != "strong_close":
        return None
    depth = 0
    for index, child in enumerate(children):
        if child.type == "strong_open":
            depth += 1
        elif child.type == "strong_close":
            depth -= 1
            if depth == 0 and index != len(children) - 1:
                return None  # `**A?** and **B?**`: bold is only part of the paragraph
    text = squash(_plain_inline(inline))
    return text if is_question(text) else None


def is_question(text: str) -> bool:
    """Whether a heading or bold paragraph is a question (ends in `?`, full-width too)."""
    return text.rstrip().endswith(("?", "？"))


def squash(text: str) -> str:
    """Whitespace runs (newlines too) as one space, ends trimmed."""
    return " ".join(text.split())
