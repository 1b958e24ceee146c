"""The corpus parser: FAQ markdown files -> `Document` and `Passage` records.

Parsing works on markdown-it-py block tokens, never on regular expressions
over raw lines, so that lists, indented answers and block quotes are read the
way a markdown renderer reads them. A passage is one FAQ question with its
answer, or a stretch of text that belongs to no question (a "section passage").

Questions are found in three layouts, the ones Microsoft Learn FAQs use:

1. a numbered item whose first paragraph is all bold and ends in `?`
   (`1. **What is X?**`), the answer indented under it;
2. any other paragraph that is all bold and ends in `?` (top level, or inside
   the previous item), its own passage;
3. a `##` / `###` / `####` heading ending in `?`.

Microsoft Learn extensions: `[!INCLUDE [x](path)]` paragraphs are parsed and
their passages spliced in; `> [!NOTE]` style alerts are kept as text;
`> [!div ...]` wrappers and images are dropped.

    >>> doc = parse_document("# FAQ\\n\\n## What is X?\\n\\nX is a thing.\\n", "faq.md")
    >>> [(p.passage_id, p.answer_text) for p in doc.passages]
    [('faq#what-is-x', 'X is a thing.')]

Errors: a missing corpus folder, or one without any markdown document, raises
`CorpusError`. A single unreadable file is reported in `Corpus.problems`; a
broken front matter or a missing include is a warning on its `Document`.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import html
import json
import logging
import os
import posixpath
import re
import textwrap
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from faqbot.core.errors import CorpusError
from faqbot.core.records import Document, Passage
from faqbot.ingest.crossref import link_cross_references

__all__ = ["Corpus", "corpus_file_hashes", "load_corpus", "parse_document"]

log = logging.getLogger(__name__)

URLS_FILE = "urls.json"
"""Optional file in the corpus folder mapping a source path to its public URL."""

MAX_SLUG_CHARS = 80
# Includes nest a few levels at most on Learn; the limits only stop a hostile
# or broken corpus from fanning out (A includes B twice, B includes C twice...).
MAX_INCLUDE_DEPTH = 8
MAX_INCLUDES_PER_DOCUMENT = 200

_QUESTION_HEADING_LEVELS = (2, 3, 4)
_SECTION_HEADING_LEVELS = (2, 3)
_CONTAINER_OPENS = ("bullet_list_open", "ordered_list_open", "list_item_open", "blockquote_open")
_CONTAINER_CLOSES = ("bullet_list_close", "ordered_list_close", "list_item_close", "blockquote_close")
_ALERTS = ("NOTE", "TIP", "IMPORTANT", "WARNING", "CAUTION")

_FRONT_MATTER_OPEN = re.compile(r"---[ \t]*")
_FRONT_MATTER_CLOSE = re.compile(r"(?:---|\.\.\.)[ \t]*")
_NEWLINES = re.compile(r"\r\n?")
# `[!INCLUDE [label](path)]`, with or without the space, as a whole paragraph.
_INCLUDE = re.compile(
    r"\[!INCLUDE\s*\[[^\]]*\]\(\s*<?([^)<>\s]+)>?(?:\s+\"[^\"]*\")?\s*\)\s*\]",
    re.IGNORECASE,
)
_DIV_MARKER = re.compile(r"\[!div\b[^\]]*\]", re.IGNORECASE)
_DIV_LEAD = re.compile(r"^\s*\[!div\b[^\]]*\]", re.IGNORECASE)
_ALERT_MARKER = re.compile(r"\[!(" + "|".join(_ALERTS) + r")\][ \t]*", re.IGNORECASE)
_IMAGE = re.compile(r"!\[[^\]\n]*\](?:\([^)\n]*\)|\[[^\]\n]*\])")
_QUOTE_PREFIX = re.compile(r"^[\s>]*")
_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
_HTML_TAG = re.compile(r"<[^>]*>")
_SLUG_QUOTES = dict.fromkeys(map(ord, "'\"‘’‚‛“”„‟′″`´"))
_NON_SLUG = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class Corpus:
    """Every document of a corpus folder, and the files that could not be parsed.

    `problems` holds one message per skipped file, each naming the file.
    """

    documents: tuple[Document, ...]
    problems: tuple[str, ...] = ()

    @property
    def passages(self) -> tuple[Passage, ...]:
        """All passages of all documents, in document order."""
        return tuple(p for doc in self.documents for p in doc.passages)


# --------------------------------------------------------------------------- public API


def parse_document(
    text: str,
    source: str,
    *,
    url: str | None = None,
    base_dir: Path | None = None,
) -> Document:
    """Parse one FAQ markdown file into a `Document`.

    `source` is the path relative to the corpus folder (it names passages and
    citations); `url` is the document's public URL if known (a front matter
    `url` / `canonical_url` wins); `base_dir` is the file's folder, needed to
    resolve `[!INCLUDE]`s (without it they are skipped with a warning).

        >>> parse_document("**Why?**\\n\\nBecause.", "x.md").passages[0].question
        'Why?'
    """
    root = _corpus_root(base_dir, source) if base_dir is not None else None
    document, _included = _parse_top(text, source, url=url, base_dir=base_dir, root=root)
    return document


def load_corpus(corpus_dir: Path) -> Corpus:
    """Parse every FAQ markdown file under `corpus_dir` (recursively, sorted by path).

    Skipped: repository meta files (README.md, LICENSE.md, ATTRIBUTION.md...),
    files under hidden folders, and files that another document includes.
    URLs come from `urls.json` (source path -> URL) or the front matter.
    Raises `CorpusError` when the folder is missing or yields no document.
    """
    root = Path(corpus_dir)
    if not root.is_dir():
        raise CorpusError(f"corpus folder {str(root)!r} does not exist or is not a folder")
    problems: list[str] = []
    urls = _read_urls(root, problems)
    parsed: dict[str, tuple[Document, frozenset[str]]] = {}
    for rel in _markdown_files(root):
        if _is_meta(rel):
            continue
        text, problem = _read_text(root / rel, rel)
        if text is None:
            problems.append(problem)
            continue
        try:
            parsed[rel] = _parse_top(text, rel, url=urls.get(rel), base_dir=(root / rel).parent, root=root)
        except RecursionError:
            # markdown-it and PyYAML limit nesting themselves; this is the last guard.
            problems.append(f"{rel}: nested too deeply to parse")
    kept = _documents_not_included(parsed)
    for message in problems:
        log.warning("corpus: %s", message)
    if not kept:
        detail = f" ({'; '.join(problems)})" if problems else ""
        raise CorpusError(f"no markdown FAQ document in corpus folder {str(root)!r}{detail}")
    return Corpus(documents=tuple(parsed[rel][0] for rel in kept), problems=tuple(problems))


def corpus_file_hashes(corpus_dir: Path) -> dict[str, str]:
    """sha256 of every file whose content affects the parse, keyed by relative posix path.

    That is every `*.md` file (meta and include files too) and `urls.json`;
    comparing two results tells whether an index built from the corpus is stale.
    """
    root = Path(corpus_dir)
    if not root.is_dir():
        raise CorpusError(f"corpus folder {str(root)!r} does not exist or is not a folder")
    names = list(_markdown_files(root))
    if (root / URLS_FILE).is_file():
        names.append(URLS_FILE)
    hashes: dict[str, str] = {}
    for rel in sorted(names):
        try:
            hashes[rel] = hashlib.sha256((root / rel).read_bytes()).hexdigest()
        except OSError:
            # An unreadable file still counts: its presence changes the parse (a problem).
            hashes[rel] = "unreadable"
    return hashes


# --------------------------------------------------------------------------- corpus folder


def _markdown_files(root: Path) -> list[str]:
    """Relative posix paths of the `.md` files under `root`, sorted; hidden folders skipped."""
    found: list[str] = []
    # os.walk does not follow symlinked folders, so a link loop cannot hang the walk.
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        rel_folder = Path(folder).relative_to(root)
        for name in files:
            if name.lower().endswith(".md") and not name.startswith("."):
                found.append((rel_folder / name).as_posix())
    return sorted(found)


META_FILE_STEMS = frozenset(
    {
        "README",
        "LICENSE",
        "LICENCE",
        "ATTRIBUTION",
        "NOTICE",
        "CHANGELOG",
        "CONTRIBUTING",
        "AUTHORS",
        "CODE_OF_CONDUCT",
        "SECURITY",
        "SUPPORT",
    }
)


def _is_meta(rel: str) -> bool:
    """README.md, LICENSE.md, ATTRIBUTION.md...: repository furniture, not FAQ.
    (A document named FAQ.md is a document.)"""
    return PurePosixPath(rel).stem.upper() in META_FILE_STEMS


def _read_text(path: Path, rel: str) -> tuple[str | None, str]:
    """The decoded text of a file, or None and a problem message naming it."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, f"{rel}: cannot be read ({exc.strerror or exc})"
    if b"\x00" in data:
        return None, f"{rel}: looks like a binary file (NUL bytes), not markdown"
    try:
        # utf-8-sig: editors on Windows still write a byte order mark.
        return data.decode("utf-8-sig"), ""
    except UnicodeDecodeError as exc:
        return None, f"{rel}: not valid UTF-8 ({exc.reason} at byte {exc.start})"


def _read_urls(root: Path, problems: list[str]) -> dict[str, str]:
    """`urls.json` as {source: url}; a broken file is a problem, not a crash."""
    path = root / URLS_FILE
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        problems.append(f"{URLS_FILE}: ignored, cannot be read as JSON ({exc})")
        return {}
    if not isinstance(data, dict):
        problems.append(f"{URLS_FILE}: ignored, expected an object mapping source paths to URLs")
        return {}
    urls: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, str) and value.strip():
            urls[posixpath.normpath(key.replace("\\", "/")).removeprefix("./")] = value.strip()
        else:
            problems.append(f"{URLS_FILE}: ignored the entry for {key!r}, its URL is not a string")
    return urls


def _documents_not_included(parsed: dict[str, tuple[Document, frozenset[str]]]) -> list[str]:
    """The sources that stand as documents: those no other kept document includes.

    Roots (files nobody else includes) are kept first; a cycle of files that
    only include each other keeps its first file in path order.
    """
    included_by_other = {inc for rel, (_doc, incs) in parsed.items() for inc in incs if inc != rel}
    kept: list[str] = []
    covered: set[str] = set()
    for rel, (_doc, incs) in parsed.items():
        if rel not in included_by_other:
            kept.append(rel)
            covered |= incs
    for rel, (_doc, incs) in parsed.items():
        if rel not in covered and rel not in kept:
            kept.append(rel)
            covered |= incs
    return sorted(kept)


def _corpus_root(base_dir: Path, source: str) -> Path:
    """The corpus folder, given a file's folder and its corpus-relative path."""
    root = Path(base_dir)
    for _part in PurePosixPath(source).parent.parts:
        root = root.parent
    return root


# --------------------------------------------------------------------------- one file


@dataclass
class _Raw:
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
class _Event:
    """Something that starts at a line and ends the text before it."""

    kind: str  # "start" | "question" | "section" | "boundary"
    start: int  # 0-based first line
    head_end: int  # 0-based line after the heading / question paragraph
    text: str = ""
    limit: int = 0  # a question's answer cannot run past its container's end
    from_heading: bool = False
    section_after: str | None = None


@dataclass
class _Unit:
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
class _Include:
    line: int
    target: str


@dataclass
class _IncludeContext:
    """State shared by a top-level document and everything it includes."""

    root: Path | None
    stack: tuple[Path, ...]
    included: set[str] = field(default_factory=set)
    budget: int = MAX_INCLUDES_PER_DOCUMENT


@dataclass
class _Parsed:
    title: str | None
    url: str | None
    raws: list[_Raw]
    warnings: list[str]


@functools.cache
def _markdown() -> MarkdownIt:
    # CommonMark plus the GFM tables and strikethrough that Learn pages use;
    # maxNesting (20) keeps hostile nesting from recursing deeply.
    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


def _parse_top(
    text: str, source: str, *, url: str | None, base_dir: Path | None, root: Path | None
) -> tuple[Document, frozenset[str]]:
    """Parse a top-level document; also return the sources it includes."""
    own = (Path(base_dir) / PurePosixPath(source).name).resolve() if base_dir is not None else None
    ctx = _IncludeContext(root=root.resolve() if root is not None else None, stack=(own,) if own else ())
    parsed = _parse_text(text, source, base_dir, ctx, depth=0)
    title = parsed.title or PurePosixPath(source).stem
    doc_url = parsed.url or url
    passages = link_cross_references(_assign_ids(parsed.raws, source, title, doc_url))
    for message in parsed.warnings:
        log.warning("%s", message)
    document = Document(
        source=source, title=title, url=doc_url, passages=tuple(passages), warnings=tuple(parsed.warnings)
    )
    return document, frozenset(ctx.included)


def _parse_text(text: str, source: str, base_dir: Path | None, ctx: _IncludeContext, depth: int) -> _Parsed:
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
    tokens = _markdown().parse("\n".join(md_lines))
    walk = _walk(tokens, len(md_lines), fm_end)

    code_lines: set[int] = set()
    for tok in tokens:
        if tok.type in ("fence", "code_block") and tok.map:
            code_lines.update(range(tok.map[0], tok.map[1]))
    clean = [line if i in code_lines else _clean_line(line) for i, line in enumerate(md_lines)]

    raws: list[_Raw] = []
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
    return _Parsed(title=title, url=url, raws=raws, warnings=warnings)


def _front_matter(lines: list[str], source: str, warnings: list[str]) -> tuple[int, dict]:
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


def _meta_str(meta: dict, key: str) -> str:
    value = meta.get(key)
    # Only scalars: str() of an aliased YAML structure could be enormous.
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return " ".join(str(value).split())
    return ""


# --------------------------------------------------------------------------- token walk


@dataclass
class _Walk:
    events: list[_Event]
    units: list[_Unit]
    includes: list[_Include]
    h1: str | None


def _walk(tokens: Sequence[Token], n_lines: int, first_line: int) -> _Walk:
    """One pass over the block tokens: questions, sections, text units, includes."""
    events = [_Event("start", first_line, first_line)]
    units: list[_Unit] = []
    includes: list[_Include] = []
    stack: list[_Container] = []
    h1: str | None = None
    section: str | None = None
    open_heading_level: int | None = None  # level of the heading question being answered

    def add_event(event: _Event) -> None:
        event.section_after = section
        events.append(event)

    for i, tok in enumerate(tokens):
        if tok.nesting == -1:
            if tok.type in _CONTAINER_CLOSES and stack:
                stack.pop()
            continue
        if tok.type == "inline" or (tok.map is None and tok.type not in _CONTAINER_OPENS):
            continue
        first = False
        if stack and tok.level == stack[-1].level + 1:
            first, stack[-1].fresh = stack[-1].fresh, False
        parent = stack[-1] if stack else None
        start, stop = tok.map or (0, n_lines)

        if tok.type in ("bullet_list_open", "ordered_list_open"):
            stack.append(_Container("list", tok.level, stop))
        elif tok.type == "list_item_open":
            stack.append(_Container("item", tok.level, stop))
        elif tok.type == "blockquote_open":
            stack.append(_Container("quote", tok.level, stop))
        elif tok.type == "heading_open":
            level = int(tok.tag[1:]) if tok.tag[1:].isdigit() else 6
            text = _squash(_plain_inline(tokens[i + 1]))
            if stack or not text:
                if text:
                    units.append(_Unit(start, _prefix(first, parent) + text))
            elif level == 1 and h1 is None:
                # The first H1 is the title: it ends the intro, it is not a section.
                h1 = text
                add_event(_Event("boundary", start, stop))
                open_heading_level = None
            elif level in _QUESTION_HEADING_LEVELS and _is_question(text):
                add_event(_Event("question", start, stop, text, limit=n_lines, from_heading=True))
                open_heading_level = level
            elif open_heading_level is not None and level > open_heading_level:
                units.append(_Unit(start, text))  # a sub-heading inside a heading question's answer
            elif level == 1 or level in _SECTION_HEADING_LEVELS:
                section = text
                add_event(_Event("section", start, stop, text))
                open_heading_level = None
            elif open_heading_level is not None:
                add_event(_Event("boundary", start, stop))  # same or higher level: ends the answer
                open_heading_level = None
                units.append(_Unit(start, text))
            else:
                units.append(_Unit(start, text))
        elif tok.type == "paragraph_open":
            inline = tokens[i + 1]
            match = _INCLUDE.fullmatch(inline.content.strip())
            if match:
                includes.append(_Include(start, match.group(1)))
                continue
            question = _bold_question(inline)
            if question is not None:
                container = next((c for c in reversed(stack) if c.kind != "list"), None)
                limit = container.end if container else n_lines
                add_event(_Event("question", start, stop, question, limit=limit))
                open_heading_level = None
                continue
            # `[!div class="..."]` only wraps (an image, usually): drop the marker.
            text = _DIV_LEAD.sub("", _plain_inline(inline))
            alert = False
            if first and parent is not None and parent.kind == "quote":
                text, alert = _alert_label(text)
            text = text.strip()
            if text:
                units.append(_Unit(start, _prefix(first, parent) + text, alert_label=alert and text[-1:] == ":"))
        elif tok.type in ("fence", "code_block"):
            if tok.content.strip():
                units.append(_Unit(start, _prefix(first, parent) + tok.content))
        elif tok.type == "html_block":
            text = html.unescape(_HTML_TAG.sub(" ", _HTML_COMMENT.sub(" ", tok.content)))
            if text.strip():
                units.append(_Unit(start, _prefix(first, parent) + text))
        elif tok.type == "tr_open":
            cells = []
            for child in _until_close(tokens, i, "tr_close"):
                if child.type == "inline":
                    cells.append(_squash(_plain_inline(child)))
            if any(cells):
                units.append(_Unit(start, " | ".join(cells)))
    return _Walk(events=events, units=units, includes=includes, h1=h1)


def _until_close(tokens: Sequence[Token], i: int, close: str) -> Iterator[Token]:
    # Index, don't slice: a slice per table row would copy the rest of the stream.
    for j in range(i + 1, len(tokens)):
        if tokens[j].type == close:
            return
        yield tokens[j]


def _prefix(first: bool, parent: _Container | None) -> str:
    """List items become lines starting with '- ' in plain text."""
    return "- " if first and parent is not None and parent.kind == "item" else ""


def _alert_label(text: str) -> tuple[str, bool]:
    """`[!NOTE] Foo` -> `Note: Foo`: alerts keep their text and say what they are."""
    match = _ALERT_MARKER.match(text.lstrip())
    if not match:
        return text, False
    return f"{match.group(1).capitalize()}: {text.lstrip()[match.end() :]}", True


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
    text = _squash(_plain_inline(inline))
    return text if _is_question(text) else None


def _is_question(text: str) -> bool:
    return text.rstrip().endswith(("?", "？"))


def _squash(text: str) -> str:
    return " ".join(text.split())


# --------------------------------------------------------------------------- regions -> raws


def _clean_line(line: str) -> str | None:
    """A markdown line with dropped constructs removed; None when nothing is left."""
    bare = _QUOTE_PREFIX.sub("", line).strip()
    if _INCLUDE.fullmatch(bare) or _DIV_MARKER.fullmatch(bare):
        return None
    if "![" in line:
        without = _IMAGE.sub("", line)
        if not _QUOTE_PREFIX.sub("", without).strip():
            return None
        return without
    return line


def _region_markdown(clean: list[str | None], start: int, end: int) -> str:
    kept = [line for line in clean[start:end] if line is not None]
    # Dedent: an answer indented under a list item must not read as a code block.
    body = textwrap.dedent("\n".join(line.expandtabs(4) for line in kept))
    return body.strip("\n").rstrip()


def _region_text(units: list[_Unit], start: int, end: int) -> str:
    # Units are in line order (token order), so a region's units are a slice.
    lo = bisect.bisect_left(units, start, key=_unit_line)
    hi = bisect.bisect_left(units, end, key=_unit_line)
    out: list[str] = []
    pending = ""
    for unit in units[lo:hi]:
        for raw_line in unit.text.split("\n"):
            line = _squash(raw_line)
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


def _unit_line(unit: _Unit) -> int:
    return unit.line


def _kept_span(clean: list[str | None], start: int, end: int) -> tuple[int, int] | None:
    """0-based first and last lines in [start, end) that carry content."""
    kept = [i for i in range(start, min(end, len(clean))) if clean[i] is not None and clean[i].strip()]
    return (kept[0], kept[-1]) if kept else None


def _question_raw(event: _Event, end: int, clean: list[str | None], units: list[_Unit], source: str) -> _Raw:
    text = _region_text(units, event.head_end, end)
    span = _kept_span(clean, event.head_end, end)
    last = max(event.head_end - 1, span[1] if span else event.start, event.start)
    return _Raw(
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
    section: str | None, region: tuple[int, int], key: int, clean: list[str | None], units: list[_Unit], source: str
) -> _Raw | None:
    start, end = region
    text = _region_text(units, start, end)
    span = _kept_span(clean, start, end)
    if not text or span is None:
        return None
    return _Raw(
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


def _event_start(event: _Event) -> int:
    return event.start


def _section_at(events: list[_Event], line: int) -> str | None:
    index = bisect.bisect_right(events, line, key=_event_start) - 1
    return events[index].section_after if index >= 0 else None


# --------------------------------------------------------------------------- includes


def _resolve_include(
    include: _Include, source: str, base_dir: Path | None, ctx: _IncludeContext, depth: int, warnings: list[str]
) -> list[_Raw]:
    """Parse an included file; on any failure warn and return nothing."""
    where = f"{source}:{include.line + 1}"
    target = unquote(include.target.split("#", 1)[0].split("?", 1)[0])

    def skip(reason: str) -> list[_Raw]:
        warnings.append(f"{where}: include {include.target!r} skipped, {reason}")
        return []

    if base_dir is None or ctx.root is None:
        return skip("the file's folder is unknown")
    if not target or not target.lower().endswith(".md"):
        return skip("only markdown files can be included")
    try:
        path = (Path(base_dir) / target).resolve()
        exists = path.is_file()
    except (OSError, ValueError, RuntimeError):
        # NUL bytes (`%00`), names too long, symlink loops: not a file we can include.
        return skip("its path is not valid")
    if not path.is_relative_to(ctx.root):
        return skip("it is outside the corpus folder")
    rel = path.relative_to(ctx.root).as_posix()
    if any(part.startswith(".") for part in PurePosixPath(rel).parts):
        return skip("it is in a hidden folder")
    if not exists:
        return skip("the file does not exist")
    if path in ctx.stack:
        return skip("it includes itself (directly or through other includes)")
    if depth >= MAX_INCLUDE_DEPTH or ctx.budget <= 0:
        return skip("too many nested includes")
    ctx.budget -= 1
    text, problem = _read_text(path, rel)
    if text is None:
        return skip(problem)
    ctx.included.add(rel)
    outer = ctx.stack
    ctx.stack = (*outer, path)
    try:
        parsed = _parse_text(text, rel, path.parent, ctx, depth + 1)
    finally:
        ctx.stack = outer
    warnings.extend(parsed.warnings)
    return parsed.raws


# --------------------------------------------------------------------------- ids


def _slugify(text: str) -> str:
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


def _assign_ids(raws: list[_Raw], source: str, title: str, doc_url: str | None) -> list[Passage]:
    stem = source[:-3] if source.lower().endswith(".md") else source
    used: set[str] = set()
    passages: list[Passage] = []
    for raw in raws:
        if raw.question is not None:
            base = _slugify(raw.question) or "question"
        elif raw.section is not None:
            base = _slugify(raw.section) or "section"
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
