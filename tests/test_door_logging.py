"""Every door logs through one path: web, Slack slash commands and mentions, Mattermost and
`faqbot chat --log` write the same row (question, kind, confidence, top citation, latency,
channel) to the store; a store that is down costs an answer nothing."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from faqbot.answer.pipeline import FAQBot
from faqbot.core.config import Settings
from faqbot.doors import cli
from faqbot.doors.http.app import create_app
from faqbot.store import Store

from .fakes import HashingEmbedder
from .test_slack import BOT_TOKEN, SECRET, WEBHOOK_TOKEN, FakeSlackAPI, command_body, event_body, mention, sign

REPO = Path(__file__).resolve().parent.parent
QUESTION = "How do customers purchase more capacity?"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture(scope="module")
def faq_bot(tmp_path_factory) -> FAQBot:
    folder = tmp_path_factory.mktemp("door-logging")
    settings = Settings(corpus_dir=REPO / "corpus", index_dir=folder / "index", model="fake-hashing-embedder")
    return FAQBot.load(settings=settings, embedder=HashingEmbedder())


def door_settings(tmp_path: Path, slack: FakeSlackAPI, **overrides) -> Settings:
    return Settings(
        corpus_dir=REPO / "corpus",
        index_dir=tmp_path / "index",
        model="fake-hashing-embedder",
        db_path=tmp_path / "faqbot.sqlite3",
        slack_signing_secret=SECRET,
        slack_bot_token=BOT_TOKEN,
        webhook_token=WEBHOOK_TOKEN,
        slack_api_url=slack.url,
        **overrides,
    )


def test_every_door_logs_the_same_row(tmp_path: Path, faq_bot: FAQBot):
    slack = FakeSlackAPI()
    settings = door_settings(tmp_path, slack)
    try:
        with TestClient(create_app(settings, bot=faq_bot)) as client:
            assert client.post("/api/ask", json={"question": QUESTION}).status_code == 200
            body = command_body(QUESTION)
            assert client.post("/slack/commands", content=body, headers={**FORM, **sign(body)}).status_code == 200
            mattermost = command_body(QUESTION, token=WEBHOOK_TOKEN)
            assert client.post("/slack/commands", content=mattermost, headers=FORM).status_code == 200
            event = event_body(mention(text=f"<@U0BOT> {QUESTION}"), event_id="EvLog1")
            headers = {"Content-Type": "application/json", **sign(event)}
            assert client.post("/slack/events", content=event, headers=headers).status_code == 200
            deadline = time.monotonic() + 10
            while not slack.calls and time.monotonic() < deadline:
                time.sleep(0.05)
    finally:
        slack.stop()
    with Store(settings.db_path) as store:
        rows = store.conversations()
    assert sorted(row.channel for row in rows) == ["mattermost", "slack", "slack", "web"]
    first = rows[0]
    for row in rows:
        assert (row.question, row.kind, row.top_passage_id) == (QUESTION, first.kind, first.top_passage_id)
        assert row.top_passage_id and row.confidence == first.confidence and row.latency_ms is not None


def test_a_store_that_is_down_costs_the_answer_nothing(tmp_path: Path, faq_bot: FAQBot):
    slack = FakeSlackAPI()
    # Nothing listens on port 9: every store call fails.
    settings = door_settings(
        tmp_path,
        slack,
        db_url="postgresql://faqbot@127.0.0.1:9/faqbot",
        rate_limit="100/minute",
        admin_token="admin-secret",
    )
    try:
        with TestClient(create_app(settings, bot=faq_bot)) as client:
            answered = client.post("/api/ask", json={"question": QUESTION})
            assert answered.status_code == 200 and answered.json()["answer_id"] is None
            refused = client.post("/api/feedback", json={"answer_id": "a" * 32, "rating": "up"})
            assert refused.status_code == 503 and "database" in refused.json()["error"]
            body = command_body(QUESTION)
            assert client.post("/slack/commands", content=body, headers={**FORM, **sign(body)}).status_code == 200
            # Delivery ids fall back to this process's memory: a retry is still dropped.
            event = event_body(mention(text=f"<@U0BOT> {QUESTION}"), event_id="EvDown1")
            for retry in range(2):
                headers = {"Content-Type": "application/json", **sign(event), "X-Slack-Retry-Num": str(retry)}
                assert client.post("/slack/events", content=event, headers=headers).status_code == 200
            deadline = time.monotonic() + 10
            while not slack.calls and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.3)
            ready = client.get("/api/ready").json()
            admin = client.get("/admin/export.jsonl", headers={"Authorization": "Bearer admin-secret"})
            assert admin.status_code == 503 and "database" in admin.json()["error"]
    finally:
        slack.stop()
    assert len(slack.calls) == 1
    assert ready["store"]["backend"] == "postgresql" and ready["store"]["failures"] >= 4
    assert ready["store"]["rate_limit_fallbacks"] >= 2


def test_chat_logs_only_when_asked(tmp_path: Path, faq_bot: FAQBot, monkeypatch):
    db = tmp_path / "chat.sqlite3"
    monkeypatch.setenv("FAQBOT_DB_PATH", str(db))
    chat_bot = FAQBot(faq_bot.index, faq_bot.embedder, Settings(model="fake-hashing-embedder"))
    monkeypatch.setattr(cli, "_load_bot", lambda args, settings=None: chat_bot)
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{QUESTION}\n\n"))
    assert cli.main(["chat"]) == 0
    assert not db.exists()
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{QUESTION}\nWhat is the weather on Mars?\n\n"))
    assert cli.main(["chat", "--log"]) == 0
    with Store(db) as store:
        assert [(row.channel, row.question) for row in reversed(store.conversations())] == [
            ("cli", QUESTION),
            ("cli", "What is the weather on Mars?"),
        ]
