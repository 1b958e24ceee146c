"""Build, save and load the index folder.

Layout of `INDEX_DIR` (default `index/`):

    index/
      CURRENT                 name of the build folder in use (replaced atomically)
      build-20261128T061500-ab12cd/
        manifest.json         model, dimension, metric, views, corpus file hashes, versions, time
        passages.jsonl        one Passage per line
        sentences.jsonl       {"passage": i, "text": ...} per answer sentence
        sentences.npy         their vectors (float32, no pickle)
        view-<name>.faiss     one FAISS inner-product index per view of the passages
        facts.jsonl           numeric facts (see facts.py)

A build is written into a fresh folder and only then published by replacing
`CURRENT`, so a build killed at any point leaves the previous index loadable.
A folder that itself holds `manifest.json` can also be loaded directly.

Vectors are normalized, so inner product = cosine similarity.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import platform
import secrets
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from faqbot import __version__
from faqbot.core.config import Settings
from faqbot.core.errors import IndexCorpusMismatch, IndexCorrupt, IndexMissing, IndexModelMismatch, IndexStale
from faqbot.core.records import Passage
from faqbot.core.text import split_sentences
from faqbot.ingest.corpus import corpus_file_hashes, load_corpus
from faqbot.ingest.facts import Fact, extract_facts
from faqbot.search.embed import Embedder

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
# Exact search costs about 0.09 ms per 1,000 passages per query here (0.87 ms at
# 10,000: benchmarks/bench.py scale); HNSW stays near 0.1-0.2 ms at any size.
APPROXIMATE_FROM = 5_000
POINTER_FILE = "CURRENT"
MANIFEST = "manifest.json"

Progress = Callable[[str, int, int], None]
"""progress(stage, done, total): called while building, e.g. to draw a bar."""


def view_texts(passage: Passage) -> dict[str, str]:
    """The texts each passage is embedded as. Which views rank best was measured
    on the dev set (see README, "How retrieval works")."""
    question = passage.question or ""
    heading = " > ".join(part for part in (passage.doc_title, passage.section) if part)
    return {
        "question": question or passage.answer_text,
        "answer": passage.answer_text,
        "question_answer": f"{question}\n{passage.answer_text}".strip(),
        "context": f"{heading}\n{question or passage.answer_text}".strip(),
    }


ALL_VIEWS: tuple[str, ...] = ("question", "answer", "question_answer", "context")
VIEWS: tuple[str, ...] = ("question_answer", "question")
"""The views built by default: the one that ranks best, and the question alone
for near-verbatim matches (see retrieve.VIEW_WEIGHTS and QUESTION_MATCH)."""


@dataclass(frozen=True)
class Sentence:
    """One sentence of a passage's answer, for quoting."""

    passage: int
    text: str


@dataclass
class Index:
    """A loaded index: passages, their view vectors, answer sentences and facts."""

    folder: Path
    manifest: dict
    passages: list[Passage]
    view_vectors: dict[str, np.ndarray]
    view_indexes: dict[str, faiss.Index]
    sentences: list[Sentence]
    sentence_vectors: np.ndarray
    facts: list[Fact]

    def __post_init__(self) -> None:
        # Sentences are stored passage by passage: passage i owns the rows
        # sentence_bounds[i] .. sentence_bounds[i + 1].
        owners = np.array([s.passage for s in self.sentences], dtype=np.int64)
        self.sentence_bounds = np.searchsorted(owners, np.arange(len(self.passages) + 1))

    @property
    def model(self) -> str:
        return self.manifest["model"]

    def sentence_rows(self, passage_index: int) -> range:
        """The rows of one passage's sentences in `sentences` / `sentence_vectors`."""
        return range(int(self.sentence_bounds[passage_index]), int(self.sentence_bounds[passage_index + 1]))

    def sentences_of(self, passage_index: int) -> list[tuple[int, Sentence]]:
        """The (row, sentence) pairs of one passage, in order."""
        return [(row, self.sentences[row]) for row in self.sentence_rows(passage_index)]

    def best_sentence_scores(self, passage_rows: np.ndarray, vector: np.ndarray, default: np.ndarray) -> np.ndarray:
        """For each passage row, the highest similarity of one of its sentences to `vector`
        (`default` where a passage has no sentence). One matrix product for all rows."""
        starts = self.sentence_bounds[passage_rows]
        counts = self.sentence_bounds[passage_rows + 1] - starts
        scores = default.astype(np.float32).copy()
        has_sentences = counts > 0
        if not has_sentences.any():
            return scores
        starts, counts = starts[has_sentences], counts[has_sentences]
        # All sentence rows of all candidates, laid end to end.
        offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
        rows = np.arange(counts.sum()) + offsets
        similarities = self.sentence_vectors[rows] @ vector
        scores[has_sentences] = np.maximum.reduceat(similarities, np.concatenate(([0], np.cumsum(counts)[:-1])))
        return scores


# --------------------------------------------------------------------------- build


def build_index(
    settings: Settings,
    embedder: Embedder,
    *,
    progress: Progress | None = None,
    views: tuple[str, ...] = VIEWS,
) -> Path:
    """Parse the corpus, embed it and publish a new build in `settings.index_dir`.

    Returns the build folder. The previous build stays in use until the new one
    is complete.
    """
    started = time.perf_counter()
    report = progress or (lambda stage, done, total: None)
    corpus_dir = Path(settings.corpus_dir)
    corpus = load_corpus(corpus_dir)
    hashes = corpus_file_hashes(corpus_dir)
    passages = list(corpus.passages)
    for problem in corpus.problems:
        log.warning("corpus: %s", problem)

    texts_by_view: dict[str, list[str]] = {view: [] for view in views}
    for passage in passages:
        texts = view_texts(passage)
        for view in views:
            texts_by_view[view].append(texts[view])
    sentences = [
        Sentence(passage=i, text=text)
        for i, passage in enumerate(passages)
        for text in split_sentences(passage.answer_text)
    ]
    facts = extract_facts(passages)

    total = len(passages) * len(views) + len(sentences)
    done = 0
    view_vectors: dict[str, np.ndarray] = {}
    for view in views:
        view_vectors[view] = _encode_in_batches(embedder, texts_by_view[view], report, done, total)
        done += len(passages)
    sentence_vectors = _encode_in_batches(embedder, [s.text for s in sentences], report, done, total)
    report("embedding", total, total)

    return write_build(
        Path(settings.index_dir),
        passages=passages,
        view_vectors=view_vectors,
        sentences=sentences,
        sentence_vectors=sentence_vectors,
        facts=facts,
        manifest={
            "model": embedder.name,
            "dimension": embedder.dimension,
            # Which encoder made the vectors: backend, file, and the model's content hash.
            "encoder": getattr(embedder, "encoder", None),
            "corpus_dir": str(corpus_dir.resolve()),
            "corpus_files": hashes,
            "documents": [
                {"source": d.source, "title": d.title, "passages": len(d.passages), "warnings": list(d.warnings)}
                for d in corpus.documents
            ],
            "problems": list(corpus.problems),
        },
        started=started,
    )


def make_faiss_index(vectors: np.ndarray) -> faiss.Index:
    """Exact inner-product search while the corpus is small; HNSW (approximate) past
    APPROXIMATE_FROM vectors, where exact search stops being flat in cost (measured:
    benchmarks/bench.py scale). Candidates are re-scored exactly either way."""
    dimension = vectors.shape[1]
    if len(vectors) < APPROXIMATE_FROM:
        index = faiss.IndexFlatIP(dimension)
    else:
        index = faiss.IndexHNSWFlat(dimension, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = 96
    index.add(vectors)
    return index


def write_build(
    index_dir: Path,
    *,
    passages: list[Passage],
    view_vectors: dict[str, np.ndarray],
    sentences: list[Sentence],
    sentence_vectors: np.ndarray,
    facts: list[Fact],
    manifest: dict,
    started: float | None = None,
) -> Path:
    """Write a complete build folder and publish it (the one writer of index folders)."""
    index_dir.mkdir(parents=True, exist_ok=True)
    build_id = f"build-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"
    staging = index_dir / f".{build_id}.tmp"
    staging.mkdir()
    try:
        _write_jsonl(staging / "passages.jsonl", (p.model_dump(mode="json") for p in passages))
        _write_jsonl(
            staging / "sentences.jsonl",
            ({"passage": s.passage, "text": s.text} for s in sentences),
        )
        np.save(staging / "sentences.npy", sentence_vectors, allow_pickle=False)
        kinds = set()
        for view, vectors in view_vectors.items():
            index = make_faiss_index(vectors)
            kinds.add(type(index).__name__)
            faiss.write_index(index, str(staging / f"view-{view}.faiss"))
        _write_jsonl(staging / "facts.jsonl", (f.model_dump(mode="json") for f in facts))
        manifest = {
            "format_version": FORMAT_VERSION,
            **manifest,
            "metric": "inner_product (normalized vectors: cosine)",
            "views": list(view_vectors),
            "faiss_index": ", ".join(sorted(kinds)) or "IndexFlatIP",
            "counts": {"passages": len(passages), "sentences": len(sentences), "facts": len(facts)},
            "versions": _versions(),
            "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "build_seconds": round(time.perf_counter() - started, 3) if started else None,
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        _fsync_tree(staging)
        final = index_dir / build_id
        os.replace(staging, final)
        _publish(index_dir, build_id)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _remove_old_builds(index_dir, keep=build_id)
    return final


def _encode_in_batches(
    embedder: Embedder, texts: Sequence[str], report: Progress, done: int, total: int, batch: int = 64
) -> np.ndarray:
    parts = []
    for start in range(0, len(texts), batch):
        parts.append(embedder.encode(list(texts[start : start + batch])))
        report("embedding", done + min(start + batch, len(texts)), total)
    if not parts:
        return np.zeros((0, embedder.dimension), dtype=np.float32)
    return np.ascontiguousarray(np.vstack(parts), dtype=np.float32)


def _publish(index_dir: Path, build_id: str) -> None:
    """Point CURRENT at the new build: write a temp file, then rename over (atomic on POSIX)."""
    pointer = index_dir / POINTER_FILE
    temporary = index_dir / f".{POINTER_FILE}.{build_id}.tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(build_id + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, pointer)
    _fsync_dir(index_dir)


def _remove_old_builds(index_dir: Path, keep: str) -> None:
    """Delete superseded builds and staging folders left by killed builds (older than an hour)."""
    now = time.time()
    for child in index_dir.iterdir():
        if child.name == keep or not child.is_dir():
            continue
        is_old_build = child.name.startswith("build-")
        is_dead_staging = child.name.startswith(".build-") and now - child.stat().st_mtime > 3600
        if is_old_build or is_dead_staging:
            shutil.rmtree(child, ignore_errors=True)


def _write_jsonl(path: Path, rows) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def _fsync_tree(folder: Path) -> None:
    for path in folder.iterdir():
        with open(path, "rb") as handle:
            os.fsync(handle.fileno())
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {"faqbot": __version__, "python": platform.python_version()}
    packages = ("sentence-transformers", "torch", "onnxruntime", "tokenizers", "faiss-cpu", "numpy", "bm25s")
    for package in (*packages, "markdown-it-py"):
        with contextlib.suppress(PackageNotFoundError):
            found[package] = version(package)
    return found


# --------------------------------------------------------------------------- load


def resolve_build(index_dir: Path) -> Path:
    """The build folder in use: `index_dir` itself if it holds a manifest, else the one CURRENT names."""
    index_dir = Path(index_dir)
    if (index_dir / MANIFEST).is_file():
        return index_dir
    pointer = index_dir / POINTER_FILE
    if not pointer.is_file():
        raise IndexMissing(f"no index in {index_dir}/: build it with `faqbot index`")
    build = index_dir / pointer.read_text(encoding="utf-8").strip()
    if not (build / MANIFEST).is_file():
        raise IndexCorrupt(f"{pointer} names {build.name}, which has no {MANIFEST}: rebuild with `faqbot index`")
    return build


def read_manifest(index_dir: Path) -> dict:
    """The manifest of the build in use (IndexMissing / IndexCorrupt when there is none)."""
    build = resolve_build(index_dir)
    try:
        manifest = json.loads((build / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise IndexCorrupt(f"cannot read {build / MANIFEST}: {error}") from error
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexCorrupt(
            f"{build} has index format {manifest.get('format_version')!r}, this faqbot reads "
            f"{FORMAT_VERSION}: rebuild with `faqbot index`"
        )
    return manifest


def check_model(manifest: dict, model: str, model_sha256: str | None = None) -> None:
    """Refuse an index built with another embedding model: its vectors would be meaningless.

    With `model_sha256` (the loaded model's content hash), also refuse an index built by
    other weights under the same name (e.g. an upgraded model package). Either backend
    may load an index built by the other: their vectors agree (checked at export).
    """
    if manifest.get("model") != model:
        raise IndexModelMismatch(
            f"the index was built with model {manifest.get('model')!r} but the bot is set to use "
            f"{model!r}; rebuild it with `faqbot index` or set FAQBOT_MODEL={manifest.get('model')}"
        )
    built_with = (manifest.get("encoder") or {}).get("model_sha256")
    if model_sha256 and built_with and built_with != model_sha256:
        raise IndexModelMismatch(
            f"the index was built with other weights of {model!r} (content hash {built_with[:12]}, "
            f"the model loaded now is {model_sha256[:12]}); rebuild it with `faqbot index`"
        )


def changed_corpus_files(manifest: dict, corpus_dir: Path) -> list[str]:
    """The corpus files added, removed or edited since the build (by content hash)."""
    built = manifest.get("corpus_files", {})
    now = corpus_file_hashes(Path(corpus_dir))
    return sorted(name for name in set(built) | set(now) if built.get(name) != now.get(name))


def check_fresh(manifest: dict, corpus_dir: Path) -> None:
    """Raise IndexStale when the corpus changed since the build."""
    changed = changed_corpus_files(manifest, corpus_dir)
    if changed:
        shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
        raise IndexStale(f"the corpus changed since the index was built ({shown}): rebuild with `faqbot index`")


def load_index(index_dir: Path, *, model: str | None = None, model_sha256: str | None = None) -> Index:
    """Load the build in use. With `model` (and `model_sha256`), refuse an index built by another model."""
    build = resolve_build(index_dir)
    manifest = read_manifest(index_dir)
    if model is not None:
        check_model(manifest, model, model_sha256)
    try:
        passages = [Passage.model_validate_json(line) for line in _read_lines(build / "passages.jsonl")]
        sentences = [Sentence(**json.loads(line)) for line in _read_lines(build / "sentences.jsonl")]
        sentence_vectors = np.load(build / "sentences.npy", allow_pickle=False)
        view_indexes = {view: faiss.read_index(str(build / f"view-{view}.faiss")) for view in manifest["views"]}
        facts = [Fact.model_validate_json(line) for line in _read_lines(build / "facts.jsonl")]
    except (OSError, ValueError, KeyError, RuntimeError) as error:
        raise IndexCorrupt(f"cannot read the index in {build}: {error}") from error
    view_vectors = {view: index.reconstruct_n(0, index.ntotal) for view, index in view_indexes.items()}
    consistent = all(len(vectors) == len(passages) for vectors in view_vectors.values()) and len(
        sentence_vectors
    ) == len(sentences)
    if not consistent:
        raise IndexCorrupt(f"the index in {build} is inconsistent (vector and passage counts differ)")
    return Index(
        folder=build,
        manifest=manifest,
        passages=passages,
        view_vectors=view_vectors,
        view_indexes=view_indexes,
        sentences=sentences,
        sentence_vectors=sentence_vectors,
        facts=facts,
    )


def _read_lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def corpus_of_index(settings: Settings, manifest: dict | None) -> Path:
    """The corpus folder an index is checked against, and rebuilt from, when it is loaded.

    An index keeps its own corpus: with no corpus named explicitly (`Settings(corpus_dir=...)`,
    FAQBOT_CORPUS_DIR, `--corpus`), it is the folder recorded in the manifest, whatever the
    current directory holds. A corpus named explicitly must be that folder, else
    IndexCorpusMismatch: an index is never rebuilt over from another corpus behind its owner's back.
    """
    named = Path(settings.corpus_dir)
    recorded = (manifest or {}).get("corpus_dir")
    if not recorded:
        return named  # no index yet, or one from before the manifest recorded its corpus
    recorded = Path(recorded)
    if "corpus_dir" not in settings.model_fields_set:
        return recorded
    if named.resolve() != recorded:
        raise IndexCorpusMismatch(
            f"the index in {settings.index_dir} was built from {recorded}, not {named.resolve()}: "
            f"name another index for this corpus (--index DIR), or rebuild this one on purpose with "
            f"`faqbot index --corpus {named} --index {settings.index_dir}`"
        )
    return named


def build_needed(settings: Settings, model: str) -> Path | None:
    """The corpus folder to build the index from when it must be built before use (it is
    missing, or its corpus changed), else None.

    With `settings.auto_rebuild` off, a missing or stale index raises instead. A model
    or corpus mismatch always raises: silently rebuilding would hide a configuration
    error (see `corpus_of_index`). Needs no model, so a caller can decide before loading one.
    """
    index_dir = Path(settings.index_dir)
    try:
        manifest = read_manifest(index_dir)
    except IndexMissing:
        if not settings.auto_rebuild:
            raise
        log.info("no index in %s: building it from %s", index_dir, settings.corpus_dir)
        return Path(settings.corpus_dir)
    check_model(manifest, model)
    corpus_dir = corpus_of_index(settings, manifest)
    if not corpus_dir.is_dir():
        # Nothing to compare with (an index shipped without its corpus): use it as built.
        log.warning("corpus folder %s not found: using the index as built", corpus_dir)
        return None
    try:
        check_fresh(manifest, corpus_dir)
    except IndexStale:
        if not settings.auto_rebuild:
            raise
        log.info("the corpus %s changed: rebuilding the index in %s", corpus_dir, index_dir)
        return corpus_dir
    return None


def ensure_index(
    settings: Settings,
    embedder: Embedder,
    *,
    progress: Progress | None = None,
) -> Index:
    """Load the index, building it first when `build_needed` says so."""
    corpus_dir = build_needed(settings, embedder.name)
    if corpus_dir is not None:
        build_index(settings.model_copy(update={"corpus_dir": corpus_dir}), embedder, progress=progress)
    encoder = getattr(embedder, "encoder", None) or {}
    return load_index(Path(settings.index_dir), model=embedder.name, model_sha256=encoder.get("model_sha256"))
