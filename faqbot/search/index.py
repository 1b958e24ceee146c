"""Build, save and load the index folder.

Layout of `INDEX_DIR` (default `index/`):

    index/
      CURRENT                 name of the build folder in use (replaced atomically)
      build-20261128T061500-ab12cd/
        manifest.json         model, dimension, metric, views, corpus file hashes, versions, time
                              (the typed `Manifest`, see manifest.py)
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

import datetime as dt
import json
import logging
import os
import secrets
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from faqbot.core.config import Settings
from faqbot.core.errors import IndexCorrupt, IndexMissing, IndexStale
from faqbot.core.records import Passage
from faqbot.core.text import split_sentences
from faqbot.ingest.corpus import Corpus, corpus_file_hashes, load_corpus
from faqbot.ingest.facts import Fact, extract_facts
from faqbot.search._files import fsync_tree, publish, read_lines, remove_old_builds, versions, write_jsonl
from faqbot.search.embed import Embedder
from faqbot.search.manifest import (
    FORMAT_VERSION,
    MANIFEST,
    METRIC,
    POINTER_FILE,
    DocumentSummary,
    EncoderInfo,
    Manifest,
    changed_corpus_files,
    check_fresh,
    check_model,
    corpus_of_index,
    read_manifest,
    resolve_build,
)

__all__ = [
    "ALL_VIEWS",
    "APPROXIMATE_FROM",
    "FORMAT_VERSION",
    "MANIFEST",
    "POINTER_FILE",
    "VIEWS",
    "Index",
    "Manifest",
    "Progress",
    "Sentence",
    "build_index",
    "build_needed",
    "changed_corpus_files",
    "check_fresh",
    "check_model",
    "corpus_of_index",
    "ensure_index",
    "load_index",
    "make_faiss_index",
    "read_manifest",
    "resolve_build",
    "view_texts",
    "write_build",
]

log = logging.getLogger(__name__)

# Exact search costs about 0.09 ms per 1,000 passages per query here (0.87 ms at
# 10,000: benchmarks/bench.py scale); HNSW stays near 0.1-0.2 ms at any size.
APPROXIMATE_FROM = 5_000

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
    manifest: Manifest
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
        """The embedding model the index was built with."""
        return self.manifest.model

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
    sentences = [
        Sentence(passage=i, text=text)
        for i, passage in enumerate(passages)
        for text in split_sentences(passage.answer_text)
    ]
    facts = extract_facts(passages)
    view_vectors, sentence_vectors = _embed(embedder, passages, sentences, views, report)
    return write_build(
        Path(settings.index_dir),
        passages=passages,
        view_vectors=view_vectors,
        sentences=sentences,
        sentence_vectors=sentence_vectors,
        facts=facts,
        manifest=_describe(embedder, corpus, corpus_dir, hashes),
        started=started,
    )


def _embed(
    embedder: Embedder,
    passages: list[Passage],
    sentences: list[Sentence],
    views: tuple[str, ...],
    report: Progress,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The vectors of each view of the passages, and of the answer sentences."""
    texts_by_view: dict[str, list[str]] = {view: [] for view in views}
    for passage in passages:
        texts = view_texts(passage)
        for view in views:
            texts_by_view[view].append(texts[view])
    total = len(passages) * len(views) + len(sentences)
    done = 0
    view_vectors: dict[str, np.ndarray] = {}
    for view in views:
        view_vectors[view] = _encode_in_batches(embedder, texts_by_view[view], report, done, total)
        done += len(passages)
    sentence_vectors = _encode_in_batches(embedder, [s.text for s in sentences], report, done, total)
    report("embedding", total, total)
    return view_vectors, sentence_vectors


def _describe(embedder: Embedder, corpus: Corpus, corpus_dir: Path, hashes: dict[str, str]) -> Manifest:
    """What the builder knows of a build: the encoder and the corpus (write_build adds the rest)."""
    encoder = getattr(embedder, "encoder", None)
    return Manifest(
        model=embedder.name,
        dimension=embedder.dimension,
        # Which encoder made the vectors: backend, file, and the model's content hash.
        encoder=EncoderInfo.model_validate(encoder) if encoder is not None else None,
        corpus_dir=str(corpus_dir.resolve()),
        corpus_files=hashes,
        documents=tuple(
            DocumentSummary(source=d.source, title=d.title, passages=len(d.passages), warnings=tuple(d.warnings))
            for d in corpus.documents
        ),
        problems=tuple(corpus.problems),
    )


def make_faiss_index(vectors: np.ndarray) -> faiss.Index:
    """Exact inner-product search while the corpus is small; HNSW (approximate) past
    APPROXIMATE_FROM vectors, where exact search stops being flat in cost (measured:
    benchmarks/bench.py scale). Candidates are re-scored exactly either way."""
    dimension = vectors.shape[1]
    index: faiss.Index
    if len(vectors) < APPROXIMATE_FROM:
        index = faiss.IndexFlatIP(dimension)
    else:
        approximate = faiss.IndexHNSWFlat(dimension, 32, faiss.METRIC_INNER_PRODUCT)
        approximate.hnsw.efConstruction = 80
        approximate.hnsw.efSearch = 96
        index = approximate
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
    manifest: Manifest | Mapping[str, Any],
    started: float | None = None,
) -> Path:
    """Write a complete build folder and publish it (the one writer of index folders).

    `manifest` says what the caller knows (at least `model` and `dimension`); the
    views, counts, versions and times are added here."""
    index_dir.mkdir(parents=True, exist_ok=True)
    build_id = f"build-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"
    staging = index_dir / f".{build_id}.tmp"
    staging.mkdir()
    try:
        write_jsonl(staging / "passages.jsonl", (p.model_dump(mode="json") for p in passages))
        write_jsonl(staging / "sentences.jsonl", ({"passage": s.passage, "text": s.text} for s in sentences))
        np.save(staging / "sentences.npy", sentence_vectors, allow_pickle=False)
        kinds = set()
        for view, vectors in view_vectors.items():
            index = make_faiss_index(vectors)
            kinds.add(type(index).__name__)
            faiss.write_index(index, str(staging / f"view-{view}.faiss"))
        write_jsonl(staging / "facts.jsonl", (f.model_dump(mode="json") for f in facts))
        described = manifest.model_dump(exclude_unset=True) if isinstance(manifest, Manifest) else dict(manifest)
        complete = Manifest.model_validate(
            {
                "format_version": FORMAT_VERSION,
                **described,
                "metric": METRIC,
                "views": list(view_vectors),
                "faiss_index": ", ".join(sorted(kinds)) or "IndexFlatIP",
                "counts": {"passages": len(passages), "sentences": len(sentences), "facts": len(facts)},
                "versions": versions(),
                "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "build_seconds": round(time.perf_counter() - started, 3) if started else None,
            }
        )
        (staging / MANIFEST).write_text(complete.to_json(), encoding="utf-8")
        fsync_tree(staging)
        final = index_dir / build_id
        os.replace(staging, final)
        publish(index_dir, build_id)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    remove_old_builds(index_dir, keep=build_id)
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


# --------------------------------------------------------------------------- load


def load_index(index_dir: Path, *, model: str | None = None, model_sha256: str | None = None) -> Index:
    """Load the build in use. With `model` (and `model_sha256`), refuse an index built by another model."""
    build = resolve_build(index_dir)
    manifest = read_manifest(index_dir)
    if model is not None:
        check_model(manifest, model, model_sha256)
    try:
        passages = [Passage.model_validate_json(line) for line in read_lines(build / "passages.jsonl")]
        sentences = [Sentence(**json.loads(line)) for line in read_lines(build / "sentences.jsonl")]
        sentence_vectors = np.load(build / "sentences.npy", allow_pickle=False)
        view_indexes = {view: faiss.read_index(str(build / f"view-{view}.faiss")) for view in manifest.views}
        facts = [Fact.model_validate_json(line) for line in read_lines(build / "facts.jsonl")]
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
