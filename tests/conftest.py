"""Shared fixtures: corpora in tmp folders, a fake embedder, and the real model once per session;
and the markers that sort the costly kinds of test out of `make test-fast`."""

from __future__ import annotations

import inspect
import os
import re
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


# The costly kinds of test, marked here so no test file has to remember to (markers registered in
# pyproject.toml). `make test-fast` deselects them and `slow`: what is left is the unit tests on
# the fake embedder. `make test` runs everything.
_SPAWNS = re.compile(
    r"\bsubprocess\.\w+\(|\bsys\.executable\b|\bmultiprocessing\b|\bLiveServer\(|\buvicorn\.(run|Server)\("
)
"""Calls in a test's source that start another process or serve on a real socket."""


def _kinds(item: pytest.Item) -> set[str]:
    kinds = set()
    if item.path.name.endswith("_browser.py"):
        kinds.add("browser")
    params = getattr(getattr(item, "callspec", None), "params", {})
    on_postgres = any(isinstance(value, str) and value == "postgresql" for value in params.values())
    if on_postgres or "postgres" in getattr(item, "fixturenames", ()):
        kinds.add("postgres")
    function = getattr(item, "function", None)
    if function is not None:
        try:
            source = inspect.getsource(function)
        except (OSError, TypeError):
            source = ""
        if getattr(function, "is_hypothesis_test", False) or "time_limit(" in source:
            kinds.add("fuzz")
        if _SPAWNS.search(source):
            kinds.add("spawn")
    return kinds


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        for kind in sorted(_kinds(item)):
            item.add_marker(kind)
