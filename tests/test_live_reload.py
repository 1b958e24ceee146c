"""Live FAQ updates: a published build is swapped into a running app without a failed
request; `faqbot index --check` says whether the published build is current."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from faqbot.answer.pipeline import FAQBot
from faqbot.answer.reload import BuildWatcher, published_build, watched_folder
from faqbot.core.config import Settings
from faqbot.doors.cli import main
from faqbot.doors.http.app import create_app
from faqbot.search.index import build_index

from .fakes import HashingEmbedder

REPO = Path(__file__).resolve().parent.parent
LICENSING = "What is the base SKU price for new customers?"


@pytest.fixture
def live_settings(tmp_path: Path) -> Settings:
    corpus = tmp_path / "corpus"
    shutil.copytree(REPO / "corpus", corpus)
    return Settings(
        corpus_dir=corpus,
        index_dir=tmp_path / "index",
        model="fake-hashing-embedder",
        db_path=tmp_path / "faqbot.sqlite3",
        reload_interval_s=0.2,
    )


def change_price(corpus: Path, old: str, new: str) -> None:
    path = corpus / "ci-faq.md"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def shows(response_json: dict, text: str) -> bool:
    cited = response_json["citations"][0]["quote"] if response_json["citations"] else ""
    return text in response_json["answer"] or text in cited


def test_a_published_build_is_served_without_a_failed_request(live_settings: Settings):
    embedder = HashingEmbedder()
    bot = FAQBot.load(settings=live_settings, embedder=embedder)
    first_build = bot.index.folder.name
    with TestClient(create_app(live_settings, bot=bot)) as client:
        assert client.get("/api/ready").json()["build"] == first_build
        assert shows(client.post("/api/ask", json={"question": LICENSING}).json(), "$1,700")

        statuses: list[int] = []
        stop = threading.Event()

        def keep_asking() -> None:
            while not stop.is_set():
                statuses.append(client.post("/api/ask", json={"question": LICENSING}).status_code)
                statuses.append(client.get("/faq/ci-faq").status_code)

        asking = threading.Thread(target=keep_asking)
        asking.start()
        try:
            change_price(live_settings.corpus_dir, "$1,700", "$1,900")
            new_build = build_index(live_settings, embedder).name  # what `faqbot index` does
            deadline = time.monotonic() + 15
            while client.get("/api/ready").json()["build"] != new_build and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            stop.set()
            asking.join()
        ready = client.get("/api/ready").json()
        assert ready["build"] == new_build != first_build and ready["reloads"] == 1
        assert shows(client.post("/api/ask", json={"question": LICENSING}).json(), "$1,900")
        assert "$1,900" in client.get("/faq/ci-faq").text, "the FAQ pages follow the new build"
        assert statuses and set(statuses) == {200}
        assert client.app.state.bot.embedder is embedder, "the model is not loaded again"


def test_a_build_that_fails_to_load_keeps_the_old_one(live_settings: Settings, tmp_path: Path):
    bot = FAQBot.load(settings=live_settings, embedder=HashingEmbedder())
    swapped: list[FAQBot] = []
    watcher = BuildWatcher(lambda: bot, swapped.append, interval_s=1.0)
    assert watched_folder(bot) == live_settings.index_dir
    assert not watcher.check(), "nothing new"
    (live_settings.index_dir / "build-broken").mkdir()
    (live_settings.index_dir / "CURRENT").write_text("build-broken\n", encoding="utf-8")
    assert published_build(live_settings.index_dir) == "build-broken"
    assert not watcher.check() and watcher.failures == 1 and swapped == []
    with pytest.raises(ValueError):
        BuildWatcher(lambda: bot, swapped.append, interval_s=0)


def test_index_check_says_current_stale_or_missing(live_settings: Settings, monkeypatch, capsys):
    monkeypatch.setenv("FAQBOT_MODEL", "fake-hashing-embedder")
    args = ["index", "--check", "--corpus", str(live_settings.corpus_dir), "--index", str(live_settings.index_dir)]
    assert main(args) == 1
    assert capsys.readouterr().out.startswith("missing:")
    build = build_index(live_settings, HashingEmbedder()).name
    assert main(args) == 0
    assert capsys.readouterr().out.startswith(f"current: {build}")
    change_price(live_settings.corpus_dir, "$1,700", "$1,900")
    assert main(args) == 1
    out = capsys.readouterr().out
    assert out.startswith("stale:") and "ci-faq.md" in out and "faqbot index" in out
    monkeypatch.setenv("FAQBOT_MODEL", "another-model")
    assert main(args) == 1
    assert "another-model" in capsys.readouterr().out
