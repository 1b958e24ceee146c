"""The corpus folder: which files are FAQ documents, their text, their public URLs.

>>> is_meta("README.md"), is_meta("docs/faq.md")
(True, False)
"""

from __future__ import annotations

import json
import os
import posixpath
from pathlib import Path, PurePosixPath

from faqbot.core.records import Document

__all__ = [
    "META_FILE_STEMS",
    "URLS_FILE",
    "corpus_root",
    "documents_not_included",
    "is_meta",
    "markdown_files",
    "read_text",
    "read_urls",
]

URLS_FILE = "urls.json"
"""Optional file in the corpus folder mapping a source path to its public URL."""


def markdown_files(root: Path) -> list[str]:
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


def is_meta(rel: str) -> bool:
    """README.md, LICENSE.md, ATTRIBUTION.md...: repository furniture, not FAQ.
    (A document named FAQ.md is a document.)"""
    return PurePosixPath(rel).stem.upper() in META_FILE_STEMS


def read_text(path: Path, rel: str) -> tuple[str | None, str]:
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


def read_urls(root: Path, problems: list[str]) -> dict[str, str]:
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


def documents_not_included(parsed: dict[str, tuple[Document, frozenset[str]]]) -> list[str]:
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


def corpus_root(base_dir: Path, source: str) -> Path:
    """The corpus folder, given a file's folder and its corpus-relative path."""
    root = Path(base_dir)
    for _part in PurePosixPath(source).parent.parts:
        root = root.parent
    return root
