"""Shared fixtures: corpora in tmp folders, a fake embedder, and the real model once per session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from faqbot.core.config import Settings

from .fakes import HashingEmbedder
from .pgcluster import postgres  # noqa: F401 - the session's PostgreSQL server (tests/pgcluster.py)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parent.parent
SHIPPED_CORPUS = REPO / "corpus"
EXTRA_CORPUS = Path(__file__).resolve().parent / "data" / "extra"
DEV_SET = REPO / "eval" / "dev-questions.jsonl"


@pytest.fixture
def fake_embedder() -> HashingEmbedder:
    return HashingEmbedder()


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    """A writable copy of the shipped corpus."""
    target = tmp_path / "corpus"
    shutil.copytree(SHIPPED_CORPUS, target)
    return target


@pytest.fixture
def settings(tmp_path: Path, corpus_dir: Path) -> Settings:
    return Settings(corpus_dir=corpus_dir, index_dir=tmp_path / "index", model="fake-hashing-embedder")


@pytest.fixture(scope="session")
def real_embedder():
    """The bundled all-MiniLM-L6-v2, loaded once for the whole session."""
    from faqbot.search.embed import load_embedder

    return load_embedder()


@pytest.fixture(scope="session")
def combined_corpus(tmp_path_factory) -> Path:
    """The shipped corpus plus the three extra real FAQ documents."""
    target = tmp_path_factory.mktemp("combined") / "corpus"
    target.mkdir()
    for source in [*SHIPPED_CORPUS.glob("*.md"), *EXTRA_CORPUS.glob("*.md")]:
        if source.stem.upper() != source.stem:
            shutil.copy(source, target / source.name)
    return target
