"""The HTTP API under fuzzing: schemathesis against the app's own OpenAPI schema, in process.

Every operation of /openapi.json gets valid and invalid requests generated from the
schema (bounded: EXAMPLES per operation and generation mode); every response must
be a non-5xx that conforms to the schema (status code documented, content type and
body as documented). Then the odd inputs people really send, one by one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from faqbot.answer.pipeline import FAQBot
from faqbot.core.config import Settings
from faqbot.doors.http.app import MAX_BODY_BYTES, create_app

from .fakes import HashingEmbedder

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = 100
SIGNING_SECRET = "fuzz-signing-secret"
WEBHOOK_TOKEN = "fuzz-webhook-token"

# The schema is read from an app that never serves (creating one does no I/O); each
# generated request is sent in process to the module's app, whose bot uses the fake embedder.
# (schemathesis.pytest.from_fixture would be neater, but does not work with pytest 9.)
schema = schemathesis.openapi.from_dict(create_app(Settings()).openapi())
schema.app = create_app(Settings())  # selects schemathesis's ASGI transport
schema.config.generation.update(
    modes=[schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE],
    max_examples=EXAMPLES,
)


def fuzz_settings(tmp: Path) -> Settings:
    return Settings(
        corpus_dir=REPO / "corpus",
        index_dir=tmp / "index",
        model="fake-hashing-embedder",
        db_path=tmp / "faqbot.sqlite3",
        cors_origins=["https://shop.example.com"],
        # Slack and Mattermost doors open, so that fuzzing reaches their checks;
        # the API URL is never called (no generated request carries a valid signature).
        slack_signing_secret=SIGNING_SECRET,
        webhook_token=WEBHOOK_TOKEN,
        slack_api_url="http://127.0.0.1:9/api/",  # never called: no bot token, so mentions are not answered
    )


@pytest.fixture(scope="module")
def fuzz_settings_and_bot(tmp_path_factory) -> tuple[Settings, FAQBot]:
    settings = fuzz_settings(tmp_path_factory.mktemp("fuzz-api"))
    return settings, FAQBot.load(settings=settings, embedder=HashingEmbedder())


@pytest.fixture(scope="module")
def fuzz_app(fuzz_settings_and_bot) -> FastAPI:
    # schemathesis runs (and ends) this app's lifespan itself, around each operation.
    settings, bot = fuzz_settings_and_bot
    return create_app(settings, bot=bot)


@schema.parametrize()
@hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture],
)
def test_every_operation_conforms_to_its_schema_and_never_fails(case, fuzz_app: FastAPI):
    # Default checks: no server error, documented status codes, content types, headers
    # and response bodies, and that invalid data is refused (negative mode).
    case.call_and_validate(app=fuzz_app)


@pytest.fixture(scope="module")
def client(fuzz_settings_and_bot):
    settings, bot = fuzz_settings_and_bot
    with TestClient(create_app(settings, bot=bot), raise_server_exceptions=False) as client:
        yield client


# --------------------------------------------------------------------------- the Slack doors
# Their form and event bodies are not in the OpenAPI schema, so schemathesis sends them
# little; these generate the bodies themselves, correctly authenticated, so that the
# parsing and answering behind the signature check is reached.

JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=10,
)
EVENT = st.fixed_dictionaries(
    {"type": st.sampled_from(["event_callback", "url_verification", "app_rate_limited"]) | st.text(max_size=5)},
    optional={
        "challenge": JSONISH,
        "event_id": JSONISH,
        "event": st.fixed_dictionaries(
            {},
            optional={
                "type": st.sampled_from(["app_mention", "message"]) | JSONISH,
                "text": st.text(max_size=80) | JSONISH,
                "user": st.just("U1") | JSONISH,
                "channel": st.just("C1") | JSONISH,
                "ts": st.just("1.2") | JSONISH,
                "channel_type": st.just("im") | JSONISH,
                "bot_id": JSONISH,
            },
        )
        | JSONISH,
    },
)


def slack_headers(body: bytes, *, content_type: str) -> dict[str, str]:
    timestamp = str(int(time.time()))
    digest = hmac.new(SIGNING_SECRET.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    return {
        "content-type": content_type,
        "x-slack-request-timestamp": timestamp,
        "x-slack-signature": f"v0={digest}",
    }


@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    fields=st.dictionaries(
        st.sampled_from(["text", "command", "user_id", "channel_id", "response_url", "team_id"]) | st.text(max_size=6),
        st.text(max_size=120),
        max_size=6,
    ),
    signed=st.booleans(),
)
def test_slash_commands_never_fail(client: TestClient, fields: dict[str, str], signed: bool):
    if signed:
        body = urlencode(fields).encode()
        headers = slack_headers(body, content_type="application/x-www-form-urlencoded")
    else:  # Mattermost style: the token in the form
        body = urlencode({**fields, "token": WEBHOOK_TOKEN}).encode()
        headers = {"content-type": "application/x-www-form-urlencoded"}
    response = client.post("/slack/commands", content=body, headers=headers)
    assert response.status_code == 200, response.text
    reply = response.json()
    assert isinstance(reply.get("text"), str) and "Traceback" not in response.text


@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=EVENT | JSONISH)
def test_slack_events_never_fail(client: TestClient, payload):
    body = json.dumps(payload).encode()
    response = client.post("/slack/events", content=body, headers=slack_headers(body, content_type="application/json"))
    assert response.status_code in (200, 400), response.text
    assert response.headers["content-type"].startswith("application/json")


# --------------------------------------------------------------------------- odd but real inputs


def post_raw(client: TestClient, body: bytes, content_type: str | None = "application/json"):
    headers = {"content-type": content_type} if content_type else {}
    return client.post("/api/ask", content=body, headers=headers)


def assert_clear_4xx(response, status: int | None = None) -> dict:
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    if status is not None:
        assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error", "detail"} and len(body["error"]) > 20
    assert "Traceback" not in response.text
    return body


@pytest.mark.parametrize(
    "question",
    [
        "How do customers purchase more capacity? 🚀🙂",
        "🤔❓",
        "كيف يمكن للعملاء شراء سعة إضافية؟",  # Arabic, right to left
        "האם ההצעה זמינה בכל העולם?",  # Hebrew
        "\u202eHow do customers purchase more capacity?",  # a right-to-left override first
        "How\u200b do customers\u00a0purchase more capacity?",  # zero-width and no-break spaces
        "How do customers purchase more capacity?\x07\x1b[31m",  # a bell and a terminal colour code
        "How do custo\u0301mers purchase more capacity?",  # a combining accent
        "𝐇𝐨𝐰 do customers purchase more capacity?",  # mathematical bold letters
    ],
    ids=[
        "emoji",
        "emoji-only",
        "arabic",
        "hebrew",
        "rtl-override",
        "zero-width",
        "control-chars",
        "combining",
        "math-bold",
    ],
)
def test_odd_but_legal_questions_are_answered(client: TestClient, question: str):
    response = post_raw(client, json.dumps({"question": question}).encode())
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["kind"] in ("retrieval", "rule", "no_answer")
    assert body["answer"].strip()
    assert body["answer_id"]


def test_top_k_may_be_an_integral_number(client: TestClient):
    # JSON Schema (and JavaScript) count 2.0 as an integer; 2.5 and "2" stay errors (tests/test_server.py).
    response = post_raw(client, b'{"question": "How do customers purchase more capacity?", "top_k": 2.0}')
    assert response.status_code == 200, response.text
    assert len(response.json()["citations"]) <= 2


@pytest.mark.parametrize(
    ("raw", "status", "word"),
    [
        (b'{"question": "\\ud800 capacity?"}', 422, "surrogate"),
        (b'{"question": "capacity \\udfff"}', 422, "surrogate"),
        (b'{"question": "\\u0000\\u0001\\u0002"}', 422, "empty"),
        (b'{"question": "\\u3000\\u00a0\\t\\u2028 \\u0085"}', 422, "empty"),
        (b'{"question": "' + b"a" * 100_000 + b'"}', 413, "too large"),
        (b'{"question": "' + "é".encode() * 1001 + b'"}', 422, "1001"),
        (b'{"question": "How?", "question": 5}', 422, "question"),
        (b'{"question": "How?",}', 400, "not valid JSON"),
        (b'{"question": NaN}', 422, "question"),
        (b'{"question": "How?", "top_k": 1e400}', 422, "top_k"),
        (b'{"question": "How?", "top_k": 99999999999999999999999}', 422, "top_k"),
        (b"\x00" * 64, 400, "not valid JSON"),
        (b'{"question": "How?"', 400, "not valid JSON"),
        (b'{"question": "How?"}{"question": "Why?"}', 400, "not valid JSON"),
    ],
    ids=[
        "lone-high-surrogate", "lone-low-surrogate", "nul-only", "spaces-only", "100KB", "1001-accented",
        "duplicate-key", "trailing-comma", "nan", "huge-float", "huge-int", "nul-bytes",
        "truncated", "two-objects",
    ],
)  # fmt: skip
def test_bad_bodies_get_a_clear_4xx(client: TestClient, raw: bytes, status: int, word: str):
    body = assert_clear_4xx(post_raw(client, raw), status)
    assert word.lower() in body["error"].lower(), body["error"]


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "text/html",
        "application/xml",
        "application/x-www-form-urlencoded",
        "application/jsonx",
        "json",
        "",
    ],
)
def test_wrong_content_types_are_415(client: TestClient, content_type: str):
    body = assert_clear_4xx(post_raw(client, b'{"question": "How?"}', content_type or None), 415)
    assert "Content-Type: application/json" in body["error"]


def test_a_100_kb_body_of_any_kind_is_413_on_every_json_route(client: TestClient):
    big = b"x" * (100 * 1024)
    assert len(big) > MAX_BODY_BYTES
    for path in ("/api/ask", "/api/feedback"):
        for content_type in ("application/json", "text/plain"):
            response = client.post(path, content=big, headers={"content-type": content_type})
            assert_clear_4xx(response, 413)
