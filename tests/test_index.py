"""The index folder: round trip, manifest checks, staleness, atomic publication."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from faqbot.core.errors import IndexCorrupt, IndexMissing, IndexModelMismatch, IndexStale
from faqbot.search.index import (
    POINTER_FILE,
    VIEWS,
    Manifest,
    build_index,
    build_needed,
    changed_corpus_files,
    check_fresh,
    ensure_index,
    load_index,
    read_manifest,
    resolve_build,
)

from .fakes import HashingEmbedder


def test_round_trip_keeps_passages_vectors_and_sentences(settings, fake_embedder):
    folder = build_index(settings, fake_embedder)
    index = load_index(settings.index_dir, model=fake_embedder.name)
    assert index.folder == folder
    assert len(index.passages) == 20  # 19 questions + the intro paragraph
    assert [p.passage_id for p in index.passages] == [
        json.loads(line)["passage_id"] for line in (folder / "passages.jsonl").read_text().splitlines()
    ]
    for view, vectors in index.view_vectors.items():
        assert vectors.shape == (len(index.passages), fake_embedder.dimension), view
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    assert len(index.sentences) == len(index.sentence_vectors) > len(index.passages)
    # Every passage owns a contiguous run of its sentences, in order.
    for i in range(len(index.passages)):
        assert all(index.sentences[row].passage == i for row in index.sentence_rows(i))


def test_manifest_describes_the_build(settings, fake_embedder):
    build_index(settings, fake_embedder)
    manifest = read_manifest(settings.index_dir)
    assert manifest["model"] == fake_embedder.name
    assert manifest["dimension"] == fake_embedder.dimension
    assert "inner_product" in manifest["metric"]
    assert set(manifest["corpus_files"]) >= {"ci-faq.md"}
    assert manifest["counts"]["passages"] == 20
    assert {"faqbot", "faiss-cpu", "numpy"} <= set(manifest["versions"])
    assert manifest["built_at"].endswith("+00:00")
    # The missing footer include is reported, not fatal.
    assert any("footer-banner" in w for d in manifest["documents"] for w in d["warnings"])


def test_the_manifest_is_a_typed_record_with_the_file_format_unchanged(settings, fake_embedder):
    folder = build_index(settings, fake_embedder)
    manifest = read_manifest(settings.index_dir)
    assert isinstance(manifest, Manifest)
    assert manifest.counts.passages == 20 and manifest.views == VIEWS and manifest.encoder is None
    assert manifest.corpus_dir == str(settings.corpus_dir.resolve())
    # The file outside tools read: these keys, in this order, indented by 2.
    text = (folder / "manifest.json").read_text()
    assert list(json.loads(text)) == [
        "format_version",
        "model",
        "dimension",
        "encoder",
        "corpus_dir",
        "corpus_files",
        "documents",
        "problems",
        "metric",
        "views",
        "faiss_index",
        "counts",
        "versions",
        "built_at",
        "build_seconds",
    ]
    assert list(json.loads(text)["documents"][0]) == ["source", "title", "passages", "warnings"]
    assert manifest.to_json() == text
    # Dict-style reading still works for code written against the plain dict.
    assert manifest["counts"]["passages"] == 20 and manifest.get("no-such-key", "x") == "x"
    with pytest.raises(KeyError):
        manifest["no-such-key"]


def test_a_manifest_keeps_keys_it_does_not_know_and_refuses_a_malformed_one(settings, fake_embedder):
    folder = build_index(settings, fake_embedder)
    raw = json.loads((folder / "manifest.json").read_text())
    (folder / "manifest.json").write_text(json.dumps({**raw, "written_by": "a newer faqbot"}, indent=2) + "\n")
    manifest = read_manifest(settings.index_dir)
    assert manifest["written_by"] == "a newer faqbot"
    assert json.loads(manifest.to_json())["written_by"] == "a newer faqbot"
    (folder / "manifest.json").write_text(json.dumps({**raw, "dimension": "wide"}))
    with pytest.raises(IndexCorrupt, match="manifest.json"):
        read_manifest(settings.index_dir)


def test_no_pickle_files_are_written(settings, fake_embedder):
    folder = build_index(settings, fake_embedder)
    assert {path.suffix for path in folder.iterdir()} <= {".json", ".jsonl", ".npy", ".faiss"}
    np.load(folder / "sentences.npy", allow_pickle=False)


def test_missing_index_is_a_clear_error(tmp_path):
    with pytest.raises(IndexMissing, match="faqbot index"):
        load_index(tmp_path / "nowhere")


def test_model_mismatch_is_refused(settings, fake_embedder):
    build_index(settings, fake_embedder)
    with pytest.raises(IndexModelMismatch, match="fake-hashing-embedder.*other-model"):
        load_index(settings.index_dir, model="other-model")
    other = HashingEmbedder(name="other-model")
    with pytest.raises(IndexModelMismatch):
        ensure_index(settings, other)


def test_corrupt_manifest_is_a_clear_error(settings, fake_embedder):
    folder = build_index(settings, fake_embedder)
    (folder / "manifest.json").write_text("{not json")
    with pytest.raises(IndexCorrupt, match="manifest.json"):
        load_index(settings.index_dir)


def test_missing_vectors_file_is_a_clear_error(settings, fake_embedder):
    folder = build_index(settings, fake_embedder)
    (folder / "sentences.npy").unlink()
    with pytest.raises(IndexCorrupt, match="cannot read"):
        load_index(settings.index_dir)


def test_a_build_folder_can_be_loaded_directly(settings, fake_embedder):
    folder = build_index(settings, fake_embedder)
    assert resolve_build(folder) == folder
    assert len(load_index(folder).passages) == 20


def test_stale_corpus_is_detected_by_content(settings, fake_embedder):
    build_index(settings, fake_embedder)
    manifest = read_manifest(settings.index_dir)
    faq = settings.corpus_dir / "ci-faq.md"
    check_fresh(manifest, settings.corpus_dir)  # unchanged: no error

    os.utime(faq, (time.time() + 100, time.time() + 100))  # a new timestamp alone is not a change
    check_fresh(manifest, settings.corpus_dir)

    faq.write_text(faq.read_text().replace("$1,700", "$1,900"))
    with pytest.raises(IndexStale, match="ci-faq.md"):
        check_fresh(manifest, settings.corpus_dir)

    (settings.corpus_dir / "new.md").write_text("# New\n\n## Is this new?\n\nYes.\n")
    assert changed_corpus_files(manifest, settings.corpus_dir) == ["ci-faq.md", "new.md"]


def test_ensure_index_builds_when_missing_and_rebuilds_when_stale(settings, fake_embedder):
    first = ensure_index(settings, fake_embedder)
    assert len(first.passages) == 20
    again = ensure_index(settings, fake_embedder)
    assert again.folder == first.folder  # fresh: reused, not rebuilt

    (settings.corpus_dir / "extra.md").write_text("# Extra\n\n## How do I reset my widget?\n\nPress reset.\n")
    rebuilt = ensure_index(settings, fake_embedder)
    assert rebuilt.folder != first.folder
    assert any(p.question == "How do I reset my widget?" for p in rebuilt.passages)
    assert not first.folder.exists()  # the superseded build was removed


def test_ensure_index_without_auto_rebuild_raises(settings, fake_embedder):
    strict = settings.model_copy(update={"auto_rebuild": False})
    with pytest.raises(IndexMissing):
        ensure_index(strict, fake_embedder)
    build_index(settings, fake_embedder)
    (settings.corpus_dir / "ci-faq.md").write_text("# Changed\n\n## Is it changed?\n\nYes.\n")
    with pytest.raises(IndexStale):
        ensure_index(strict, fake_embedder)


def test_a_build_that_fails_half_way_leaves_the_previous_index(settings, fake_embedder):
    good = build_index(settings, fake_embedder)

    class FailingEmbedder(HashingEmbedder):
        def encode(self, texts):
            if self.calls >= 1:
                raise RuntimeError("out of memory")
            return super().encode(texts)

    (settings.corpus_dir / "ci-faq.md").write_text("# Changed\n\n## Is it changed?\n\nYes. It is.\n")
    with pytest.raises(RuntimeError):
        build_index(settings, FailingEmbedder())
    assert load_index(settings.index_dir).folder == good
    assert [p.name for p in settings.index_dir.iterdir() if p.name.startswith(".")] == []


_SLOW_BUILD = """
import sys, time
sys.path.insert(0, {root!r})
from faqbot.core.config import Settings
from faqbot.search.index import build_index
from tests.fakes import HashingEmbedder

class Slow(HashingEmbedder):
    def encode(self, texts):
        time.sleep(0.2)
        return super().encode(texts)

settings = Settings(corpus_dir={corpus!r}, index_dir={index!r}, model="fake-hashing-embedder")
print("building", flush=True)
build_index(settings, Slow())
"""


def test_a_build_killed_half_way_leaves_the_previous_index_loadable(settings, fake_embedder, tmp_path):
    good = build_index(settings, fake_embedder)
    # Many small documents so that the build takes a while.
    for n in range(40):
        (settings.corpus_dir / f"doc{n}.md").write_text(f"# Doc {n}\n\n## Is doc {n} here?\n\nYes, number {n}.\n")
    script = _SLOW_BUILD.format(
        root=str(Path(__file__).resolve().parent.parent),
        corpus=str(settings.corpus_dir),
        index=str(settings.index_dir),
    )
    with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE) as process:
        assert process.stdout.readline().strip() == b"building"
        time.sleep(0.5)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL

    index = load_index(settings.index_dir)
    assert index.folder == good
    assert len(index.passages) == 20
    # The next build succeeds despite the leftovers.
    rebuilt = build_index(settings, fake_embedder)
    assert (settings.index_dir / POINTER_FILE).read_text().strip() == rebuilt.name
    assert len(load_index(settings.index_dir).passages) == 60


def test_build_needed_decides_without_a_model(settings, fake_embedder):
    assert build_needed(settings, fake_embedder.name)  # missing
    build_index(settings, fake_embedder)
    assert not build_needed(settings, fake_embedder.name)  # fresh
    (settings.corpus_dir / "ci-faq.md").write_text("# Changed\n\n## Is it changed?\n\nYes.\n")
    assert build_needed(settings, fake_embedder.name)  # stale
    with pytest.raises(IndexModelMismatch):
        build_needed(settings, "another-model")


def _faq(title: str, question: str, answer: str) -> str:
    return f"# {title}\n\n## {question}\n\n{answer}\n"


def test_an_index_keeps_its_own_corpus_from_any_working_directory(tmp_path, monkeypatch):
    """`FAQBot.load(I)` checks I against the corpus it was built from, never ./corpus."""
    from faqbot.answer.pipeline import FAQBot
    from faqbot.core.config import Settings

    monkeypatch.delenv("FAQBOT_CORPUS_DIR", raising=False)
    monkeypatch.delenv("FAQBOT_INDEX_DIR", raising=False)
    own = tmp_path / "own-corpus"
    own.mkdir()
    (own / "boats-faq.md").write_text(_faq("Boats FAQ", "How long is the sailing boat?", "The boat is 12 meters long."))
    index_dir = tmp_path / "boats-index"
    embedder = HashingEmbedder()
    build = build_index(Settings(corpus_dir=own, index_dir=index_dir), embedder)
    # Elsewhere, a folder whose ./corpus holds another FAQ.
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "corpus").mkdir(parents=True)
    (elsewhere / "corpus" / "trains-faq.md").write_text(_faq("Trains FAQ", "How fast is the train?", "Very fast."))
    monkeypatch.chdir(elsewhere)

    bot = FAQBot.load(index_dir, embedder=embedder)
    assert resolve_build(index_dir) == build  # not rebuilt
    assert {p.source for p in bot.index.passages} == {"boats-faq.md"}
    assert bot.ask("How long is the sailing boat?").citations[0].source == "boats-faq.md"

    # Its own corpus changed: rebuilt from that corpus, still not from ./corpus.
    (own / "boats-faq.md").write_text(_faq("Boats FAQ", "How long is the sailing boat?", "It is 14 meters long."))
    bot = FAQBot.load(index_dir, embedder=embedder)
    assert resolve_build(index_dir) != build
    assert {p.source for p in bot.index.passages} == {"boats-faq.md"}
    assert "14 meters" in bot.index.passages[0].answer_text


def test_an_explicit_corpus_other_than_the_index_s_own_is_a_clear_error(tmp_path, monkeypatch):
    from faqbot.answer.pipeline import FAQBot
    from faqbot.core.config import Settings
    from faqbot.core.errors import IndexCorpusMismatch

    monkeypatch.delenv("FAQBOT_CORPUS_DIR", raising=False)
    first, second = tmp_path / "first", tmp_path / "second"
    for folder in (first, second):
        folder.mkdir()
        (folder / "a-faq.md").write_text(_faq(folder.name, "What is it?", f"It is the {folder.name} FAQ."))
    index_dir = tmp_path / "index"
    embedder = HashingEmbedder()
    build = build_index(Settings(corpus_dir=first, index_dir=index_dir), embedder)
    with pytest.raises(IndexCorpusMismatch, match="was built from .*first.*not .*second"):
        FAQBot.load(settings=Settings(corpus_dir=second, index_dir=index_dir), embedder=embedder)
    assert resolve_build(index_dir) == build  # untouched
    monkeypatch.setenv("FAQBOT_CORPUS_DIR", str(second))
    with pytest.raises(IndexCorpusMismatch):
        FAQBot.load(index_dir, embedder=embedder)
    # Naming the index's own corpus (by another spelling of the same folder) is fine.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FAQBOT_CORPUS_DIR", "first")
    assert FAQBot.load(index_dir, embedder=embedder).index.folder == build


def test_write_build_takes_what_the_caller_knows_as_a_plain_mapping(tmp_path):
    from faqbot.search.index import write_build

    vectors = np.eye(2, 4, dtype=np.float32)
    folder = write_build(
        tmp_path / "index",
        passages=[],
        view_vectors={"question": vectors[:0]},
        sentences=[],
        sentence_vectors=vectors[:0],
        facts=[],
        manifest={"model": "m", "dimension": 4, "corpus_files": {}},
    )
    written = json.loads((folder / "manifest.json").read_text())
    assert list(written)[:4] == ["format_version", "model", "dimension", "corpus_files"]
    assert "encoder" not in written and written["counts"] == {"passages": 0, "sentences": 0, "facts": 0}
    assert load_index(tmp_path / "index", model="m").manifest.views == ("question",)
