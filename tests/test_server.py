"""The HTTP API, the pages and the security headers, through FastAPI's TestClient (fake embedder)."""

from __future__ import annotations

import json
import os
import threading
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from faqbot.answer.pipeline import FAQBot
from faqbot.core.config import Settings
from faqbot.doors.http import app as server_module
from faqbot.doors.http.app import MAX_BODY_BYTES, app_from_env, create_app, settings_environment
from faqbot.store import Store

from .fakes import HashingEmbedder

REPO = Path(__file__).resolve().parent.parent
SHIPPED_CORPUS = REPO / "corpus"
KNOWN_QUESTION = "How do customers purchase more capacity?"
KNOWN_ANCHOR = "how-do-customers-purchase-more-capacity"
OFF_TOPIC = "What is the weather like on Mars tonight?"


@pytest.fixture(scope="module")
def faq_bot(tmp_path_factory) -> FAQBot:
    """One fake-embedder bot over the shipped corpus for the whole module (it is read-only)."""
    folder = tmp_path_factory.mktemp("server-index")
    settings = Settings(corpus_dir=SHIPPED_CORPUS, index_dir=folder / "index", model="fake-hashing-embedder")
    return FAQBot.load(settings=settings, embedder=HashingEmbedder())


@pytest.fixture
def app_settings(tmp_path: Path) -> Settings:
    return Settings(
        corpus_dir=SHIPPED_CORPUS,
        index_dir=tmp_path / "index",
        model="fake-hashing-embedder",
        db_path=tmp_path / "faqbot.sqlite3",
        cors_origins=["https://shop.example.com"],
    )


@pytest.fixture
def client(app_settings: Settings, faq_bot: FAQBot):
    with TestClient(create_app(app_settings, bot=faq_bot)) as client:
        yield client


def ask(client: TestClient, body, *, headers: dict[str, str] | None = None):
    """POST `body` as JSON (`None` is sent as the JSON `null`, not as an empty body)."""
    return client.post(
        "/api/ask", content=json.dumps(body).encode(), headers={"content-type": "application/json", **(headers or {})}
    )


def assert_error(response, status: int, *words: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error", "detail"}
    assert isinstance(body["error"], str) and body["error"].strip()
    for word in words:
        assert word.lower() in body["error"].lower(), body["error"]
    return body


# --------------------------------------------------------------------------- /api/ask


def test_ask_returns_the_answer_with_citations_and_logs_it(client: TestClient, app_settings: Settings):
    response = ask(client, {"question": KNOWN_QUESTION})
    assert response.status_code == 200
    body = response.json()
    assert body["kind"] == "retrieval"
    assert body["question"] == KNOWN_QUESTION
    assert KNOWN_ANCHOR in {citation["anchor"] for citation in body["citations"]}
    assert {"answer", "confidence", "related", "timings_ms", "rule"} <= set(body)
    assert len(body["citations"]) <= 3
    with Store(app_settings.db_path) as store:
        (logged,) = store.conversations()
    assert logged.id == body["answer_id"]
    assert (logged.question, logged.kind, logged.confidence) == (KNOWN_QUESTION, "retrieval", body["confidence"])
    assert logged.top_passage_id == body["citations"][0]["passage_id"]
    assert logged.latency_ms is not None and logged.latency_ms >= 0


def test_top_k_caps_the_citations(client: TestClient):
    body = ask(client, {"question": KNOWN_QUESTION, "top_k": 1}).json()
    assert len(body["citations"]) == 1


def test_off_topic_question_gets_a_no_answer_with_suggestions(client: TestClient, app_settings: Settings):
    body = ask(client, {"question": OFF_TOPIC}).json()
    assert body["kind"] == "no_answer"
    assert body["citations"] == []
    assert body["related"] and all(item["question"] for item in body["related"])
    with Store(app_settings.db_path) as store:
        assert [row.kind for row in store.conversations()] == ["no_answer"]


def test_a_question_of_exactly_the_limit_after_trimming_is_accepted(client: TestClient):
    response = ask(client, {"question": "  " + "a" * 1000 + "\n "})
    assert response.status_code == 200


BAD_BODIES = [
    ({"question": ""}, "empty"),
    ({"question": "   \n\t  "}, "empty"),
    ({"question": "x" * 1001}, "1001"),
    ({"question": 42}, "question"),
    ({"question": ["What is it?"]}, "question"),
    ({"question": None}, "question"),
    ({"question": True}, "question"),
    ({"question": {"text": "hi"}}, "question"),
    ({}, "question"),
    ({"question": KNOWN_QUESTION, "top_k": 0}, "top_k"),
    ({"question": KNOWN_QUESTION, "top_k": 11}, "top_k"),
    ({"question": KNOWN_QUESTION, "top_k": "3"}, "top_k"),
    ({"question": KNOWN_QUESTION, "top_k": True}, "top_k"),
    ({"question": KNOWN_QUESTION, "top_k": 2.5}, "top_k"),
    ({"question": KNOWN_QUESTION, "top_k": None}, "top_k"),
    ([KNOWN_QUESTION], "JSON object"),
    (KNOWN_QUESTION, "JSON object"),
    (None, "JSON object"),
]


@pytest.mark.parametrize(("body", "word"), BAD_BODIES, ids=[f"{i}-{w}" for i, (_, w) in enumerate(BAD_BODIES)])
def test_invalid_input_is_a_422_with_a_clear_message(client: TestClient, body, word: str):
    error = assert_error(ask(client, body), 422, word)
    assert error["detail"], "the detail says which field is wrong"


def test_empty_body_is_a_422_that_shows_an_example(client: TestClient):
    response = client.post("/api/ask", content=b"", headers={"content-type": "application/json"})
    assert_error(response, 422, "empty", '{"question":')


def test_control_characters_only_are_refused_by_the_bot(client: TestClient):
    assert_error(ask(client, {"question": "\x00\x01\x02"}), 422, "empty")


@pytest.mark.parametrize(
    "headers",
    [
        {"content-type": "text/plain"},
        {"content-type": "application/x-www-form-urlencoded"},
        {"content-type": "multipart/form-data; boundary=x"},
        {},
    ],
    ids=["text", "form", "multipart", "none"],
)
def test_non_json_content_type_is_415(client: TestClient, headers):
    body = json.dumps({"question": KNOWN_QUESTION}).encode()
    response = client.post("/api/ask", content=body, headers=headers)
    assert_error(response, 415, "Content-Type: application/json")


def test_json_content_type_with_charset_is_accepted(client: TestClient):
    body = json.dumps({"question": KNOWN_QUESTION}).encode()
    response = client.post("/api/ask", content=body, headers={"content-type": "application/json; charset=utf-8"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "raw",
    [b'{"question": "unterminated', b"{'question': 'single quotes'}", b"\xff\xfe\x00garbage", b"[" * 30_000],
    ids=["unterminated", "single-quotes", "not-utf8", "deeply-nested"],
)
def test_broken_json_is_a_4xx(client: TestClient, raw: bytes):
    response = client.post("/api/ask", content=raw, headers={"content-type": "application/json"})
    assert 400 <= response.status_code < 500
    assert_error(response, response.status_code)


def test_unterminated_json_says_so(client: TestClient):
    response = client.post("/api/ask", content=b'{"question": "x', headers={"content-type": "application/json"})
    assert_error(response, 400, "not valid JSON")


def test_body_over_the_cap_is_413(client: TestClient):
    assert_error(ask(client, {"question": "x" * (MAX_BODY_BYTES + 10)}), 413, "too large")


def test_streamed_body_over_the_cap_is_413_without_content_length(client: TestClient):
    def chunks():
        yield b'{"question": "'
        for _ in range(20):
            yield b"x" * 4096
        yield b'"}'

    response = client.post("/api/ask", content=chunks(), headers={"content-type": "application/json"})
    assert_error(response, 413, "too large")


@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
        lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
        max_leaves=8,
    )
    | st.fixed_dictionaries(
        {"question": st.text(max_size=40) | st.integers() | st.none()},
        optional={"top_k": st.integers(-5, 15) | st.text(max_size=3) | st.booleans() | st.floats()},
    )
)
def test_no_input_produces_a_5xx(client: TestClient, body):
    response = client.post("/api/ask", content=json.dumps(body).encode(), headers={"content-type": "application/json"})
    assert response.status_code < 500, response.text
    if response.status_code != 200:
        assert_error(response, response.status_code)


# --------------------------------------------------------------------------- /api/feedback


def test_feedback_is_stored_and_read_back(client: TestClient, app_settings: Settings):
    answer = ask(client, {"question": KNOWN_QUESTION}).json()
    response = client.post(
        "/api/feedback", json={"answer_id": answer["answer_id"], "rating": "up", "comment": "  Clear, thanks! "}
    )
    assert response.status_code == 201
    stored = response.json()
    assert stored["answer_id"] == answer["answer_id"] and stored["rating"] == "up"
    with Store(app_settings.db_path) as store:
        (entry,) = store.feedback()
    assert entry.id == stored["id"]
    assert (entry.answer_id, entry.rating, entry.comment) == (answer["answer_id"], "up", "Clear, thanks!")
    assert (entry.question, entry.kind, entry.passage_id) == (
        KNOWN_QUESTION,
        "retrieval",
        answer["citations"][0]["passage_id"],
    )


def test_feedback_for_an_unknown_answer_is_404(client: TestClient):
    assert_error(client.post("/api/feedback", json={"answer_id": "nope", "rating": "down"}), 404, "answer_id")


@pytest.mark.parametrize(
    "body",
    [
        {"rating": "up"},
        {"answer_id": "x", "rating": "meh"},
        {"answer_id": "x", "rating": 1},
        {"answer_id": 5, "rating": "up"},
        {"answer_id": "x", "rating": "up", "comment": "c" * 2001},
        {"answer_id": "x", "rating": "up", "comment": 3},
    ],
)
def test_invalid_feedback_is_422(client: TestClient, body):
    assert_error(client.post("/api/feedback", json=body), 422)


def test_feedback_needs_json_too(client: TestClient):
    assert_error(client.post("/api/feedback", content=b"rating=up", headers={"content-type": "text/plain"}), 415)


# --------------------------------------------------------------------------- health, readiness, loading


def test_health_and_ready(client: TestClient, faq_bot: FAQBot):
    assert client.get("/api/health").json() == {"status": "ok"}
    ready = client.get("/api/ready")
    assert ready.status_code == 200
    assert ready.json()["passages"] == len(faq_bot.index.passages)


def test_ready_turns_200_once_the_bot_has_loaded(app_settings: Settings, faq_bot: FAQBot, monkeypatch):
    release = threading.Event()
    calls: list[Settings] = []

    def slow_load(*, settings: Settings):
        calls.append(settings)
        assert release.wait(10)
        return faq_bot

    monkeypatch.setattr(FAQBot, "load", staticmethod(slow_load))
    with TestClient(create_app(app_settings)) as client:
        assert client.get("/api/health").status_code == 200
        assert_error(client.get("/api/ready"), 503, "starting up")
        assert_error(ask(client, {"question": KNOWN_QUESTION}), 503, "starting up")
        release.set()
        deadline = time.monotonic() + 10
        while client.get("/api/ready").status_code != 200:
            assert time.monotonic() < deadline, "the bot never became ready"
            time.sleep(0.01)
        assert ask(client, {"question": KNOWN_QUESTION}).status_code == 200
    assert calls == [app_settings]


def test_a_failed_load_is_reported_by_ready(app_settings: Settings, monkeypatch, caplog):
    def broken_load(*, settings: Settings):
        raise RuntimeError("corpus folder 'nowhere' does not exist")

    monkeypatch.setattr(FAQBot, "load", staticmethod(broken_load))
    with TestClient(create_app(app_settings)) as client:
        deadline = time.monotonic() + 10
        while (body := client.get("/api/ready").json())["detail"]["status"] == "loading":
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert body["detail"]["status"] == "failed"
        assert body["detail"]["reason"] == "RuntimeError"
        assert "nowhere" not in json.dumps(body)  # the details stay in the log
        assert client.get("/api/health").status_code == 200
    assert "failed to load" in caplog.text and "nowhere" in caplog.text


# --------------------------------------------------------------------------- other API errors and docs


def test_unknown_api_path_and_wrong_method_are_json(client: TestClient):
    assert_error(client.get("/api/nothing-here"), 404, "nothing")
    body = assert_error(client.get("/api/ask"), 405, "POST")
    assert body["detail"]


def test_openapi_documents_the_api(client: TestClient):
    schema = client.get("/openapi.json").json()
    assert {"/api/ask", "/api/feedback", "/api/health", "/api/ready"} <= set(schema["paths"])
    ask_body = schema["paths"]["/api/ask"]["post"]["requestBody"]
    assert ask_body["required"] is True
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    assert "content-security-policy" in docs.headers


# --------------------------------------------------------------------------- pages


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if attributes.get("id"):
            self.ids.append(attributes["id"])


def parse(html: str) -> _Ids:
    parser = _Ids()
    parser.feed(html)
    return parser


@pytest.mark.parametrize("path", ["/", "/faq/ci-faq", "/faq/", "/faq/no-such-document"])
def test_html_pages_carry_the_security_headers(client: TestClient, path: str):
    response = client.get(path)
    assert response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors" in csp
    assert response.headers["x-content-type-options"] == "nosniff"


def test_demo_page_embeds_the_widget_like_a_customer(client: TestClient):
    html = client.get("/").text
    scripts = [attrs for tag, attrs in parse(html).tags if tag == "script" and attrs.get("src") == "/widget.js"]
    assert len(scripts) == 1
    (script,) = scripts
    assert "defer" in script
    assert any(name.startswith("data-") for name in script)
    assert "Help Center" in html and "Contoso" in html
    assert 'href="/faq/ci-faq#' in html  # topic cards link to the questions


def test_faq_page_has_an_anchor_for_every_passage(client: TestClient, faq_bot: FAQBot):
    response = client.get("/faq/ci-faq")
    assert response.status_code == 200
    ids = parse(response.text).ids
    assert len(ids) == len(set(ids)), "ids are unique"
    passages = [p for p in faq_bot.index.passages if p.passage_id.startswith("ci-faq#")]
    assert passages
    for passage in passages:
        assert passage.anchor in ids
        if passage.question:
            assert passage.question in response.text
    assert 'href="https://learn.microsoft.com/' in response.text


def test_faq_aliases_redirect_to_the_document(client: TestClient):
    response = client.get("/faq/ci-faq.md", follow_redirects=False)
    assert response.status_code == 308 and response.headers["location"] == "/faq/ci-faq"
    assert client.get("/faq", follow_redirects=False).headers["location"] == "/faq/"


@pytest.mark.parametrize("path", ["/faq/no-such-document", "/faq/../../etc/passwd", "/faq/ci-faq/extra", "/nope"])
def test_unknown_pages_get_a_friendly_404(client: TestClient, path: str):
    response = client.get(path)
    assert response.status_code == 404
    assert "couldn't find" in response.text
    assert 'href="/faq/ci-faq"' in response.text


def test_faq_pages_never_render_html_from_the_corpus(tmp_path: Path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "evil.md").write_text(
        "# Evil FAQ\n\n## Is this safe?\n\n<script>alert(1)</script> <img src=x onerror=alert(2)>\n\n"
        "[click](javascript:alert(3)) and [docs](https://example.com/docs).\n",
        encoding="utf-8",
    )
    settings = Settings(
        corpus_dir=corpus, index_dir=tmp_path / "index", model="fake-hashing-embedder", db_path=tmp_path / "db"
    )
    bot = FAQBot.load(settings=settings, embedder=HashingEmbedder())
    with TestClient(create_app(settings, bot=bot)) as client:
        html = client.get("/faq/evil").text
    tags = parse(html).tags
    assert not [attrs for tag, attrs in tags if tag == "img" and attrs.get("src") == "x"]
    assert not [attrs for tag, attrs in tags if tag == "script" and not attrs.get("src")]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert all(not (attrs.get("href") or "").startswith("javascript:") for _, attrs in tags)
    assert 'href="https://example.com/docs"' in html
    assert 'id="is-this-safe"' in html


def test_widget_assets(client: TestClient):
    js = client.get("/widget.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    assert js.headers["x-content-type-options"] == "nosniff"
    assert "data-faqbot-launcher" in js.text and "attachShadow" in js.text
    assert "innerHTML" not in js.text
    css = client.get("/widget.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert client.get("/static/site.css").status_code == 200


# --------------------------------------------------------------------------- CORS


def cors_preflight(client: TestClient, origin: str):
    """What a browser sends before a cross-origin JSON POST."""
    return client.options(
        "/api/ask",
        headers={
            "origin": origin,
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type",
        },
    )


def test_cors_allows_the_listed_origin(client: TestClient):
    origin = "https://shop.example.com"
    preflight = cors_preflight(client, origin)
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == origin
    response = ask(client, {"question": KNOWN_QUESTION}, headers={"origin": origin})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == origin
    error = ask(client, {"question": ""}, headers={"origin": origin})
    assert error.headers["access-control-allow-origin"] == origin, "the widget can read error messages"


def test_cors_refuses_other_origins(client: TestClient):
    origin = "https://evil.example.net"
    preflight = cors_preflight(client, origin)
    assert_error(preflight, 400, "not allowed")
    assert "access-control-allow-origin" not in preflight.headers
    response = ask(client, {"question": KNOWN_QUESTION}, headers={"origin": origin})
    assert "access-control-allow-origin" not in response.headers


def test_a_refused_origin_is_logged_once(client: TestClient, caplog):
    with caplog.at_level("WARNING", logger="faqbot.doors.http.middleware"):
        for origin in ("https://other.example", "https://other.example", "https://third.example"):
            cors_preflight(client, origin)
    logged = [r.getMessage() for r in caplog.records if "refused a cross-origin request" in r.getMessage()]
    assert len(logged) == 2
    assert "'https://other.example'" in logged[0] and "FAQBOT_CORS_ORIGINS" in logged[0]
    assert "'https://third.example'" in logged[1]


@pytest.mark.parametrize(
    "value, origins",
    [
        ('["https://a.example", "https://b.example"]', ["https://a.example", "https://b.example"]),
        ("https://a.example, https://b.example", ["https://a.example", "https://b.example"]),
        ("https://a.example", ["https://a.example"]),
        ("", []),
    ],
)
def test_cors_origins_are_read_as_json_or_a_comma_separated_list(monkeypatch, value, origins):
    monkeypatch.setenv("FAQBOT_CORS_ORIGINS", value)
    assert Settings().cors_origins == origins


def test_a_trailing_slash_on_an_origin_is_dropped_with_a_warning(monkeypatch, caplog):
    monkeypatch.setenv("FAQBOT_CORS_ORIGINS", "https://a.example/")
    with caplog.at_level("WARNING", logger="faqbot.core.config"):
        assert Settings().cors_origins == ["https://a.example"]
    assert "ends with a slash" in caplog.text


# --------------------------------------------------------------------------- running


def test_app_from_env_reads_the_environment(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("FAQBOT_DB_PATH", str(tmp_path / "env.sqlite3"))
    monkeypatch.setenv("FAQBOT_CORS_ORIGINS", '["https://a.example"]')
    app = app_from_env()
    assert app.state.settings.db_path == tmp_path / "env.sqlite3"
    assert app.state.settings.cors_origins == ["https://a.example"]
    assert app.state.bot is None


def test_settings_survive_the_trip_through_the_environment(monkeypatch, tmp_path: Path):
    original = Settings(
        corpus_dir=tmp_path / "c",
        index_dir=tmp_path / "i",
        db_path=tmp_path / "d.sqlite3",
        cors_origins=["https://a.example", "https://b.example"],
        today="2024-05-01",
        auto_rebuild=False,
        webhook_token="s3cret",
    )
    for name, value in settings_environment(original).items():
        monkeypatch.setenv(name, value)
    assert Settings() == original


def test_run_uses_an_import_string_for_several_workers(monkeypatch, tmp_path: Path):
    import uvicorn

    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: calls.append((app, kwargs)))
    # run() writes the settings to the environment for the workers: give it a copy to write to.
    environment = dict(os.environ, FAQBOT_TODAY="2020-01-01")
    monkeypatch.setattr(os, "environ", environment)
    settings = Settings(db_path=tmp_path / "w.sqlite3", today=None)
    server_module.run(settings, "127.0.0.1", 8123, workers=3)
    ((target, kwargs),) = calls
    assert target == "faqbot.doors.http.app:app_from_env"
    assert kwargs["factory"] is True and kwargs["workers"] == 3 and kwargs["port"] == 8123
    assert environment["FAQBOT_DB_PATH"] == str(tmp_path / "w.sqlite3")
    assert "FAQBOT_TODAY" not in environment, "a setting that is None is not inherited from the environment"
    assert environment["FAQBOT_WORKERS"] == "3", "each worker takes its share of the cores"
    server_module.run(settings, "127.0.0.1", 8124)
    assert calls[-1][0].__class__.__name__ == "FastAPI"
    with pytest.raises(ValueError, match="workers"):
        server_module.run(settings, "127.0.0.1", 8125, workers=0)


def test_the_admin_page_is_mounted_and_closed_without_a_token(client: TestClient, app_settings, faq_bot):
    assert client.get("/admin").status_code == 404
    opened = app_settings.model_copy(update={"admin_token": "s3cret-admin"})
    with TestClient(create_app(opened, bot=faq_bot)) as admin_client:
        ask(admin_client, {"question": "lorem ipsum dolor sit amet"})
        assert admin_client.get("/admin", headers={"Authorization": "Bearer wrong"}).status_code == 401
        page = admin_client.get("/admin", headers={"Authorization": "Bearer s3cret-admin"})
        assert page.status_code == 200
        assert "lorem ipsum dolor sit amet" in page.text
        assert "s3cret-admin" not in page.text


# --------------------------------------------------------------------------- conversations and handoff (issue 17)

HANDOFF_URL = "https://support.example.com/contact"
NEW_PRICE_QUESTION = "What is the base SKU price for new customers?"


@pytest.fixture
def handoff_client(app_settings: Settings, faq_bot: FAQBot):
    settings = app_settings.model_copy(update={"handoff_url": HANDOFF_URL, "handoff_label": "Talk to us"})
    with TestClient(create_app(settings, bot=faq_bot)) as client:
        yield client


def test_every_answer_belongs_to_a_conversation(client: TestClient, app_settings: Settings):
    first = ask(client, {"question": KNOWN_QUESTION}).json()
    other = ask(client, {"question": KNOWN_QUESTION}).json()
    assert first["conversation_id"] and other["conversation_id"] != first["conversation_id"]
    same = ask(client, {"question": OFF_TOPIC, "conversation_id": first["conversation_id"]}).json()
    assert same["conversation_id"] == first["conversation_id"]
    assert first["understood"] is None and first["handoff"] is None
    with Store(app_settings.db_path) as store:
        assert store.last_turn(first["conversation_id"]).id == same["answer_id"]


def test_a_follow_up_is_answered_for_its_own_qualifier(client: TestClient, app_settings: Settings):
    first = ask(client, {"question": NEW_PRICE_QUESTION}).json()
    assert "$1,700" in first["answer"]
    follow_up = {"question": "and for existing ones?", "conversation_id": first["conversation_id"]}
    body = ask(client, follow_up).json()
    assert body["understood"] == "What is the base SKU price for existing customers?"
    assert body["answer"].startswith("Understood as: What is the base SKU price for existing customers?")
    assert "$1,000" in body["answer"] and body["question"] == "and for existing ones?"
    with Store(app_settings.db_path) as store:
        logged = store.last_turn(first["conversation_id"])
    assert (logged.question, logged.understood) == ("and for existing ones?", body["understood"])
    # The same words in a new conversation have nothing to lean on: asked as typed.
    alone = ask(client, {"question": "and for existing ones?"}).json()
    assert alone["understood"] is None and not alone["answer"].startswith("Understood as")


def test_a_question_that_stands_on_its_own_is_never_rewritten(client: TestClient):
    first = ask(client, {"question": NEW_PRICE_QUESTION}).json()
    alone = ask(client, {"question": KNOWN_QUESTION}).json()
    in_conversation = ask(client, {"question": KNOWN_QUESTION, "conversation_id": first["conversation_id"]}).json()
    assert in_conversation["understood"] is None
    assert in_conversation["answer"] == alone["answer"]
    assert in_conversation["citations"] == alone["citations"]


def test_the_conversation_survives_a_store_outage(client: TestClient, monkeypatch):
    from faqbot.store import StoreError

    first = ask(client, {"question": NEW_PRICE_QUESTION}).json()
    store = client.app.state.store

    def down(*args, **kwargs):
        raise StoreError("the database is down")

    monkeypatch.setattr(store, "last_turn", down)
    monkeypatch.setattr(store, "log_answer", down)
    body = ask(client, {"question": "and for existing ones?", "conversation_id": first["conversation_id"]}).json()
    assert body["answer_id"] is None
    assert body["understood"] == "What is the base SKU price for existing customers?"


@pytest.mark.parametrize("conversation_id", [42, "", "x" * 65, "two words", "<script>", ["abc"]], ids=repr)
def test_a_bad_conversation_id_is_a_422(client: TestClient, conversation_id):
    assert_error(ask(client, {"question": KNOWN_QUESTION, "conversation_id": conversation_id}), 422, "conversation_id")


def test_a_no_answer_and_a_request_for_a_person_carry_the_handoff(handoff_client: TestClient, app_settings):
    expected = {"url": HANDOFF_URL, "label": "Talk to us"}
    assert ask(handoff_client, {"question": OFF_TOPIC}).json()["handoff"] == expected
    person = ask(handoff_client, {"question": "Can I talk to a person?"}).json()
    assert person["handoff"] == expected
    # The way to a person is the answer; passages sharing words with the request are only suggestions.
    assert (person["kind"], person["citations"]) == ("no_answer", [])
    assert person["answer"] == "You can reach a person here: Talk to us."
    answered = ask(handoff_client, {"question": KNOWN_QUESTION}).json()
    assert answered["kind"] == "retrieval" and answered["handoff"] is None
    topic = ask(handoff_client, {"question": "How does the support agent connect to Dataverse?"}).json()
    assert topic["kind"] == "no_answer" or topic["handoff"] is None
    with Store(app_settings.db_path) as store:
        logged = {row.question: row.handoff for row in store.conversations()}
        assert logged[OFF_TOPIC] and logged["Can I talk to a person?"] and not logged[KNOWN_QUESTION]
        assert store.stats(days=1).handoffs == sum(logged.values())


def test_a_thumbs_down_carries_the_handoff_and_is_counted(handoff_client: TestClient, app_settings):
    answer_id = ask(handoff_client, {"question": KNOWN_QUESTION}).json()["answer_id"]
    up = handoff_client.post("/api/feedback", json={"answer_id": answer_id, "rating": "up"})
    assert up.status_code == 201 and up.json()["handoff"] is None
    down = handoff_client.post("/api/feedback", json={"answer_id": answer_id, "rating": "down"})
    assert down.json()["handoff"] == {"url": HANDOFF_URL, "label": "Talk to us"}
    with Store(app_settings.db_path) as store:
        assert store.stats(days=1).handoffs == 1


def test_without_a_handoff_setting_nothing_is_offered(client: TestClient):
    assert ask(client, {"question": OFF_TOPIC}).json()["handoff"] is None
    person = ask(client, {"question": "Can I talk to a person?"}).json()
    assert person["handoff"] is None
    down = client.post("/api/feedback", json={"answer_id": person["answer_id"], "rating": "down"})
    assert down.status_code == 201 and down.json()["handoff"] is None


def test_one_vote_per_answer_through_the_api_the_last_counts(client: TestClient, app_settings: Settings):
    answer_id = ask(client, {"question": KNOWN_QUESTION}).json()["answer_id"]
    other_id = ask(client, {"question": OFF_TOPIC}).json()["answer_id"]
    ids = set()
    for rating in ("up", "up", "down", "down"):
        response = client.post("/api/feedback", json={"answer_id": answer_id, "rating": rating, "comment": rating})
        assert response.status_code == 201
        ids.add(response.json()["id"])
    client.post("/api/feedback", json={"answer_id": other_id, "rating": "up"})
    assert len(ids) == 1  # the same vote, replaced
    with Store(app_settings.db_path) as store:
        (vote,) = store.feedback(answer_id=answer_id)
        stats = store.stats(days=1)
    assert (vote.rating, vote.comment) == ("down", "down")
    assert (stats.thumbs_up, stats.thumbs_down) == (1, 1)


def test_a_route_module_or_a_door_is_registered_in_one_line(monkeypatch, app_settings: Settings, faq_bot: FAQBot):
    """The extension points of the app factory: a router in `ROUTERS`, a door in `DOORS`."""
    from fastapi import APIRouter, FastAPI

    echo = APIRouter()

    @echo.get("/api/echo")
    def echo_route() -> dict[str, str]:
        return {"echo": "ok"}

    def mount_teams(app: FastAPI, settings: Settings) -> None:
        door = APIRouter()
        door.add_api_route("/teams/messages", lambda: {"door": "teams"}, methods=["POST"])
        app.include_router(door)

    monkeypatch.setattr(server_module, "ROUTERS", (*server_module.ROUTERS, echo))
    monkeypatch.setattr(server_module, "DOORS", (*server_module.DOORS, mount_teams))
    with TestClient(create_app(app_settings, bot=faq_bot)) as client:
        assert client.get("/api/echo").json() == {"echo": "ok"}
        assert client.post("/teams/messages").json() == {"door": "teams"}
        assert client.get("/api/health").json() == {"status": "ok"}
