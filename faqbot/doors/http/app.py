"""The HTTP door: a FastAPI app with the JSON API, the embeddable widget and the FAQ pages.

    >>> from faqbot.core.config import Settings
    >>> app = create_app(Settings())          # the bot loads in the background at start-up
    >>> run(Settings(), "127.0.0.1", 8000)    # doctest: +SKIP

Routes:

    POST /api/ask        {"question": str, "top_k": int = 3, "conversation_id"?: str | null}
                         -> the Answer as JSON, plus "answer_id" (the id of the logged answer,
                         for feedback), "conversation_id" (a new one when none was sent),
                         "understood" (the question as answered when a follow-up was resolved
                         against the conversation's previous turn, else null) and "handoff"
                         ({"url", "label"} on a no-answer or a request for a person when
                         FAQBOT_HANDOFF_URL is set, else null)
    POST /api/feedback   {"answer_id": str, "rating": "up" | "down", "comment"?: str}
                         -> 201 {"id": int, "answer_id": str, "rating": str, "handoff": ...}
                         (one vote per answer, the last counts; a thumbs-down carries the handoff)
    GET  /api/health     liveness: 200 while the process runs
    GET  /api/ready      readiness: 200 once the bot is loaded, 503 before (or if loading failed)
    GET  /               a demo help-center page with the widget embedded
    GET  /faq/{doc}      a corpus document as HTML, an element with id=<anchor> per passage
    GET  /widget.js      the embeddable widget (and /widget.css, its styles)
    GET  /docs           OpenAPI (Swagger UI); the schema is at /openapi.json

Errors: every 4xx and 503 from the API is JSON `{"error": "<a sentence for a
person>", "detail": ...}`; bad input never causes a 5xx. Domain errors are
translated here: `InvalidQuestion` -> 422, `UnknownAnswer` -> 404. A bug
(any other exception) is logged with its traceback and answered with a generic
500 that carries an error id to quote, never the traceback or the message.

Hardening, outermost first: CORS (`settings.cors_origins`), security headers
(`nosniff` and `Referrer-Policy` everywhere; a CSP on every HTML page, whose
`frame-ancestors` is `settings.frame_ancestors`, default `'self'`), per-client
rate limiting of the JSON API (`settings.rate_limit`, e.g. "30/minute"; 429 with
`Retry-After`; off when unset; clients are keyed by address, see faqbot/doors/ratelimit.py
and `settings.trusted_proxies`), the body cap, and the catch-all for bugs.

Loading: when no bot is given, `FAQBot.load(settings=settings)` runs in a
background thread started by the lifespan (it may build the index), so
`/api/health` answers at once and `/api/ready` turns 200 when the bot is in
`app.state.bot`. A failed load is logged and reported by `/api/ready`.

Several processes: the store (`settings.db_url`, else the SQLite file `db_path`)
holds the log, feedback, Slack delivery ids and the rate budgets, so workers and
replicas share them; a store that fails never fails `/api/ask` (the answer is
given unlogged, warned about and counted in `/api/ready`), feedback then gets 503.
Live updates: a `BuildWatcher` (faqbot/answer/reload.py) polls the index folder's `CURRENT`
every `settings.reload_interval_s` and swaps a newly published build in;
`/api/ready` names the build in use.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import threading
import time
import uuid
from collections.abc import Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, urljoin, urlsplit

from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markdown_it import MarkdownIt
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, field_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from faqbot.answer.pipeline import FAQBot
from faqbot.answer.reload import BuildWatcher
from faqbot.answer.turns import ConversationDesk
from faqbot.core.config import MAX_QUESTION_CHARS, Settings
from faqbot.core.errors import InvalidQuestion
from faqbot.core.records import Answer, Passage
from faqbot.doors.admin import create_admin_router
from faqbot.doors.assets import static_dir, swagger_ui_assets, templates_dir
from faqbot.doors.ratelimit import RateLimiter, SharedRateLimiter, TrustedProxies, client_address, parse_rate
from faqbot.doors.slack import create_slack_router
from faqbot.store import MAX_COMMENT_CHARS, StoreError, UnknownAnswer, open_store, warn_store_failure

__all__ = ["MAX_BODY_BYTES", "app_from_env", "create_app", "run"]

log = logging.getLogger(__name__)

TEMPLATES_DIR = templates_dir()
STATIC_DIR = static_dir()

MAX_BODY_BYTES = 64 * 1024
"""Request bodies of the JSON API above this size get 413 before they are read."""

PRODUCT_NAME = "Contoso Insights"

# Pages load scripts, styles and data from this origin only, and run no inline code.
# {frame_ancestors}: the sites allowed to show the pages in a frame (settings.frame_ancestors).
PAGE_CSP_TEMPLATE = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors {frame_ancestors}; object-src 'none'"
)
DEFAULT_FRAME_ANCESTORS = ("'self'",)
REFERRER_POLICY = "strict-origin-when-cross-origin"
# The OpenAPI page is Swagger UI served from this server (the swagger-ui-py package) and
# started by a script of ours: it works offline. Swagger UI sets inline styles on its elements.
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'; object-src 'none'"
)
DOCS_PATHS = ("/docs",)
API_PREFIX = "/api/"
JSON_BODY_PATHS = ("/api/ask", "/api/feedback")
MAX_LOGGED_ORIGINS = 100
"""Refused CORS origins are logged once each, up to this many per process."""

EXAMPLE_BODY = '{"question": "How is the new Customer Insights licensed?"}'


# --------------------------------------------------------------------------- request / response models


QUESTION_PATTERN = "[^\\u0000-\\u0020\\u007f\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"


CONVERSATION_ID_PATTERN = r"^[A-Za-z0-9_.:-]+$"


class HandoffLink(BaseModel):
    """Where a visitor reaches a person (FAQBOT_HANDOFF_URL, FAQBOT_HANDOFF_LABEL)."""

    url: str
    label: str


class AskRequest(BaseModel):
    """A question for the bot. Types are strict: `"3"` is not a `top_k`, `42` is not a question."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"question": "How is the new Customer Insights licensed?", "top_k": 3}]}
    )

    question: StrictStr = Field(
        description=f"The question, 1 to {MAX_QUESTION_CHARS} characters once control characters "
        "and leading and trailing white space are trimmed.",
        # For the schema only (the validator below decides): at least one character that is
        # neither white space (Python's str.isspace) nor a control character.
        json_schema_extra={"minLength": 1, "pattern": QUESTION_PATTERN},
    )
    top_k: StrictInt = Field(3, ge=1, le=10, description="The most citations to return (1 to 10).")
    conversation_id: StrictStr | None = Field(
        None,
        min_length=1,
        max_length=64,
        pattern=CONVERSATION_ID_PATTERN,
        description="The `conversation_id` of the previous answer, so that a follow-up ('and for existing "
        "ones?') is read against it; none starts a new conversation.",
    )

    @field_validator("top_k", mode="before")
    @classmethod
    def _integral_number(cls, value: object) -> object:
        # JSON Schema counts 2.0 as an integer, and so do JavaScript clients; 2.5 and "2" stay errors.
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value

    @field_validator("question")
    @classmethod
    def _question_length(cls, value: str) -> str:
        _require_unicode(value)
        length = len(value.strip())
        if length == 0:
            raise PydanticCustomError("question_empty", "the question is empty: type a question about the FAQ")
        if length > MAX_QUESTION_CHARS:
            raise PydanticCustomError(
                "question_too_long",
                "the question is {length} characters long; the limit is {limit}: please shorten it",
                {"length": length, "limit": MAX_QUESTION_CHARS},
            )
        return value


def _require_unicode(value: str) -> None:
    """Refuse text that JSON can carry but UTF-8 cannot: an unpaired surrogate such as "\\ud800".
    (It would fail later, when the log or the response is written.)"""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise PydanticCustomError(
            "text_not_unicode",
            "the text holds an unpaired UTF-16 surrogate at character {position}: send valid Unicode text",
            {"position": error.start},
        ) from None


class AskResponse(Answer):
    """The `Answer` record, plus the id under which it was logged (null if logging failed)."""

    answer_id: str | None = Field(None, description="Send it back with /api/feedback.")
    conversation_id: str = Field(description="Send it with the next question of this conversation.")
    understood: str | None = Field(
        None, description="The question as answered, when the question was resolved as a follow-up."
    )
    handoff: HandoffLink | None = Field(
        None, description="A way to a person, on a no-answer or a request for one (when configured)."
    )


class FeedbackRequest(BaseModel):
    """A thumbs up or down on an answer that /api/ask returned."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"answer_id": "3f2b9c0e8a4d4f7e9b1c2d3e4f5a6b7c", "rating": "up"}]}
    )

    answer_id: StrictStr = Field(min_length=1, max_length=64, description="`answer_id` from /api/ask.")
    rating: Literal["up", "down"]
    comment: StrictStr | None = Field(None, max_length=MAX_COMMENT_CHARS)

    @field_validator("answer_id", "comment")
    @classmethod
    def _unicode(cls, value: str | None) -> str | None:
        if value is not None:
            _require_unicode(value)
        return value


class FeedbackResponse(BaseModel):
    id: int
    answer_id: str
    rating: str
    handoff: HandoffLink | None = Field(None, description="A way to a person, after a thumbs-down (when configured).")


class ErrorBody(BaseModel):
    """Every error of the API: a sentence for a person, and details for a program."""

    error: str
    detail: Any = None


class ApiError(Exception):
    """Raised by route code; rendered as `{"error": message, "detail": detail}`."""

    def __init__(self, status: int, message: str, detail: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.detail = detail


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in {
        400: "The body is not valid JSON",
        413: f"The body is over {MAX_BODY_BYTES // 1024} KiB",
        415: "The body is not JSON (Content-Type must be application/json)",
        422: "The JSON does not have the expected fields and types",
        429: "Too many requests from this client (when FAQBOT_RATE_LIMIT is set); see Retry-After",
        500: "A bug on the server (logged); the body holds an error id, never details",
        503: "The bot is not loaded yet",
    }.items()
}


# What the Slack routes answer besides 200 (documented here so that the schema is complete).
SLACK_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in {
        400: "The body is not UTF-8 form data, or not a JSON event",
        401: "No valid Slack signature, and no valid webhook token",
        413: "The body is too large",
        503: "Slack is not configured on this server (no signing secret, no webhook token)",
    }.items()
}


# --------------------------------------------------------------------------- middleware


class _BodyCap:
    """413 for JSON API bodies over `limit` bytes, judged by Content-Length when sent and by
    counting otherwise, so an oversized body is never read whole into memory."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length")
        if length is not None and length.strip().isdigit() and int(length) > self.limit:
            await self._too_large(scope, receive, send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise _BodyTooLarge(self.limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if started:
                raise
            await self._too_large(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        await _too_large_response(_BodyTooLarge(self.limit))(scope, receive, send)


class _BodyTooLarge(StarletteHTTPException):
    # An HTTPException so that FastAPI, reading the body, passes it on instead of turning it into a 400.
    def __init__(self, limit: int = MAX_BODY_BYTES) -> None:
        super().__init__(413, f"The request body is too large: the limit is {limit // 1024} KiB.")
        self.limit = limit


class _SecurityHeaders:
    """`nosniff` and a Referrer-Policy on every response; a Content-Security-Policy on every
    HTML page (and X-Frame-Options for old browsers, when it can say the same thing)."""

    def __init__(self, app: ASGIApp, frame_ancestors: Sequence[str] = DEFAULT_FRAME_ANCESTORS) -> None:
        self.app = app
        self.page_csp = PAGE_CSP_TEMPLATE.format(frame_ancestors=" ".join(frame_ancestors)).encode()
        # X-Frame-Options can only say "nobody" or "this origin"; CSP-aware browsers ignore it.
        self.frame_options = {("'none'",): b"DENY", ("'self'",): b"SAMEORIGIN"}.get(tuple(frame_ancestors))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                replaced = {b"x-content-type-options", b"referrer-policy"}
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in replaced]
                headers.append((b"x-content-type-options", b"nosniff"))
                headers.append((b"referrer-policy", REFERRER_POLICY.encode()))
                content_type = Headers(raw=headers).get("content-type", "")
                if content_type.startswith("text/html"):
                    docs = path.startswith(DOCS_PATHS)
                    csp = DOCS_CSP.encode() if docs else self.page_csp
                    frame_options = b"DENY" if docs else self.frame_options
                    headers = [
                        (k, v) for k, v in headers if k.lower() not in (b"content-security-policy", b"x-frame-options")
                    ]
                    headers.append((b"content-security-policy", csp))
                    if frame_options:
                        headers.append((b"x-frame-options", frame_options))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _RateLimit:
    """429 with Retry-After for a client (by address) over its rate on the JSON API.

    Liveness and readiness probes are never limited; neither are pages, the widget's
    assets, nor Slack, whose requests all come from a few Slack addresses (they are
    authenticated by signature instead)."""

    EXEMPT = ("/api/health", "/api/ready")

    def __init__(self, app: ASGIApp, limiter: RateLimiter | SharedRateLimiter, trusted_proxies: TrustedProxies) -> None:
        self.app = app
        self.limiter = limiter
        self.trusted_proxies = trusted_proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(API_PREFIX) or path in self.EXEMPT:
            await self.app(scope, receive, send)
            return
        peer = scope.get("client")
        forwarded = Headers(scope=scope).getlist("x-forwarded-for")
        client = client_address(peer[0] if peer else None, forwarded, self.trusted_proxies)
        # The shared limiter asks the database: in a worker thread, not on the event loop.
        wait = await run_in_threadpool(self.limiter.hit, client)
        if not wait:
            await self.app(scope, receive, send)
            return
        retry_after = RateLimiter.retry_after(wait)
        response = _error_response(
            429,
            f"Too many requests: the limit is {self.limiter.rate} per client. "
            f"Please try again in {retry_after} second{'s' if retry_after != 1 else ''}.",
            {"limit": str(self.limiter.rate), "retry_after_s": retry_after},
            headers={"Retry-After": str(retry_after)},
        )
        await response(scope, receive, send)


class _CatchAll:
    """The innermost middleware: an exception that no handler turned into a response is a bug.
    It is logged with its traceback under an error id; the client gets a generic 500 (JSON,
    or the error page for a browser) with that id, and neither the traceback nor the
    exception's message, which may hold paths, settings or data."""

    def __init__(self, app: ASGIApp, templates: Jinja2Templates) -> None:
        self.app = app
        self.templates = templates

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except StarletteHTTPException:
            raise  # answered by the error handlers (or _BodyCap), not a bug
        except Exception:
            error_id = uuid.uuid4().hex[:12]
            log.exception("internal error %s on %s %s", error_id, scope.get("method"), scope.get("path"))
            if started:
                raise  # too late for a clean answer: the server closes the connection
            await self._response(scope, error_id)(scope, receive, send)

    def _response(self, scope: Scope, error_id: str) -> Response:
        message = (
            "Something went wrong on our side and the request could not be completed. Please try "
            f"again; if it keeps happening, report error id {error_id}."
        )
        request = Request(scope)
        if not scope.get("path", "").startswith(API_PREFIX) and _wants_html(request):
            return self.templates.TemplateResponse(
                request,
                "error.html",
                _page_context(request, title="Something went wrong", message=message),
                status_code=500,
            )
        return _error_response(500, message, {"error_id": error_id})


class _JsonCORS(CORSMiddleware):
    """CORSMiddleware whose refused preflights answer in the API's JSON error format."""

    def __init__(self, app: ASGIApp, **options: Any) -> None:
        super().__init__(app, **options)
        self._logged_origins: set[str] = set()
        self._logged_lock = threading.Lock()

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        origin = request_headers.get("origin", "")
        if not self.is_allowed_origin(origin):
            self._log_refused_origin(origin)
        kept = {k: v for k, v in response.headers.items() if k.lower() not in ("content-length", "content-type")}
        failures = response.body.decode().removeprefix("Disallowed CORS ")
        return _error_response(
            400,
            f"This cross-origin request is not allowed (refused: {failures}). The site must be "
            "listed in the server's FAQBOT_CORS_ORIGINS.",
            {"refused": failures.split(", ")},
            headers=kept,
        )

    def _log_refused_origin(self, origin: str) -> None:
        """One log line per refused origin (a bounded number of them): an integrator embedding
        the widget on a new site sees why it cannot reach the API, without a line per request."""
        with self._logged_lock:
            if origin in self._logged_origins or len(self._logged_origins) >= MAX_LOGGED_ORIGINS:
                return
            self._logged_origins.add(origin)
        log.warning(
            "refused a cross-origin request from %r: add it to FAQBOT_CORS_ORIGINS to let a widget there ask",
            origin[:200],
        )


# --------------------------------------------------------------------------- errors


def _error_response(
    status: int, message: str, detail: Any = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"error": message, "detail": jsonable_encoder(detail)}, status_code=status, headers=headers)


def _too_large_response(exc: _BodyTooLarge) -> JSONResponse:
    return _error_response(413, str(exc.detail), {"limit_bytes": exc.limit})


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _shown(value: object) -> str:
    text = json.dumps(value) if isinstance(value, (str, int, float, bool, type(None))) else _json_type(value)
    return text if len(text) <= 40 else text[:37] + "..."


_FIELD_HINTS = {
    "question": "a JSON string (text)",
    "top_k": "a whole number from 1 to 10",
    "answer_id": "the answer_id that /api/ask returned (text)",
    "conversation_id": "the conversation_id that /api/ask returned (letters, digits, '_', '.', ':', '-'; "
    "at most 64), or null",
    "rating": '"up" or "down"',
    "comment": f"text of at most {MAX_COMMENT_CHARS} characters",
}


def _describe(error: dict[str, Any]) -> tuple[str, str | None]:
    """A sentence for one pydantic error, and the field it is about."""
    loc = [part for part in error.get("loc", ()) if part != "body"]
    kind = error.get("type", "")
    given = error.get("input")
    if not loc:
        if kind == "missing":
            return f"The request body is empty: send a JSON object such as {EXAMPLE_BODY}.", None
        return (
            f"The request body must be a JSON object such as {EXAMPLE_BODY}, not {_json_type(given)}.",
            None,
        )
    name = str(loc[0])
    shown = ".".join(str(part) for part in loc)
    if kind == "missing":
        return f"`{shown}` is missing: it is required.", name
    if kind in ("question_empty", "question_too_long", "text_not_unicode"):
        return f"`{shown}`: {error['msg']}.", name
    hint = _FIELD_HINTS.get(name)
    if hint is not None and kind != "string_too_long":
        return f"`{shown}` must be {hint}, not {_shown(given)}.", name
    return f"`{shown}`: {error.get('msg', 'invalid value')}.", name


def _content_type_is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def _not_json(content_type: str | None) -> ApiError:
    return ApiError(
        415,
        "The request body must be JSON, sent with the header Content-Type: application/json"
        + (f" (got {content_type!r})." if content_type else " (no Content-Type was sent)."),
        {"content_type": content_type},
    )


async def _require_json(request: Request) -> None:
    """415 unless the body is declared JSON (a route dependency: runs before the body is validated)."""
    content_type = request.headers.get("content-type")
    if not _content_type_is_json(content_type):
        raise _not_json(content_type)


def _install_error_handlers(app: FastAPI, templates: Jinja2Templates) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> Response:
        return _error_response(exc.status, exc.message, exc.detail)

    @app.exception_handler(StoreError)
    async def store_error(request: Request, exc: StoreError) -> Response:
        # A page that reads the store (/admin) while the database is down: unavailable, not a bug.
        warn_store_failure(f"{request.url.path} unavailable", exc)
        return _error_response(
            503, "The database is unavailable right now. Please try again shortly.", None, headers={"Retry-After": "5"}
        )

    @app.exception_handler(_BodyTooLarge)
    async def body_too_large(request: Request, exc: _BodyTooLarge) -> Response:
        return _too_large_response(exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = list(exc.errors())
        content_type = request.headers.get("content-type")
        if not _content_type_is_json(content_type):
            # A body FastAPI did not parse as JSON: say so, not that fields are missing.
            error = _not_json(content_type)
            return _error_response(error.status, error.message, error.detail)
        broken = [e for e in errors if e.get("type") == "json_invalid"]
        if broken:
            ctx = broken[0].get("ctx") or {}
            position = broken[0].get("loc", ("body", None))[-1]
            reason = ctx.get("error", "JSON decode error")
            where = f" at character {position}" if isinstance(position, int) else ""
            return _error_response(
                400,
                f"The request body is not valid JSON ({reason}{where}). Send a JSON object such as {EXAMPLE_BODY}.",
                {"reason": reason, "position": position},
            )
        described = [_describe(e) for e in errors]
        details = [
            {"field": name, "message": message, "type": e.get("type")}
            for (message, name), e in zip(described, errors, strict=True)
        ]
        messages = list(dict.fromkeys(message for message, _ in described))
        summary = messages[0]
        if len(messages) > 1:
            summary = f"The request has {len(messages)} problems: " + " ".join(messages)
        return _error_response(422, summary, details)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        headers = getattr(exc, "headers", None)
        if not request.url.path.startswith(API_PREFIX) and _wants_html(request):
            if exc.status_code == 404:
                return _not_found_page(request, templates)
            return templates.TemplateResponse(
                request,
                "error.html",
                _page_context(request, title=f"Error {exc.status_code}", message=str(exc.detail)),
                status_code=exc.status_code,
                headers=headers,
            )
        messages = {
            400: "The request could not be read.",
            404: f"There is nothing at {request.url.path}.",
            405: f"{request.method} is not allowed on {request.url.path}.",
        }
        message = messages.get(exc.status_code, str(exc.detail))
        if exc.status_code == 405 and headers and "allow" in {k.lower() for k in headers}:
            allow = next(v for k, v in headers.items() if k.lower() == "allow")
            message += f" Use {allow}."
        return _error_response(exc.status_code, message, exc.detail, headers=headers)


def _wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return request.method in ("GET", "HEAD") and ("text/html" in accept or "*/*" in accept or not accept)


# --------------------------------------------------------------------------- FAQ pages


@dataclass
class _Entry:
    passage: Passage
    html: str


@dataclass
class _Section:
    title: str | None
    entries: list[_Entry] = field(default_factory=list)

    @property
    def questions(self) -> list[_Entry]:
        return [entry for entry in self.entries if entry.passage.question]

    @property
    def first_anchor(self) -> str:
        return (self.questions or self.entries)[0].passage.anchor


@dataclass
class _FaqDocument:
    key: str  # the URL path under /faq/: the source without ".md"
    title: str
    source: str
    url: str | None
    sections: list[_Section]

    @property
    def question_count(self) -> int:
        return sum(len(section.questions) for section in self.sections)


@dataclass
class _Catalogue:
    documents: dict[str, _FaqDocument]
    aliases: dict[str, str]  # other spellings (an include's path, "x.md") -> document key


_ALERT = re.compile(
    r"^((?:[ \t]*>)+[ \t]*)\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\][ \t]*", re.IGNORECASE | re.MULTILINE
)


def _faq_markdown() -> MarkdownIt:
    # html=False: raw HTML in the corpus is shown as text, never rendered.
    # markdown-it's validateLink already refuses javascript:, vbscript: and data: links.
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
        ["table", "strikethrough"]
    )


def document_key(passage: Passage) -> str:
    """The document a passage belongs to, as its /faq/ path: `ci-faq` for `ci-faq#some-question`."""
    suffix = "#" + passage.anchor
    if passage.passage_id.endswith(suffix) and len(passage.passage_id) > len(suffix):
        return passage.passage_id[: -len(suffix)]
    return _strip_md(passage.source)


def _strip_md(source: str) -> str:
    return source[:-3] if source.lower().endswith(".md") else source


def _render_answer(md: MarkdownIt, markdown: str, doc_url: str | None) -> str:
    markdown = _ALERT.sub(lambda m: f"{m.group(1)}**{m.group(2).capitalize()}:** ", markdown)
    env: dict[str, Any] = {}
    tokens = md.parse(markdown, env)
    for token in tokens:
        for child in token.children or ():
            if child.type != "link_open":
                continue
            href = str(child.attrGet("href") or "")
            parts = urlsplit(href)
            if not parts.scheme and not href.startswith("#") and doc_url:
                # A link relative to the published page (Learn style `other-page.md`).
                path = parts.path[:-3] if parts.path.lower().endswith(".md") else parts.path
                href = urljoin(doc_url, path + (f"#{parts.fragment}" if parts.fragment else ""))
                child.attrSet("href", href)
            if urlsplit(href).scheme in ("http", "https"):
                child.attrSet("rel", "noopener noreferrer")
    return md.renderer.render(tokens, md.options, env)


def build_catalogue(passages: Sequence[Passage]) -> _Catalogue:
    """Group passages (in index order) into documents and sections, with answers rendered."""
    md = _faq_markdown()
    grouped: dict[str, list[Passage]] = {}
    for passage in passages:
        grouped.setdefault(document_key(passage), []).append(passage)
    documents: dict[str, _FaqDocument] = {}
    aliases: dict[str, str] = {}
    for key, members in grouped.items():
        own = [p for p in members if _strip_md(p.source) == key] or members
        doc_url = next((p.url.split("#", 1)[0] for p in own if p.url), None)
        sections: list[_Section] = []
        for passage in members:
            if not sections or sections[-1].title != passage.section:
                sections.append(_Section(passage.section))
            sections[-1].entries.append(_Entry(passage, _render_answer(md, passage.answer_markdown, doc_url)))
            aliases.setdefault(_strip_md(passage.source), key)
        documents[key] = _FaqDocument(key, own[0].doc_title, own[0].source, doc_url, sections)
        aliases[own[0].source] = key
    return _Catalogue(documents, {alias: key for alias, key in aliases.items() if alias != key})


def _catalogue(app: FastAPI) -> _Catalogue | None:
    bot: FAQBot | None = app.state.bot
    if bot is None:
        return None
    with app.state.lock:
        if app.state.catalogue_of is not bot:
            app.state.catalogue = build_catalogue(bot.index.passages)
            app.state.catalogue_of = bot
        return app.state.catalogue


def _page_context(request: Request, **extra: Any) -> dict[str, Any]:
    return {"product": PRODUCT_NAME, "year": dt.date.today().year, **extra}


def _not_found_page(request: Request, templates: Jinja2Templates) -> Response:
    catalogue = _catalogue(request.app)
    return templates.TemplateResponse(
        request,
        "not_found.html",
        _page_context(
            request,
            title="Page not found",
            path=request.url.path,
            documents=list(catalogue.documents.values()) if catalogue else [],
        ),
        status_code=404,
    )


# --------------------------------------------------------------------------- the app


def create_app(settings: Settings, *, bot: FAQBot | None = None) -> FastAPI:
    """The FastAPI app. With `bot` None, `FAQBot.load(settings=settings)` runs at start-up,
    in a background thread; a given bot is used as is (tests, embedding in another app)."""
    store = open_store(settings)
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    frame_ancestors = _frame_ancestors(getattr(settings, "frame_ancestors", None))
    trusted_proxies = TrustedProxies(getattr(settings, "trusted_proxies", None) or ())
    rate_limit = getattr(settings, "rate_limit", None)
    # One budget per client for every worker and replica on this database (see faqbot/doors/ratelimit.py).
    limiter = SharedRateLimiter(parse_rate(rate_limit), store) if rate_limit else None

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if app.state.store_closed:
            # A second start of the same app (a test client entered twice, a server that restarts
            # its lifespan): the last shutdown closed the store, so open a new one.
            app.state.store = open_store(settings)
            app.state.store_closed = False
            if app.state.limiter is not None:
                app.state.limiter.store = app.state.store
        store = app.state.store
        try:
            store.ensure_schema()  # create or migrate the tables now, not on the first request
        except StoreError as error:
            if store.backend == "sqlite":
                raise  # a local file that cannot be opened is a configuration error: stop with it
            # A database server that is down now may be back soon: serve, answer without logging.
            warn_store_failure(f"starting with the database {store.describe()} unavailable", error)
        if app.state.bot is None and app.state.loader is None:
            app.state.loader = threading.Thread(target=_load_bot, args=(app, settings), name="faqbot-load", daemon=True)
            app.state.loader.start()
        watcher = None
        if getattr(settings, "reload_interval_s", 0) > 0:
            watcher = BuildWatcher(
                lambda: app.state.bot, lambda bot: _swap_bot(app, bot), interval_s=settings.reload_interval_s
            )
            watcher.start()
        app.state.watcher = watcher
        try:
            yield
        finally:
            if watcher is not None:
                watcher.stop()
            store.close()
            app.state.store_closed = True

    app = FastAPI(
        title=f"{PRODUCT_NAME} FAQ bot",
        version="0.1.0",
        description="Answers questions about FAQ documents, citing the passage every answer comes from.",
        lifespan=lifespan,
        docs_url=None,  # served below from local assets, so it works offline
        redoc_url=None,
        middleware=[
            Middleware(
                _JsonCORS,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["Content-Type"],
                max_age=600,
            ),
            Middleware(_SecurityHeaders, frame_ancestors=frame_ancestors),
            *(
                [Middleware(_RateLimit, limiter=limiter, trusted_proxies=trusted_proxies)]
                if limiter is not None
                else []
            ),
            Middleware(_BodyCap, limit=MAX_BODY_BYTES),
            Middleware(_CatchAll, templates=templates),
        ],
    )
    app.state.settings = settings
    app.state.bot = bot
    app.state.load_error = None
    app.state.loader = None
    app.state.store = store
    app.state.store_closed = False
    app.state.lock = threading.Lock()
    app.state.catalogue = None
    app.state.catalogue_of = None
    app.state.limiter = limiter
    app.state.watcher = None
    app.state.conversations = ConversationDesk(settings)
    _install_error_handlers(app, templates)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    app.mount("/docs/assets", StaticFiles(directory=str(swagger_ui_assets())), name="docs-assets")
    # Slack and Mattermost-style slash commands (closed unless a secret or token is configured).
    app.include_router(
        create_slack_router(settings, lambda: app.state.bot, get_store=lambda: app.state.store),
        responses=SLACK_RESPONSES,
    )
    # The FAQ owner's page of unanswered questions (404 unless FAQBOT_ADMIN_TOKEN is set).
    app.include_router(create_admin_router(settings, lambda: app.state.store, lambda: app.state.bot))

    # ------------------------------------------------------------------ API

    @app.post(
        "/api/ask",
        response_model=AskResponse,
        responses=ERROR_RESPONSES,
        dependencies=[Depends(_require_json)],
        tags=["api"],
        summary="Ask a question",
    )
    def ask(payload: AskRequest, request: Request) -> JSONResponse:
        """Answer a question from the FAQ, with citations and related questions.

        `kind` is `retrieval` (an FAQ answer), `rule` (an exact figure) or
        `no_answer` (the FAQ does not say; `related` holds the closest questions).
        Send `conversation_id` back with the next question: a follow-up ("and for
        existing ones?") is then read against this one, and `understood` says how.
        """
        faq_bot = _ready_bot(request.app)
        try:
            # With the store down the visitor still gets the answer; only the log (and thumbs on
            # it) is lost, warned about and counted in /api/ready; the conversation falls back
            # to this process's memory.
            turn = request.app.state.conversations.ask(
                faq_bot,
                request.app.state.store,
                payload.question,
                conversation_id=payload.conversation_id,
                top_k=payload.top_k,
                channel="web",
            )
        except InvalidQuestion as error:
            raise ApiError(422, f"`question`: {error}.", [{"field": "question", "message": str(error)}]) from error
        return JSONResponse(
            {
                **turn.answer.model_dump(mode="json"),
                "answer_id": turn.answer_id,
                "conversation_id": turn.conversation_id,
                "understood": turn.understood,
                "handoff": turn.handoff.as_dict() if turn.handoff else None,
            }
        )

    @app.post(
        "/api/feedback",
        status_code=201,
        response_model=FeedbackResponse,
        responses={**ERROR_RESPONSES, 404: {"model": ErrorBody, "description": "Unknown answer_id"}},
        dependencies=[Depends(_require_json)],
        tags=["api"],
        summary="Rate an answer",
    )
    def feedback(payload: FeedbackRequest, request: Request) -> FeedbackResponse:
        """Store a thumbs up or down (and an optional comment) on an answer from /api/ask."""
        comment = (payload.comment or "").strip() or None
        try:
            feedback_id = request.app.state.store.add_feedback(
                payload.rating, answer_id=payload.answer_id, comment=comment
            )
        except UnknownAnswer as error:
            raise ApiError(
                404,
                "There is no answer with this answer_id: send the answer_id that /api/ask returned.",
                {"answer_id": payload.answer_id},
            ) from error
        except StoreError as error:
            warn_store_failure("feedback not saved", error)
            raise ApiError(
                503, "The feedback could not be saved right now (the database is unavailable). Please try again."
            ) from error
        handoff = request.app.state.conversations.handoff if payload.rating == "down" else None
        if handoff is not None:
            try:
                request.app.state.store.mark_handoff(payload.answer_id)
            except StoreError as error:  # the vote is saved; only the handoff count misses one
                warn_store_failure("handoff not counted", error)
        return FeedbackResponse(
            id=feedback_id,
            answer_id=payload.answer_id,
            rating=payload.rating,
            handoff=HandoffLink(**handoff.as_dict()) if handoff else None,
        )

    @app.get("/api/health", tags=["ops"], summary="Liveness")
    def health() -> dict[str, str]:
        """200 whenever the process serves requests (the bot may still be loading)."""
        return {"status": "ok"}

    @app.get(
        "/api/ready",
        tags=["ops"],
        summary="Readiness",
        responses={503: {"model": ErrorBody, "description": "Not loaded yet, or loading failed"}},
    )
    def ready(request: Request) -> JSONResponse:
        """200 once the bot and its index are loaded, 503 before. Also says which index build
        is in use and how the store is doing (`failures`: calls that failed because of the
        database since start-up; answers were given without logging)."""
        faq_bot = _ready_bot(request.app)
        store = request.app.state.store
        limiter = request.app.state.limiter
        watcher = request.app.state.watcher
        return JSONResponse(
            {
                "status": "ready",
                "model": faq_bot.index.model,
                "backend": getattr(faq_bot.embedder, "backend", None),
                "passages": len(faq_bot.index.passages),
                "build": Path(faq_bot.index.folder).name,
                "reloads": watcher.reloads if watcher is not None else 0,
                "store": {
                    "backend": store.backend,
                    "failures": store.failures,
                    "rate_limit_fallbacks": getattr(limiter, "fallbacks", 0),
                },
            }
        )

    # ------------------------------------------------------------------ pages and widget

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request) -> Response:
        catalogue = _catalogue(request.app)
        documents = list(catalogue.documents.values()) if catalogue else []
        # "Popular": the shortest question of each topic, for a few topics.
        popular = [
            (doc, min((entry.passage for entry in section.questions), key=lambda p: len(p.question or "")))
            for doc in documents
            for section in doc.sections
            if section.title and section.questions
        ][:3]
        return templates.TemplateResponse(
            request,
            "index.html",
            _page_context(request, title="Help Center", documents=documents, popular=popular),
        )

    @app.get("/faq", include_in_schema=False)
    def faq_root() -> Response:
        return RedirectResponse("/faq/", status_code=308)

    @app.get("/faq/{document:path}", response_class=HTMLResponse, include_in_schema=False)
    def faq_page(document: str, request: Request) -> Response:
        catalogue = _catalogue(request.app)
        if catalogue is None:
            return templates.TemplateResponse(
                request,
                "error.html",
                _page_context(
                    request,
                    title="Starting up",
                    message="The help center is starting up. Please reload this page in a few seconds.",
                ),
                status_code=503,
                headers={"Retry-After": "5"},
            )
        key = document.strip("/")
        if not key:
            return templates.TemplateResponse(
                request,
                "faq_index.html",
                _page_context(request, title="All FAQs", documents=list(catalogue.documents.values())),
            )
        if key not in catalogue.documents:
            target = catalogue.aliases.get(key)
            if target is None:
                return _not_found_page(request, templates)
            # An included file's path, or "x.md": the page it is shown on (the #fragment survives).
            return RedirectResponse("/faq/" + quote(target), status_code=308)
        doc = catalogue.documents[key]
        return templates.TemplateResponse(request, "faq.html", _page_context(request, title=doc.title, doc=doc))

    @app.get("/docs", include_in_schema=False)
    def api_docs(request: Request) -> Response:
        """The OpenAPI page (Swagger UI), from local assets."""
        return templates.TemplateResponse(request, "docs.html", {"title": app.title, "openapi_url": app.openapi_url})

    @app.get("/widget.js", include_in_schema=False)
    def widget_js() -> Response:
        return _asset("widget.js", "text/javascript; charset=utf-8")

    @app.get("/widget.css", include_in_schema=False)
    def widget_css() -> Response:
        return _asset("widget.css", "text/css; charset=utf-8")

    return app


_CSP_SOURCE = re.compile(r"^(?:'self'|'none'|[A-Za-z0-9*][A-Za-z0-9*.:/\[\]_-]*)$")


def _frame_ancestors(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """The `frame-ancestors` sources: the default ('self') when unset; a string may list
    several, separated by spaces or commas. Anything that could break out of the header
    (`;`, quotes other than 'self' / 'none', control characters) is refused."""
    if value is None:
        return DEFAULT_FRAME_ANCESTORS
    items = re.split(r"[\s,]+", value) if isinstance(value, str) else [str(item).strip() for item in value]
    sources = tuple(item for item in items if item)
    if not sources:
        return DEFAULT_FRAME_ANCESTORS
    bad = [source for source in sources if not _CSP_SOURCE.fullmatch(source)]
    if bad:
        raise ValueError(
            f"frame_ancestors: {bad[0]!r} is not a CSP source; use 'self', 'none' or origins such as "
            "https://shop.example.com"
        )
    if "'none'" in sources and len(sources) > 1:
        raise ValueError(f"frame_ancestors: 'none' cannot be combined with other sources, got {list(sources)}")
    return sources


def _asset(name: str, media_type: str) -> Response:
    return FileResponse(
        STATIC_DIR / name,
        media_type=media_type,
        headers={
            "Cache-Control": "public, max-age=300",
            # Other sites embed the widget: let them load it.
            "Cross-Origin-Resource-Policy": "cross-origin",
        },
    )


def _ready_bot(app: FastAPI) -> FAQBot:
    bot: FAQBot | None = app.state.bot
    if bot is not None:
        return bot
    if app.state.load_error is not None:
        raise ApiError(
            503,
            "The assistant could not load the FAQ; the server log says why.",
            {"status": "failed", "reason": app.state.load_error},
        )
    raise ApiError(
        503,
        "The assistant is still starting up (loading the FAQ). Please try again in a few seconds.",
        {"status": "loading"},
    )


def _swap_bot(app: FastAPI, bot: FAQBot) -> None:
    """Put a bot on a new index build in service. One assignment: a request reads
    `app.state.bot` once, so it runs on the old bot or the new one, never a mix; the old
    bot (and its caches) goes when the last request holding it ends. The FAQ pages'
    catalogue follows (see `_catalogue`)."""
    app.state.bot = bot


def _load_bot(app: FastAPI, settings: Settings) -> None:
    started = time.perf_counter()
    try:
        bot = FAQBot.load(settings=settings)
    except Exception as error:
        log.exception("the FAQ bot failed to load")
        # Public: the kind of failure only; the message (paths, settings) stays in the log.
        app.state.load_error = type(error).__name__
        return
    app.state.bot = bot
    log.info("FAQ bot ready: %d passages in %.1f s", len(bot.index.passages), time.perf_counter() - started)


# --------------------------------------------------------------------------- running


def app_from_env() -> FastAPI:
    """An app configured from `FAQBOT_*` environment variables (uvicorn factory for workers > 1)."""
    return create_app(Settings())


def run(
    settings: Settings, host: str = "127.0.0.1", port: int = 8000, workers: int = 1, *, bot: FAQBot | None = None
) -> None:
    """Serve the app with uvicorn until interrupted.

    With several workers each process builds its own app from the environment,
    so `settings` is first written to the `FAQBOT_*` variables the workers read,
    and `FAQBOT_WORKERS` tells each one its share of the cores. A loaded `bot` is
    served as is by a single worker.
    """
    import uvicorn

    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    # The embedder shares the cores between the worker processes (see embed.load_embedder).
    os.environ["FAQBOT_WORKERS"] = str(workers)
    # uvicorn would believe X-Forwarded-For from 127.0.0.1 by default; the rate limiter
    # decides which proxies to believe itself (settings.trusted_proxies).
    if workers == 1:
        uvicorn.run(create_app(settings, bot=bot), host=host, port=port, proxy_headers=False)
        return
    os.environ.update(settings_environment(settings))
    for name in _unset_fields(settings):
        os.environ.pop(name, None)
    uvicorn.run(
        "faqbot.doors.http.app:app_from_env", factory=True, host=host, port=port, workers=workers, proxy_headers=False
    )


def settings_environment(settings: BaseSettings) -> dict[str, str]:
    """The `FAQBOT_*` variables that make `Settings()` equal to `settings` (None fields left out)."""
    prefix = settings.model_config.get("env_prefix", "")
    env: dict[str, str] = {}
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if value is None:
            continue
        if hasattr(value, "get_secret_value"):
            value = value.get_secret_value()
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, (list, dict, tuple)):
            text = json.dumps(jsonable_encoder(value))
        elif isinstance(value, dt.date):
            text = value.isoformat()
        else:
            text = str(value)
        env[f"{prefix}{name}".upper()] = text
    return env


def _unset_fields(settings: BaseSettings) -> list[str]:
    prefix = settings.model_config.get("env_prefix", "")
    return [f"{prefix}{name}".upper() for name in type(settings).model_fields if getattr(settings, name) is None]
