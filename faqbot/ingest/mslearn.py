"""Microsoft Learn extensions to markdown, as the corpus parser reads them.

- `[!INCLUDE [label](path)]` paragraphs: the included file's passages are
  spliced in where the paragraph stands (`open_include` checks the target);
- `> [!NOTE]` style alerts are kept as text, labelled (`Note: ...`);
- `> [!div class="..."]` wrappers and images are dropped (`clean_line`).

    >>> alert_label("[!TIP] Save often.")
    ('Tip: Save often.', True)
    >>> clean_line("> [!div class=\\"nextstepaction\\"]") is None
    True
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from faqbot.ingest.folder import read_text

__all__ = [
    "DIV_LEAD",
    "INCLUDE",
    "MAX_INCLUDES_PER_DOCUMENT",
    "MAX_INCLUDE_DEPTH",
    "Include",
    "IncludeContext",
    "SkippedInclude",
    "alert_label",
    "clean_line",
    "open_include",
]

# Includes nest a few levels at most on Learn; the limits only stop a hostile
# or broken corpus from fanning out (A includes B twice, B includes C twice...).
MAX_INCLUDE_DEPTH = 8
MAX_INCLUDES_PER_DOCUMENT = 200

_ALERTS = ("NOTE", "TIP", "IMPORTANT", "WARNING", "CAUTION")

# `[!INCLUDE [label](path)]`, with or without the space, as a whole paragraph.
INCLUDE = re.compile(
    r"\[!INCLUDE\s*\[[^\]]*\]\(\s*<?([^)<>\s]+)>?(?:\s+\"[^\"]*\")?\s*\)\s*\]",
    re.IGNORECASE,
)
_DIV_MARKER = re.compile(r"\[!div\b[^\]]*\]", re.IGNORECASE)
DIV_LEAD = re.compile(r"^\s*\[!div\b[^\]]*\]", re.IGNORECASE)
_ALERT_MARKER = re.compile(r"\[!(" + "|".join(_ALERTS) + r")\][ \t]*", re.IGNORECASE)
_IMAGE = re.compile(r"!\[[^\]\n]*\](?:\([^)\n]*\)|\[[^\]\n]*\])")
_QUOTE_PREFIX = re.compile(r"^[\s>]*")


def alert_label(text: str) -> tuple[str, bool]:
    """`[!NOTE] Foo` -> `Note: Foo`: alerts keep their text and say what they are."""
    match = _ALERT_MARKER.match(text.lstrip())
    if not match:
        return text, False
    return f"{match.group(1).capitalize()}: {text.lstrip()[match.end() :]}", True


def clean_line(line: str) -> str | None:
    """A markdown line with dropped constructs removed; None when nothing is left."""
    bare = _QUOTE_PREFIX.sub("", line).strip()
    if INCLUDE.fullmatch(bare) or _DIV_MARKER.fullmatch(bare):
        return None
    if "![" in line:
        without = _IMAGE.sub("", line)
        if not _QUOTE_PREFIX.sub("", without).strip():
            return None
        return without
    return line


@dataclass
class Include:
    """An `[!INCLUDE]` paragraph: its 0-based line and the path it names."""

    line: int
    target: str


@dataclass
class IncludeContext:
    """State shared by a top-level document and everything it includes."""

    root: Path | None
    stack: tuple[Path, ...]
    included: set[str] = field(default_factory=set)
    budget: int = MAX_INCLUDES_PER_DOCUMENT


class SkippedInclude(Exception):
    """An include that cannot be followed; the message says why."""


def open_include(include: Include, base_dir: Path | None, ctx: IncludeContext, depth: int) -> tuple[Path, str, str]:
    """The included file's path, corpus-relative path and text, once every check passes.

    Raises `SkippedInclude` with the reason otherwise (outside the corpus, in a
    hidden folder, missing, a cycle, too deep...). Counts the include against
    the document's budget only when it is about to be read.
    """
    target = unquote(include.target.split("#", 1)[0].split("?", 1)[0])
    if base_dir is None or ctx.root is None:
        raise SkippedInclude("the file's folder is unknown")
    if not target or not target.lower().endswith(".md"):
        raise SkippedInclude("only markdown files can be included")
    try:
        path = (Path(base_dir) / target).resolve()
        exists = path.is_file()
    except (OSError, ValueError, RuntimeError):
        # NUL bytes (`%00`), names too long, symlink loops: not a file we can include.
        raise SkippedInclude("its path is not valid") from None
    if not path.is_relative_to(ctx.root):
        raise SkippedInclude("it is outside the corpus folder")
    rel = path.relative_to(ctx.root).as_posix()
    if any(part.startswith(".") for part in PurePosixPath(rel).parts):
        raise SkippedInclude("it is in a hidden folder")
    if not exists:
        raise SkippedInclude("the file does not exist")
    if path in ctx.stack:
        raise SkippedInclude("it includes itself (directly or through other includes)")
    if depth >= MAX_INCLUDE_DEPTH or ctx.budget <= 0:
        raise SkippedInclude("too many nested includes")
    ctx.budget -= 1
    text, problem = read_text(path, rel)
    if text is None:
        raise SkippedInclude(problem)
    return path, rel, text
