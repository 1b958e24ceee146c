"""The app's middlewares, outermost first, and the settings they read.

    >>> stack = build_middleware(settings, limiter=None)     # doctest: +SKIP
    >>> FastAPI(middleware=stack)                            # doctest: +SKIP

1. CORS (`settings.cors_origins`), whose refused preflights answer in the API's JSON
   error format and are logged once per origin (`JsonCORS`).
2. Security headers: `nosniff` and `Referrer-Policy` everywhere; a CSP on every HTML page,
   whose `frame-ancestors` is `settings.frame_ancestors`, default `'self'` (`SecurityHeaders`).
3. Per-client rate limiting of the JSON API (`settings.rate_limit`, e.g. "30/minute"; 429
   with `Retry-After`; off when unset; clients keyed by address, see faqbot/doors/ratelimit.py
   and `settings.trusted_proxies`) (`RateLimit`).
4. The body cap: 413 for JSON API bodies over `MAX_BODY_BYTES` (`BodyCap`).
5. The catch-all for bugs: logged with an error id, answered with a generic 500 (`CatchAll`).
"""

from __future__ import annotations

import logging
import re
import threading
import uuid
from collections.abc import Sequence
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from faqbot.doors.http.errors import BodyTooLarge, error_response, too_large_response, wants_html
from faqbot.doors.http.faq_pages import TEMPLATES, page_context
from faqbot.doors.http.models import API_PREFIX, MAX_BODY_BYTES
from faqbot.doors.ratelimit import RateLimiter, SharedRateLimiter, TrustedProxies, client_address

__all__ = ["BodyCap", "CatchAll", "JsonCORS", "RateLimit", "SecurityHeaders", "build_middleware", "frame_ancestors"]

log = logging.getLogger(__name__)

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
MAX_LOGGED_ORIGINS = 100
"""Refused CORS origins are logged once each, up to this many per process."""


def build_middleware(settings: Any, limiter: RateLimiter | SharedRateLimiter | None) -> list[Middleware]:
    """The middleware stack for `settings`, outermost first (the rate limit only with a `limiter`).
    Raises ValueError for a `frame_ancestors` or `trusted_proxies` setting that cannot be used."""
    ancestors = frame_ancestors(getattr(settings, "frame_ancestors", None))
    trusted_proxies = TrustedProxies(getattr(settings, "trusted_proxies", None) or ())
    rate_limit = [Middleware(RateLimit, limiter=limiter, trusted_proxies=trusted_proxies)] if limiter else []
    return [
        Middleware(
            JsonCORS,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type"],
            max_age=600,
        ),
        Middleware(SecurityHeaders, frame_ancestors=ancestors),
        *rate_limit,
        Middleware(BodyCap, limit=MAX_BODY_BYTES),
        Middleware(CatchAll),
    ]


_CSP_SOURCE = re.compile(r"^(?:'self'|'none'|[A-Za-z0-9*][A-Za-z0-9*.:/\[\]_-]*)$")


def frame_ancestors(value: str | Sequence[str] | None) -> tuple[str, ...]:
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


class BodyCap:
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
                    raise BodyTooLarge(self.limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if started:
                raise
            await self._too_large(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        await too_large_response(BodyTooLarge(self.limit))(scope, receive, send)


class SecurityHeaders:
    """`nosniff` and a Referrer-Policy on every response; a Content-Security-Policy on every
    HTML page (and X-Frame-Options for old browsers, when it can say the same thing)."""

    def __init__(self, app: ASGIApp, frame_ancestors: Sequence[str] = DEFAULT_FRAME_ANCESTORS) -> None:
        self.app = app
        self.page_csp = PAGE_CSP_TEMPLATE.format(frame_ancestors=" ".join(frame_ancestors)).encode()
        # X-Frame-Options can only say "nobody" or "this origin"; CSP-aware browsers ignore it.
        options: dict[tuple[str, ...], bytes] = {("'none'",): b"DENY", ("'self'",): b"SAMEORIGIN"}
        self.frame_options = options.get(tuple(frame_ancestors))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": self._headers(path, message.get("headers", []))}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _headers(self, path: str, original: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        replaced = {b"x-content-type-options", b"referrer-policy"}
        headers = [(k, v) for k, v in original if k.lower() not in replaced]
        headers.append((b"x-content-type-options", b"nosniff"))
        headers.append((b"referrer-policy", REFERRER_POLICY.encode()))
        content_type = Headers(raw=headers).get("content-type", "")
        if content_type.startswith("text/html"):
            docs = path.startswith(DOCS_PATHS)
            csp = DOCS_CSP.encode() if docs else self.page_csp
            frame_options = b"DENY" if docs else self.frame_options
            headers = [(k, v) for k, v in headers if k.lower() not in (b"content-security-policy", b"x-frame-options")]
            headers.append((b"content-security-policy", csp))
            if frame_options:
                headers.append((b"x-frame-options", frame_options))
        return headers


class RateLimit:
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
        response = error_response(
            429,
            f"Too many requests: the limit is {self.limiter.rate} per client. "
            f"Please try again in {retry_after} second{'s' if retry_after != 1 else ''}.",
            {"limit": str(self.limiter.rate), "retry_after_s": retry_after},
            headers={"Retry-After": str(retry_after)},
        )
        await response(scope, receive, send)


class CatchAll:
    """The innermost middleware: an exception that no handler turned into a response is a bug.
    It is logged with its traceback under an error id; the client gets a generic 500 (JSON,
    or the error page for a browser) with that id, and neither the traceback nor the
    exception's message, which may hold paths, settings or data."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

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
            raise  # answered by the error handlers (or BodyCap), not a bug
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
        if not scope.get("path", "").startswith(API_PREFIX) and wants_html(request):
            return TEMPLATES.TemplateResponse(
                request,
                "error.html",
                page_context(request, title="Something went wrong", message=message),
                status_code=500,
            )
        return error_response(500, message, {"error_id": error_id})


class JsonCORS(CORSMiddleware):
    """CORSMiddleware whose refused preflights answer in the API's JSON error format."""

    def __init__(self, app: ASGIApp, /, **options: Any) -> None:
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
        failures = bytes(response.body).decode().removeprefix("Disallowed CORS ")
        return error_response(
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
