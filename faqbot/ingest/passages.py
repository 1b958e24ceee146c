"""One markdown file's text -> passages: regions between events, includes spliced in, ids.

A passage is one FAQ question with its answer (from the line after the
question to the next event, or the end of the question's container), or a
stretch of text that belongs to no question (a "section passage"). Ids are
`<doc-stem>#<slug>`, unique within a top-level document.

    >>> slugify("What's new in 2024?")
    'whats-new-in-2024'
"""

from __future__ import annotations

import bisect
import re
import textwrap
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from faqbot.core.records import Passage
from faqbot.ingest.markdown import Event, Unit, markdown, squash, walk_tokens
from faqbot.ingest.mslearn import Include, IncludeContext, SkippedInclude, clean_line, open_include

__all__ = ["MAX_SLUG_CHARS", "Parsed", "Raw", "assign_ids", "parse_text", "slugify"]

MAX_SLUG_CHARS = 80

_FRONT_MATTER_OPEN = re.compile(r"---[ \t]*")
_FRONT_MATTER_CLOSE = re.compile(r"(?:---|\.\.\.)[ \t]*")
_NEWLINES = re.compile(r"\r\n?")
_SLUG_QUOTES = dict.fromkeys(map(ord, "'\"‘’‚‛“”„‟′″`´"))
_NON_SLUG = re.compile(r"[\W_]+")


@dataclass
class Raw:
    """A passage before ids are given (ids are unique per top-level document)."""

    question: str | None
    section: str | None
    answer_markdown: str
    answer_text: str
    source: str
    line_start: int
    line_end: int
    from_heading: bool
    order: tuple[int, int, int] = (0, 0, 0)


@dataclass
class Parsed:
    """One file parsed: its title and URL (front matter or H1), raw passages and warnings."""

    title: str | None
    url: str | None
    raws: list[Raw]
    warnings: list[str]


def parse_text(text: str, source: str, base_dir: Path | None, ctx: IncludeContext, depth: int) -> Parsed:
    """Parse one file's text into raw passages (includes resolved and spliced in)."""
    warnings: list[str] = []
    text = _NEWLINES.sub("\n", text.removeprefix("\ufeff"))
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the final newline ends the last line, it opens no new one
    fm_end, meta = _front_matter(lines, source, warnings)
    # Blank the front matter instead of cutting it: token maps then count the
    # lines of the file itself, front matter included.
    md_lines = [""] * fm_end + lines[fm_end:]
    tokens = markdown().parse("\n".join(md_lines))
    walk = walk_tokens(tokens, len(md_lines), fm_end)

    code_lines: set[int] = set()
    for tok in tokens:
        if tok.type in ("fence", "code_block") and tok.map:
            code_lines.update(range(tok.map[0], tok.map[1]))
    clean = [line if i in code_lines else clean_line(line) for i, line in enumerate(md_lines)]

    raws: list[Raw] = []
    events = walk.events
    for index, event in enumerate(events):
        following = events[index + 1].start if index + 1 < len(events) else len(md_lines)
        following = max(following, event.head_end)
        if event.kind == "question":
            end = max(event.head_end, min(event.limit, following))
            raws.append(_question_raw(event, end, clean, walk.units, source))
            rest = (end, following)
        else:
            rest = (event.head_end, following)
        section_raw = _section_raw(event.section_after, rest, event.start, clean, walk.units, source)
        if section_raw is not None:
            raws.append(section_raw)

    for include in walk.includes:
        section = _section_at(events, include.line)
        for j, raw in enumerate(_resolve_include(include, source, base_dir, ctx, depth, warnings)):
            raw.order = (include.line, 1, j)
            if raw.section is None:
                raw.section = section
            raws.append(raw)
    raws.sort(key=lambda r: r.order)

    title = _meta_str(meta, "title") or walk.h1 or None
    url = _meta_str(meta, "url") or _meta_str(meta, "canonical_url") or None
    return Parsed(title=title, url=url, raws=raws, warnings=warnings)


def _front_matter(lines: list[str], source: str, warnings: list[str]) -> tuple[int, dict[str, Any]]:
    """Number of front matter lines at the top (0 if none) and its mapping."""
    if not lines or not _FRONT_MATTER_OPEN.fullmatch(lines[0]):
        return 0, {}
    close = next((i for i in range(1, len(lines)) if _FRONT_MATTER_CLOSE.fullmatch(lines[i])), None)
    if close is None:
        return 0, {}  # a lone `---` is a thematic break, not front matter
    try:
        meta = yaml.safe_load("\n".join(lines[1:close]))
    except Exception as exc:
        warnings.append(f"{source}: front matter ignored, it is not valid YAML ({type(exc).__name__})")
        return close + 1, {}
    if meta is None:
        return close + 1, {}
    if not isinstance(meta, dict):
        warnings.append(f"{source}: front matter ignored, it is not a mapping of keys to values")
        return close + 1, {}
    return close + 1, meta


def _meta_str(meta: dict[str, Any], key: str) -> str:
    value = meta.get(key)
    # Only scalars: str() of an aliased YAML structure could be enormous.
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return " ".join(str(value).split())
    return ""


def _region_markdown(clean: list[str | None], start: int, end: int) -> str:
    kept = [line for line in clean[start:end] if line is not None]
    # Dedent: an answer indented under a list item must not read as a code block.
    body = textwrap.dedent("\n".join(line.expandtabs(4) for line in kept))
    return body.strip("\n").rstrip()


def _region_text(units: list[Unit], start: int, end: int) -> str:
    # Units are in line order (token order), so a region's units are a slice.
    lo = bisect.bisect_left(units, start, key=_unit_line)
    hi = bisect.bisect_left(units, end, key=_unit_line)
    out: list[str] = []
    pending = ""
    for unit in units[lo:hi]:
        for raw_line in unit.text.split("\n"):
            line = squash(raw_line)
            if not line:
                continue
            if pending:
                line, pending = f"{pending} {line}", ""
            out.append(line)
        if unit.alert_label and out:
            pending = out.pop()  # "Note:" alone: glue it to the alert's first line
    if pending:
        out.append(pending)
    return "\n".join(out)


def _unit_line(unit: Unit) -> int:
    return unit.line


def _kept_span(clean: list[str | None], start: int, end: int) -> tuple[int, int] | None:
    """0-based first and last lines in [start, end) that carry content."""
    kept = [i for i, line in enumerate(clean[start:end], start) if line is not None and line.strip()]
    return (kept[0], kept[-1]) if kept else None


def _question_raw(event: Event, end: int, clean: list[str | None], units: list[Unit], source: str) -> Raw:
    text = _region_text(units, event.head_end, end)
    span = _kept_span(clean, event.head_end, end)
    last = max(event.head_end - 1, span[1] if span else event.start, event.start)
    return Raw(
        question=event.text,
        section=event.section_after,
        answer_markdown=_region_markdown(clean, event.head_end, end),
        # An empty answer still needs text to embed and show: the question itself.
        answer_text=text or event.text,
        source=source,
        line_start=event.start + 1,
        line_end=last + 1,
        from_heading=event.from_heading,
        order=(event.start, 0, 0),
    )


def _section_raw(
    section: str | None, region: tuple[int, int], key: int, clean: list[str | None], units: list[Unit], source: str
) -> Raw | None:
    start, end = region
    text = _region_text(units, start, end)
    span = _kept_span(clean, start, end)
    if not text or span is None:
        return None
    return Raw(
        question=None,
        section=section,
        answer_markdown=_region_markdown(clean, start, end),
        answer_text=text,
        source=source,
        line_start=span[0] + 1,
        line_end=span[1] + 1,
        from_heading=False,
        order=(key, 0, 1),
    )


def _event_start(event: Event) -> int:
    return event.start


def _section_at(events: list[Event], line: int) -> str | None:
    index = bisect.bisect_right(events, line, key=_event_start) - 1
    return events[index].section_after if index >= 0 else None


def _resolve_include(
    include: Include, source: str, base_dir: Path | None, ctx: IncludeContext, depth: int, warnings: list[str]
) -> list[Raw]:
    """Parse an included file; on any failure warn and return nothing."""
    try:
        path, rel, text = open_include(include, base_dir, ctx, depth)
    except SkippedInclude as skipped:
        warnings.append(f"{source}:{include.line + 1}: include {include.target!r} skipped, {skipped}")
        return []
    ctx.included.add(rel)
    outer = ctx.stack
    ctx.stack = (*outer, path)
    try:
        parsed = parse_text(text, rel, path.parent, ctx, depth + 1)
    finally:
        ctx.stack = outer
    warnings.extend(parsed.warnings)
    return parsed.raws


def slugify(text: str) -> str:
    """Lowercase, quotes dropped, other non-alphanumerics -> '-', at most ~80 chars."""
    text = unicodedata.normalize("NFKC", text).lower().translate(_SLUG_QUOTES)
    slug = _NON_SLUG.sub("-", text).strip("-")
    if len(slug) > MAX_SLUG_CHARS:
        cut = slug[:MAX_SLUG_CHARS]
        # Cut at a word boundary when one is near, so the slug stays readable.
        if "-" in cut[MAX_SLUG_CHARS // 2 :]:
            cut = cut.rsplit("-", 1)[0]
        slug = cut.strip("-")
    return slug


def assign_ids(raws: list[Raw], source: str, title: str, doc_url: str | None) -> list[Passage]:
    """The passages of a top-level document, each with an id and anchor unique in it."""
    stem = source[:-3] if source.lower().endswith(".md") else source
    used: set[str] = set()
    passages: list[Passage] = []
    for raw in raws:
        if raw.question is not None:
            base = slugify(raw.question) or "question"
        elif raw.section is not None:
            base = slugify(raw.section) or "section"
        else:
            base = "intro"
        anchor, n = base, 1
        while anchor in used:
            n += 1
            anchor = f"{base}-{n}"
        used.add(anchor)
        # Learn renders an anchor per heading; other questions link to the page.
        url = f"{doc_url}#{anchor}" if doc_url and raw.from_heading else doc_url
        passages.append(
            Passage(
                passage_id=f"{stem}#{anchor}",
                doc_title=title,
                section=raw.section,
                question=raw.question,
                answer_markdown=raw.answer_markdown,
                answer_text=raw.answer_text,
                source=raw.source,
                line_start=raw.line_start,
                line_end=raw.line_end,
                anchor=anchor,
                url=url,
            )
        )
    return passages
