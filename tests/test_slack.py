"""The Slack / Mattermost door: signatures, tokens, replies, events, retries.

The router is mounted on a bare FastAPI app with a fake-embedder bot. The tests play
Slack's part: they sign requests with Slack's published scheme (v0 HMAC-SHA256 of
`v0:{timestamp}:{body}`) and answer `chat.postMessage` from a small HTTP server on loopback,
so slack_sdk's real WebClient is exercised.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import shutil
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from faqbot.answer.pipeline import FAQBot
from faqbot.core.config import Settings
from faqbot.core.records import Answer, Citation, RelatedQuestion
from faqbot.doors.render import MAX_BLOCKS, MAX_SECTION_CHARS, markdown_to_mrkdwn, mattermost_reply, slack_blocks
from faqbot.doors.slack import SeenEvents, create_slack_router

from .conftest import SHIPPED_CORPUS
from .fakes import HashingEmbedder

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
WEBHOOK_TOKEN = "mattermost-token-123"
BOT_TOKEN = "xoxb-test-bot-token"
LICENSED = "How is the new Customer Insights licensed?"
CI_FAQ_URL = "https://learn.microsoft.com/en-us/dynamics365/customer-insights/journeys/ci-faq"

SYMBOLS_FAQ = """# Symbols FAQ

## What about Tom & Jerry?

Use **A & B** <now>. See [the guide](guide.md) and [the site](https://example.test/a?b=1&c=2).

- first item
- second item
"""

LONG_FAQ = (
    "# Long FAQ\n\n## How long can an answer be?\n\n"
    + "\n\n".join(
        f"Paragraph {n} of a very long answer about answer lengths, with enough words to fill the space. " * 4
        for n in range(40)
    )
    + "\n"
)


# --------------------------------------------------------------------------- fixtures and helpers


@pytest.fixture(scope="module")
def faq_bot(tmp_path_factory) -> FAQBot:
    """The shipped corpus plus two small documents (symbols, a very long answer), fake embedder."""
    root = tmp_path_factory.mktemp("slack")
    corpus = root / "corpus"
    shutil.copytree(SHIPPED_CORPUS, corpus)
    (corpus / "symbols-faq.md").write_text(SYMBOLS_FAQ, encoding="utf-8")
    (corpus / "long-faq.md").write_text(LONG_FAQ, encoding="utf-8")
    urls = json.loads((corpus / "urls.json").read_text(encoding="utf-8"))
    urls["symbols-faq.md"] = "https://docs.example.test/faq/symbols-faq"
    (corpus / "urls.json").write_text(json.dumps(urls), encoding="utf-8")
    settings = Settings(corpus_dir=corpus, index_dir=root / "index", model="fake-hashing-embedder")
    return FAQBot.load(settings=settings, embedder=HashingEmbedder())


class FakeSlackAPI:
    """Slack's Web API on loopback: records chat.postMessage calls and answers like Slack
    (or with HTTP `status` and `{"ok": false}`). Started on first use, stopped after the module."""

    started: list[FakeSlackAPI] = []

    def __init__(self, status: int = 200) -> None:
        self.calls: list[dict[str, Any]] = []
        self.status = status
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            fake = self

            class Handler(BaseHTTPRequestHandler):
                def do_POST(self) -> None:
                    body = self.rfile.read(int(self.headers.get("content-length", 0)))
                    fake.calls.append(
                        {
                            "path": self.path,
                            "headers": {k.lower(): v for k, v in self.headers.items()},
                            "json": json.loads(body),
                        }
                    )
                    ok = fake.status == 200
                    reply = {"ok": True, "ts": "1700000000.000200"} if ok else {"ok": False, "error": "internal_error"}
                    data = json.dumps(reply).encode()
                    self.send_response(fake.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)

                def log_message(self, *args: Any) -> None:
                    pass

            self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
            threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()
            FakeSlackAPI.started.append(self)
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@pytest.fixture(scope="module", autouse=True)
def _stop_fake_slack_apis():
    yield
    while FakeSlackAPI.started:
        FakeSlackAPI.started.pop().stop()


UNREACHABLE_API_URL = "http://127.0.0.1:9/api/"


def make_app(
    bot: FAQBot | None,
    *,
    secret: str | None = SECRET,
    webhook_token: str | None = WEBHOOK_TOKEN,
    bot_token: str | None = BOT_TOKEN,
    slack: FakeSlackAPI | None = None,
    **options: Any,
) -> FastAPI:
    settings = Settings(
        slack_signing_secret=secret,
        webhook_token=webhook_token,
        slack_bot_token=bot_token,
        slack_api_url=(slack or FakeSlackAPI()).url,
    )
    app = FastAPI()
    app.include_router(create_slack_router(settings, lambda: bot, **options))
    return app


def sign(body: bytes, *, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack sends: v0 signature over `v0:{timestamp}:{body}`."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": f"v0={digest}"}


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def command_body(text: str, **fields: str) -> bytes:
    form = {
        "token": "legacy-verification-token",
        "team_id": "T0001",
        "channel_id": "C2147483705",
        "user_id": "U2147483697",
        "command": "/faq",
        "text": text,
        "response_url": "https://hooks.slack.test/commands/1234/5678",
        **fields,
    }
    return urlencode(form).encode()


def slash(client: TestClient, text: str, **sign_options: Any) -> httpx.Response:
    body = command_body(text)
    return client.post("/slack/commands", content=body, headers={**FORM, **sign(body, **sign_options)})


def mattermost(client: TestClient, text: str, token: str | None) -> httpx.Response:
    fields = {"text": text, "command": "/faq", "user_id": "u1", "channel_id": "c1", "team_id": "t1"}
    if token is not None:
        fields["token"] = token
    return client.post("/slack/commands", content=urlencode(fields).encode(), headers=FORM)


def event_body(event: dict[str, Any], event_id: str = "Ev0001") -> bytes:
    return json.dumps(
        {
            "token": "x",
            "team_id": "T1",
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "event": event,
        }
    ).encode()


def post_event(client: TestClient, body: bytes, retry: int | None = None) -> httpx.Response:
    headers = {"Content-Type": "application/json", **sign(body)}
    if retry is not None:
        headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
    return client.post("/slack/events", content=body, headers=headers)


def mention(text: str = f"<@U0BOT> {LICENSED}", **extra: Any) -> dict[str, Any]:
    return {
        "type": "app_mention",
        "user": "U123",
        "text": text,
        "ts": "1700000000.000100",
        "channel": "C123",
        "event_ts": "1700000000.000100",
        **extra,
    }


def texts(reply: dict[str, Any]) -> list[str]:
    """Every mrkdwn text in a Slack reply's blocks."""
    found = []
    for block in reply["blocks"]:
        if block["type"] == "section":
            found.append(block["text"]["text"])
        for element in block.get("elements", []):
            found.append(element["text"])
    return found


# --------------------------------------------------------------------------- signatures


def test_signed_slash_command_is_answered_with_blocks(faq_bot):
    client = TestClient(make_app(faq_bot))
    response = slash(client, LICENSED)
    assert response.status_code == 200
    reply = response.json()
    assert reply["response_type"] == "ephemeral"
    assert reply["text"].strip()
    assert 1 <= len(reply["blocks"]) <= MAX_BLOCKS
    assert {block["type"] for block in reply["blocks"]} <= {"section", "context"}
    expected = faq_bot.ask(LICENSED)
    assert reply["text"] == markdown_to_mrkdwn(expected.answer, CI_FAQ_URL)  # links resolved against the FAQ page
    joined = "\n".join(texts(reply))
    assert f"*Q:* {LICENSED}" in joined
    assert f"<{CI_FAQ_URL}|Dynamics 365 Customer Insights FAQs › " in joined
    assert "*Related questions*" in joined


def test_in_channel_reply_when_configured(faq_bot):
    client = TestClient(make_app(faq_bot, response_type="in_channel"))
    assert slash(client, LICENSED).json()["response_type"] == "in_channel"
    # Help stays private whatever the setting.
    assert slash(client, "").json()["response_type"] == "ephemeral"


def test_bad_options_are_refused_when_the_router_is_built():
    with pytest.raises(ValueError, match="'public'"):
        create_slack_router(Settings(), lambda: None, response_type="public")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ftp://x"):
        create_slack_router(Settings(), lambda: None, public_base_url="ftp://x")


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda body, headers: (body.replace(b"licensed", b"priced"), headers), id="tampered-body"),
        pytest.param(lambda body, headers: (body, sign(body, secret="another-secret")), id="wrong-secret"),
        pytest.param(lambda body, headers: (body, sign(body, timestamp=int(time.time()) - 301)), id="old"),
        pytest.param(lambda body, headers: (body, sign(body, timestamp=int(time.time()) + 400)), id="future"),
        pytest.param(
            lambda body, headers: (body, {"X-Slack-Request-Timestamp": headers["X-Slack-Request-Timestamp"]}),
            id="no-signature",
        ),
        pytest.param(
            lambda body, headers: (body, {"X-Slack-Signature": headers["X-Slack-Signature"]}), id="no-timestamp"
        ),
        pytest.param(lambda body, headers: (body, {**headers, "X-Slack-Request-Timestamp": "soon"}), id="bad-ts"),
        pytest.param(
            lambda body, headers: (body, {**headers, "X-Slack-Signature": "v0=é".encode("latin-1")}), id="non-ascii"
        ),
    ],
)
def test_bad_signatures_get_401_and_no_answer(faq_bot, tamper):
    client = TestClient(make_app(faq_bot))
    body = command_body(LICENSED)
    body, headers = tamper(body, sign(body))
    response = client.post("/slack/commands", content=body, headers={**FORM, **headers})
    assert response.status_code == 401
    assert set(response.json()) == {"error"}
    assert SECRET not in response.text


def test_slack_ssl_check_gets_an_empty_200(faq_bot):
    client = TestClient(make_app(faq_bot))
    response = client.post("/slack/commands", content=b"ssl_check=1&token=x", headers=FORM)
    assert response.status_code == 200 and response.json() == {}
    # With a command in it, the same request is an unsigned, token-less command: refused.
    body = b"ssl_check=1&token=x&command=%2Ffaq&text=hello"
    assert client.post("/slack/commands", content=body, headers=FORM).status_code == 401


def test_a_timestamp_within_five_minutes_is_accepted(faq_bot):
    client = TestClient(make_app(faq_bot))
    assert slash(client, LICENSED, timestamp=int(time.time()) - 240).status_code == 200


# --------------------------------------------------------------------------- slash command replies


def test_question_and_answer_are_escaped_and_links_converted(faq_bot):
    client = TestClient(make_app(faq_bot))
    reply = slash(client, "What about Tom & Jerry <b>?").json()
    joined = "\n".join(texts(reply))
    assert "*Q:* What about Tom &amp; Jerry &lt;b&gt;?" in joined
    assert "*A &amp; B* &lt;now&gt;." in reply["text"]
    # Relative links resolve against the document's public page; `&` in URLs is an entity.
    assert "<https://docs.example.test/faq/guide|the guide>" in reply["text"]
    assert "<https://example.test/a?b=1&amp;c=2|the site>" in reply["text"]
    assert "• first item\n• second item" in reply["text"]
    assert "<b>" not in json.dumps(reply) and "**" not in reply["text"]


def test_slack_formatting_in_the_command_text_is_read_as_plain_text(faq_bot):
    client = TestClient(make_app(faq_bot))
    reply = slash(client, "What about Tom &amp; Jerry?").json()
    assert "*Q:* What about Tom &amp; Jerry?" in "\n".join(texts(reply))


def test_long_answer_is_trimmed_to_block_limits_with_a_link(faq_bot):
    client = TestClient(make_app(faq_bot, public_base_url="https://faq.example.test"))
    reply = slash(client, "How long can an answer be?").json()
    assert len(faq_bot.ask("How long can an answer be?").answer) > 2 * MAX_SECTION_CHARS
    assert len(reply["blocks"]) <= MAX_BLOCKS
    for text in texts(reply):
        assert 0 < len(text) <= MAX_SECTION_CHARS
    answer_section = reply["blocks"][1]["text"]["text"]
    assert answer_section.startswith("Paragraph 0")
    # No public URL for this document: the link goes to the bot's own FAQ page.
    assert "<https://faq.example.test/faq/long-faq#how-long-can-an-answer-be|read the full answer>" in answer_section
    assert "<https://faq.example.test/faq/long-faq#how-long-can-an-answer-be|Long FAQ › " in "\n".join(texts(reply))


def test_without_any_url_the_source_is_plain_text(faq_bot):
    client = TestClient(make_app(faq_bot))
    reply = slash(client, "How long can an answer be?").json()
    assert "Source: Long FAQ › How long can an answer be?" in texts(reply)
    assert "/faq/" not in json.dumps(reply)


def test_no_answer_offers_suggestions(faq_bot):
    client = TestClient(make_app(faq_bot))
    reply = slash(client, "What is the airspeed velocity of an unladen swallow?").json()
    assert reply["response_type"] == "ephemeral"
    assert "couldn't find an answer" in reply["text"]
    assert "The closest questions I can answer:\n• " in reply["text"]
    assert not any("Related questions" in text for text in texts(reply))


@pytest.mark.parametrize("text", ["", "   ", "help"])
def test_empty_text_gets_usage_help(faq_bot, text):
    client = TestClient(make_app(faq_bot))
    reply = slash(client, text).json()
    assert reply["response_type"] == "ephemeral"
    assert "`/faq " in reply["text"]


def test_too_long_question_gets_a_polite_ephemeral_error(faq_bot):
    client = TestClient(make_app(faq_bot))
    response = slash(client, "why " * 400)
    assert response.status_code == 200
    reply = response.json()
    assert reply["response_type"] == "ephemeral"
    assert "limit is 1000" in reply["text"] and "Sorry" in reply["text"]


def test_bot_still_loading_gets_a_polite_reply():
    client = TestClient(make_app(None))
    reply = slash(client, LICENSED).json()
    assert reply["response_type"] == "ephemeral" and "starting" in reply["text"]


def test_oversized_body_gets_413(faq_bot):
    client = TestClient(make_app(faq_bot))
    body = command_body("x" * 70_000)
    response = client.post("/slack/commands", content=body, headers={**FORM, **sign(body)})
    assert response.status_code == 413


# --------------------------------------------------------------------------- Mattermost


def test_mattermost_right_token_gets_markdown(faq_bot):
    client = TestClient(make_app(faq_bot))
    response = mattermost(client, LICENSED, WEBHOOK_TOKEN)
    assert response.status_code == 200
    reply = response.json()
    assert set(reply) == {"response_type", "text"}
    assert reply["response_type"] == "ephemeral"
    assert faq_bot.ask(LICENSED).answer.split(".")[0] in reply["text"]
    assert "**Source:** [Dynamics 365 Customer Insights FAQs › " in reply["text"]
    assert f"]({CI_FAQ_URL})" in reply["text"]
    assert "**Related questions:**\n- " in reply["text"]


def test_mattermost_keeps_markdown_and_resolves_links(faq_bot):
    client = TestClient(make_app(faq_bot))
    text = mattermost(client, "What about Tom & Jerry?", WEBHOOK_TOKEN).json()["text"]
    assert "**A & B** <now>." in text
    assert "[the guide](https://docs.example.test/faq/guide)" in text


@pytest.mark.parametrize("token", [None, "", "wrong-token", WEBHOOK_TOKEN + "x", "é"])
def test_mattermost_wrong_or_missing_token_gets_401(faq_bot, token):
    client = TestClient(make_app(faq_bot))
    response = mattermost(client, LICENSED, token)
    assert response.status_code == 401
    assert WEBHOOK_TOKEN not in response.text


def test_slack_signed_request_is_not_accepted_on_the_token_alone(faq_bot):
    client = TestClient(make_app(faq_bot))
    body = command_body(LICENSED, token=WEBHOOK_TOKEN)
    headers = {**FORM, **sign(body, secret="not-the-secret")}
    assert client.post("/slack/commands", content=body, headers=headers).status_code == 401
    # Without a signing secret, Slack-signed requests are refused even with the right token.
    client = TestClient(make_app(faq_bot, secret=None))
    assert client.post("/slack/commands", content=body, headers={**FORM, **sign(body)}).status_code == 401


def test_token_mode_is_off_without_a_webhook_token(faq_bot):
    client = TestClient(make_app(faq_bot, webhook_token=None))
    response = mattermost(client, LICENSED, "anything")
    assert response.status_code == 401
    assert "FAQBOT_WEBHOOK_TOKEN" in response.json()["error"]
    assert slash(client, LICENSED).status_code == 200


# --------------------------------------------------------------------------- not configured


def test_nothing_configured_means_not_open(faq_bot):
    slack = FakeSlackAPI()
    client = TestClient(make_app(faq_bot, secret=None, webhook_token=None, slack=slack))
    body = command_body(LICENSED)
    for headers in ({}, sign(body)):
        response = client.post("/slack/commands", content=body, headers={**FORM, **headers})
        assert response.status_code == 503
        assert "not configured" in response.json()["error"]
    event = event_body(mention())
    response = client.post("/slack/events", content=event, headers={"Content-Type": "application/json", **sign(event)})
    assert response.status_code == 503
    assert slack.calls == []


def test_events_need_the_signing_secret(faq_bot):
    slack = FakeSlackAPI()
    client = TestClient(make_app(faq_bot, secret=None, slack=slack))
    body = json.dumps({"type": "url_verification", "challenge": "abc", "token": WEBHOOK_TOKEN}).encode()
    response = client.post("/slack/events", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 503
    assert "abc" not in response.text


# --------------------------------------------------------------------------- events


def test_url_verification_returns_the_challenge(faq_bot):
    client = TestClient(make_app(faq_bot))
    body = json.dumps(
        {"token": "x", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", "type": "url_verification"}
    ).encode()
    response = client.post("/slack/events", content=body, headers={"Content-Type": "application/json", **sign(body)})
    assert response.status_code == 200
    assert response.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}
    unsigned = client.post("/slack/events", content=body, headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 401 and "3eZbrw" not in unsigned.text


def test_mention_is_answered_once_in_its_thread_despite_retries(faq_bot):
    slack = FakeSlackAPI()
    client = TestClient(make_app(faq_bot, slack=slack))
    body = event_body(mention())
    for retry in (None, 1, 2):
        response = post_event(client, body, retry)
        assert response.status_code == 200
    assert len(slack.calls) == 1
    call = slack.calls[0]
    assert call["path"] == "/api/chat.postMessage"
    assert call["headers"]["authorization"] == f"Bearer {BOT_TOKEN}"
    payload = call["json"]
    assert payload["channel"] == "C123"
    assert payload["thread_ts"] == "1700000000.000100"
    # The mention is stripped before asking: the reply is the answer to the bare question.
    fallback, blocks = slack_blocks(faq_bot.ask(LICENSED), echo_question=False)
    assert payload["text"] == fallback and payload["blocks"] == blocks


def test_a_reply_inside_a_thread_stays_in_that_thread(faq_bot):
    slack = FakeSlackAPI()
    client = TestClient(make_app(faq_bot, slack=slack))
    post_event(client, event_body(mention(ts="1700000001.000300", thread_ts="1700000000.000001")))
    assert slack.calls[0]["json"]["thread_ts"] == "1700000000.000001"


def test_direct_message_is_answered(faq_bot):
    slack = FakeSlackAPI()
    client = TestClient(make_app(faq_bot, slack=slack))
    event = {
        "type": "message",
        "channel_type": "im",
        "user": "U123",
        "text": LICENSED,
        "ts": "1700000002.000100",
        "channel": "D123",
    }
    assert post_event(client, event_body(event, "Ev0002")).status_code == 200
    assert [call["json"]["channel"] for call in slack.calls] == ["D123"]
    assert slack.calls[0]["json"]["thread_ts"] == "1700000002.000100"


def test_same_message_as_mention_and_direct_message_is_answered_once(faq_bot):
    slack = FakeSlackAPI()
    client = TestClient(make_app(faq_bot, slack=slack))
    shared = {"user": "U123", "text": LICENSED, "ts": "1700000003.000100", "channel": "D123"}
    post_event(client, event_body({"type": "app_mention", **shared}, "Ev0003"))
    post_event(client, event_body({"type": "message", "channel_type": "im", **shared}, "Ev0004"))
    assert len(slack.calls) == 1


@pytest.mark.parametrize(
    "event",
    [
        pytest.param(mention(bot_id="B123"), id="bot-mention"),
        pytest.param(
            {
                "type": "message",
                "subtype": "bot_message",
                "bot_id": "B1",
                "text": LICENSED,
                "ts": "1.0",
                "channel": "D1",
                "channel_type": "im",
            },
            id="bot-message",
        ),
        pytest.param(
            {
                "type": "message",
                "subtype": "bot_message",
                "text": LICENSED,
                "user": "U1",
                "ts": "1.0",
                "channel": "D1",
                "channel_type": "im",
            },
            id="bot-subtype",
        ),
        pytest.param(
            {
                "type": "message",
                "user": "U1",
                "text": LICENSED,
                "ts": "1.0",
                "channel": "C1",
                "channel_type": "channel",
            },
            id="channel-message",
        ),
        pytest.param(
            {
                "type": "message",
                "subtype": "message_changed",
                "channel": "D1",
                "ts": "1.0",
                "channel_type": "im",
                "message": {"text": LICENSED},
            },
            id="edit",
        ),
        pytest.param({"type": "reaction_added", "user": "U1", "reaction": "thumbsup"}, id="other-event"),
    ],
)
def test_bots_and_other_events_get_no_reply(faq_bot, event):
    slack = FakeSlackAPI()
    client = TestClient(make_app(faq_bot, slack=slack))
    assert post_event(client, event_body(event)).status_code == 200
    assert slack.calls == []


def test_mention_text_loses_slack_formatting_before_it_is_asked(faq_bot):
    slack = FakeSlackAPI()
    client = TestClient(make_app(faq_bot, slack=slack))
    text = "<@U0BOT|faq> What about Tom &amp; Jerry? see <https://x.test/a|this> in <#C1|general> <!here>"
    post_event(client, event_body(mention(text=text)))
    asked = "What about Tom & Jerry? see this in #general @here"
    assert slack.calls[0]["json"]["text"] == slack_blocks(faq_bot.ask(asked), echo_question=False)[0]


def test_empty_mention_gets_usage_help_in_the_thread(faq_bot):
    slack = FakeSlackAPI()
    client = TestClient(make_app(faq_bot, slack=slack))
    post_event(client, event_body(mention(text="<@U0BOT>")))
    assert "Mention me with a question" in slack.calls[0]["json"]["text"]


def test_post_message_refused_by_slack_is_logged_without_the_token(faq_bot, caplog):
    slack = FakeSlackAPI(status=500)
    client = TestClient(make_app(faq_bot, slack=slack))
    with caplog.at_level(logging.DEBUG):
        assert post_event(client, event_body(mention())).status_code == 200
    assert len(slack.calls) == 1
    assert "chat.postMessage refused" in caplog.text and "internal_error" in caplog.text
    for secret in (BOT_TOKEN, SECRET, WEBHOOK_TOKEN):
        assert secret not in caplog.text
    assert slash(client, LICENSED).status_code == 200


def test_post_message_to_an_unreachable_slack_is_logged_without_the_token(faq_bot, caplog):
    settings = Settings(
        slack_signing_secret=SECRET,
        webhook_token=WEBHOOK_TOKEN,
        slack_bot_token=BOT_TOKEN,
        slack_api_url=UNREACHABLE_API_URL,
    )
    app = FastAPI()
    app.include_router(create_slack_router(settings, lambda: faq_bot))
    client = TestClient(app)
    with caplog.at_level(logging.DEBUG):
        assert post_event(client, event_body(mention())).status_code == 200
    assert "chat.postMessage failed" in caplog.text
    for secret in (BOT_TOKEN, SECRET, WEBHOOK_TOKEN):
        assert secret not in caplog.text
    # The app goes on answering.
    assert slash(client, LICENSED).status_code == 200


def test_without_a_bot_token_mentions_are_acknowledged_not_answered(faq_bot, caplog):
    slack = FakeSlackAPI()
    client = TestClient(make_app(faq_bot, bot_token=None, slack=slack))
    with caplog.at_level(logging.WARNING):
        assert post_event(client, event_body(mention())).status_code == 200
    assert slack.calls == [] and "FAQBOT_SLACK_BOT_TOKEN" in caplog.text


def test_server_starts_with_the_slack_api_unreachable(faq_bot):
    settings = Settings(slack_signing_secret=SECRET, slack_bot_token=BOT_TOKEN, slack_api_url=UNREACHABLE_API_URL)
    app = FastAPI()
    app.include_router(create_slack_router(settings, lambda: faq_bot))
    with TestClient(app) as client:
        assert slash(client, LICENSED).status_code == 200
        assert post_event(client, event_body(mention())).status_code == 200


def test_event_is_acknowledged_before_it_is_answered(faq_bot):
    """Drive the ASGI app by hand: the 200 must be sent before chat.postMessage is called."""
    order: list[str] = []

    class RecordingClient:
        def chat_postMessage(self, **payload: Any) -> dict[str, Any]:
            order.append("chat.postMessage")
            return {"ok": True}

    settings = Settings(slack_signing_secret=SECRET, slack_bot_token=BOT_TOKEN)
    app = FastAPI()
    app.include_router(create_slack_router(settings, lambda: faq_bot, slack_client=RecordingClient()))
    body = event_body(mention())
    headers = [(b"content-type", b"application/json")] + [
        (name.lower().encode(), value.encode()) for name, value in sign(body).items()
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/slack/events",
        "raw_path": b"/slack/events",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("test", 80),
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            order.append(f"status {message['status']}")

    asyncio.run(app(scope, receive, send))
    assert order == ["status 200", "chat.postMessage"]


# --------------------------------------------------------------------------- units


def test_seen_events_is_bounded_and_thread_safe():
    seen = SeenEvents(limit=3)
    assert [seen.claim(f"Ev{n}") for n in range(5)] == [True] * 5
    assert len(seen) == 3
    assert seen.claim("Ev0")  # forgotten, the oldest
    with pytest.raises(ValueError, match="0"):
        SeenEvents(limit=0)

    seen = SeenEvents()
    wins: list[bool] = []
    barrier = threading.Barrier(16)

    def claim() -> None:
        barrier.wait()
        wins.append(seen.claim("EvSame", "C1:1.0"))

    threads = [threading.Thread(target=claim) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wins.count(True) == 1


@pytest.mark.parametrize(
    ("markdown", "mrkdwn"),
    [
        ("**bold** and *em* and ~~gone~~", "*bold* and _em_ and ~gone~"),
        ("a & b < c > d", "a &amp; b &lt; c &gt; d"),
        ("[text](https://x.test/p?a=1&b=2)", "<https://x.test/p?a=1&amp;b=2|text>"),
        ("[a|b](https://x.test/a|b)", "<https://x.test/a%7Cb|a|b>"),
        ("[relative](other.md) stays text", "relative stays text"),
        ("Intro:\n- one\n- two\n  - nested", "Intro:\n• one\n• two\n    ◦ nested"),
        ("1. first\n2. second", "1. first\n2. second"),
        ("> [!NOTE]\n> Read this.", "> *Note:* Read this."),
        ("`a<b>` and\n```\nx < y\n```", "`a&lt;b&gt;` and\n\n```\nx &lt; y\n```"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("## Heading", "*Heading*"),
    ],
)
def test_markdown_to_mrkdwn(markdown, mrkdwn):
    assert markdown_to_mrkdwn(markdown) == mrkdwn


def _answer(text: str, *, related: int = 0, url: str | None = "https://x.test/faq") -> Answer:
    citation = Citation(
        passage_id="faq#q",
        doc_title="FAQ",
        section=None,
        question="Q?",
        quote="q",
        source="faq.md",
        line_start=1,
        line_end=2,
        anchor="q",
        url=url,
        score=0.9,
    )
    return Answer(
        question="Q?",
        answer=text,
        kind="retrieval",
        confidence=0.9,
        citations=[citation],
        related=[RelatedQuestion(passage_id=f"faq#r{n}", question=f"R{n}?") for n in range(related)],
    )


def test_trimming_never_cuts_a_link_or_an_entity():
    text = "[a long link label](https://x.test/a-long-link) & word " * 200
    fallback, blocks = slack_blocks(_answer(text, related=10))
    assert len(fallback) <= MAX_SECTION_CHARS and len(blocks) <= MAX_BLOCKS
    body = fallback.rsplit(" …", 1)[0]
    assert body.count("<") == body.count(">") and body.endswith(("label>", "&amp;", "word"))
    assert fallback.endswith("_Answer shortened: <https://x.test/faq|read the full answer>_")


def test_mattermost_reply_escapes_the_question():
    answer = _answer("Fine.").model_copy(update={"question": "ping @channel [x](http://evil.test)"})
    text = mattermost_reply(answer, "in_channel")["text"]
    assert "@channel" not in text and "](http://evil.test)" not in text


@pytest.mark.slow
def test_slash_commands_are_fast_with_the_real_model(real_embedder, tmp_path):
    settings = Settings(corpus_dir=SHIPPED_CORPUS, index_dir=tmp_path / "index")
    bot = FAQBot.load(settings=settings, embedder=real_embedder)
    client = TestClient(make_app(bot))
    slowest = 0.0
    for question in [LICENSED, "Is the offer available worldwide?", "What is the capital of France?"] * 3:
        started = time.perf_counter()
        reply = slash(client, question).json()
        slowest = max(slowest, time.perf_counter() - started)
        assert reply["blocks"]
    assert slowest < 2.5  # Slack gives up after 3 s (a loose bound: this machine is shared and noisy)


def test_manifest_points_slack_at_the_routes():
    import yaml

    manifest = yaml.safe_load((Path(__file__).resolve().parent.parent / "slack-app-manifest.yml").read_text())
    routes = {route.path for route in create_slack_router(Settings(), lambda: None).routes}
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == "/faq"
    assert command["url"] == "https://YOUR-HOST/slack/commands"
    events = manifest["settings"]["event_subscriptions"]
    assert events["request_url"] == "https://YOUR-HOST/slack/events"
    assert set(events["bot_events"]) == {"app_mention", "message.im"}
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert scopes == {"commands", "app_mentions:read", "chat:write", "im:history"}
    assert {"/slack/commands", "/slack/events"} <= routes
    assert manifest["features"]["app_home"]["messages_tab_enabled"] is True


# --------------------------------------------------------------------------- threads as conversations, handoff (issue 17)

HANDOFF_URL = "https://support.example.test/contact"
SWALLOW = "What is the airspeed velocity of an unladen swallow?"


def handoff_app(bot: FAQBot, slack: FakeSlackAPI | None = None) -> FastAPI:
    settings = Settings(
        slack_signing_secret=SECRET,
        webhook_token=WEBHOOK_TOKEN,
        slack_bot_token=BOT_TOKEN,
        slack_api_url=(slack or FakeSlackAPI()).url,
        handoff_url=HANDOFF_URL,
        handoff_label="Ask our team",
    )
    app = FastAPI()
    app.include_router(create_slack_router(settings, lambda: bot))
    return app


def test_a_follow_up_in_a_thread_is_read_against_the_thread(faq_bot):
    slack = FakeSlackAPI()
    client = TestClient(make_app(faq_bot, slack=slack))
    first = mention("<@U0BOT> What is the base SKU price for new customers?", ts="1700000100.000100")
    post_event(client, event_body(first, "Ev0100"))
    in_thread = mention("<@U0BOT> and for existing ones?", ts="1700000101.000100", thread_ts="1700000100.000100")
    post_event(client, event_body(in_thread, "Ev0101"))
    elsewhere = mention("<@U0BOT> and for existing ones?", ts="1700000102.000100")
    post_event(client, event_body(elsewhere, "Ev0102"))
    replies = [call["json"]["text"] for call in slack.calls]
    assert len(replies) == 3 and "$1,700" in replies[0]
    assert "Understood as: What is the base SKU price for existing customers?" in replies[1]
    assert "$1,000" in replies[1]
    assert "Understood as" not in replies[2]  # a new thread is a new conversation


def test_a_no_answer_in_slack_links_to_the_handoff(faq_bot):
    client = TestClient(handoff_app(faq_bot))
    reply = slash(client, SWALLOW).json()
    assert f"<{HANDOFF_URL}|Ask our team>" in texts(reply)
    answered = slash(client, LICENSED).json()
    assert not any(HANDOFF_URL in text for text in texts(answered))
    assert len(reply["blocks"]) <= MAX_BLOCKS


def test_a_request_for_a_person_in_a_thread_gets_the_handoff_link(faq_bot):
    slack = FakeSlackAPI()
    client = TestClient(handoff_app(faq_bot, slack))
    post_event(client, event_body(mention("<@U0BOT> can I talk to a human please?", ts="1700000200.000100"), "Ev0200"))
    (call,) = slack.calls
    assert call["json"]["thread_ts"] == "1700000200.000100"
    assert any(f"<{HANDOFF_URL}|Ask our team>" in text for text in texts(call["json"]))


def test_a_mattermost_no_answer_links_to_the_handoff(faq_bot):
    client = TestClient(handoff_app(faq_bot))
    reply = mattermost(client, SWALLOW, WEBHOOK_TOKEN).json()
    assert f"[Ask our team]({HANDOFF_URL})" in reply["text"]
