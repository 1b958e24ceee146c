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

Where the parts live: `folder` (which files, their text, `urls.json`),
`markdown` (the token walk), `mslearn` (the Learn extensions), `passages`
(regions -> passages, ids); this module loads a folder and names documents.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from faqbot.core.errors import CorpusError
from faqbot.core.records import Document, Passage
from faqbot.ingest.crossref import link_cross_references
from faqbot.ingest.folder import (
    URLS_FILE,
    corpus_root,
    documents_not_included,
    is_meta,
    markdown_files,
    read_text,
    read_urls,
)
from faqbot.ingest.mslearn import IncludeContext
from faqbot.ingest.passages import assign_ids, parse_text

__all__ = ["URLS_FILE", "Corpus", "corpus_file_hashes", "load_corpus", "parse_document"]

log = logging.getLogger(__name__)


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
    root = corpus_root(base_dir, source) if base_dir is not None else None
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
    urls = read_urls(root, problems)
    parsed: dict[str, tuple[Document, frozenset[str]]] = {}
    for rel in markdown_files(root):
        if is_meta(rel):
            continue
        text, problem = read_text(root / rel, rel)
        if text is None:
            problems.append(problem)
            continue
        try:
            parsed[rel] = _parse_top(text, rel, url=urls.get(rel), base_dir=(root / rel).parent, root=root)
        except RecursionError:
            # markdown-it and PyYAML limit nesting themselves; this is the last guard.
            problems.append(f"{rel}: nested too deeply to parse")
    kept = documents_not_included(parsed)
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
    names = list(markdown_files(root))
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


def _parse_top(
    text: str, source: str, *, url: str | None, base_dir: Path | None, root: Path | None
) -> tuple[Document, frozenset[str]]:
    """Parse a top-level document; also return the sources it includes."""
    own = (Path(base_dir) / PurePosixPath(source).name).resolve() if base_dir is not None else None
    ctx = IncludeContext(root=root.resolve() if root is not None else None, stack=(own,) if own else ())
    parsed = parse_text(text, source, base_dir, ctx, depth=0)
    title = parsed.title or PurePosixPath(source).stem
    doc_url = parsed.url or url
    passages = link_cross_references(assign_ids(parsed.raws, source, title, doc_url))
    for message in parsed.warnings:
        log.warning("%s", message)
    document = Document(
        source=source, title=title, url=doc_url, passages=tuple(passages), warnings=tuple(parsed.warnings)
    )
    return document, frozenset(ctx.included)
