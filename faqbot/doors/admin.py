"""The admin page: the questions the FAQ did not answer, for its owner, behind a token.

    GET /admin?days=N        the dashboard of the last N days (7, 30 or 90 offered; 30 by
                             default): questions per day, answer rate, thumbs, handoffs, the
                             slowest answers and the grouped unanswered and thumbs-down questions
    GET /admin/plots/{name}.svg?days=N   one of the dashboard's plots (see `dashboard.py`)
    GET /admin/export.jsonl  every unanswered group as an evaluation file to label (a download)
    GET /api/admin/stats?days=N   the period's counts as JSON, for scripts (Bearer token)

    POST /admin/login        a login form posts the token here; the answer sets a session cookie
    POST /admin/logout       forgets the session cookie

Scripts send the token as `Authorization: Bearer <token>`; people type it into the
login form, which sets an HttpOnly, SameSite=Strict cookie holding a keyed hash of
the token (never the token itself). A token in the address opens nothing: it would
stand in access logs, browser history and links. With no `admin_token` setting
(env FAQBOT_ADMIN_TOKEN) the pages do not exist (404); a missing or wrong token
gets 401 (the login form, for a browser). Mount it in the app factory:

    app.include_router(create_admin_router(settings, lambda: store, lambda: app.state.bot))

The grouping uses the loaded bot's embedding model, or the lexical measure
while the bot is still loading (see `report.py`).
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from cachetools import TTLCache
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from faqbot.doors.assets import templates_dir
from faqbot.doors.dashboard import (
    DEFAULT_DAYS,
    MAX_DAYS,
    PERIODS,
    PLOTS,
    Dashboard,
    build_dashboard,
    render_plot,
    stats_payload,
)
from faqbot.doors.report import DEFAULT_LIMIT, QuestionGroup, export_jsonl, group_unanswered, load_similarity
from faqbot.store import AnswerStore

__all__ = ["create_admin_router"]

TEMPLATES_DIR = templates_dir()

# Private pages: never cached, never indexed.
_PRIVATE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow"}
MAX_LOGIN_BYTES = 4096


DASHBOARD_TTL_S = 30.0
"""A page and its plot images are drawn from one reading of the store, kept this long."""
MAX_BOARDS = 32
"""Dashboards kept at once (one per period asked for; 7, 30 and 90 days are offered)."""

SESSION_COOKIE = "faqbot_admin"
SESSION_MAX_AGE_S = 8 * 60 * 60


def _configured_token(settings: Any) -> bytes | None:
    token = getattr(settings, "admin_token", None)
    if token is None:
        return None
    if hasattr(token, "get_secret_value"):
        token = token.get_secret_value()
    token = str(token)
    return token.encode("utf-8") if token else None


def _session_value(token: bytes) -> str:
    """What the cookie holds: a keyed hash of the token, so the cookie never carries the
    token itself, and changing the token ends every session."""
    return hmac.new(token, b"faqbot admin session", hashlib.sha256).hexdigest()


def _bearer(request: Request) -> str | None:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    return credentials.strip() or None if scheme.lower() == "bearer" else None


def _authorized(request: Request, expected: bytes) -> bool:
    # compare_digest: the time taken does not tell how much of a guess was right.
    given = _bearer(request)
    if given is not None:
        return hmac.compare_digest(given.encode("utf-8"), expected)
    cookie = request.cookies.get(SESSION_COOKIE)
    return cookie is not None and hmac.compare_digest(cookie.encode(), _session_value(expected).encode())


class _Admin:
    """What the admin routes share: the token check, the login page, the similarity measure
    and the dashboards, each read once for a page and its plot images."""

    def __init__(self, settings: Any, get_store: Callable[[], AnswerStore], get_bot: Callable[[], Any | None]) -> None:
        self.settings = settings
        self.get_store = get_store
        self.get_bot = get_bot
        self.templates = Jinja2Templates(directory=str(TEMPLATES_DIR))  # autoescapes .html templates
        # days -> (dashboard, similarity description), for DASHBOARD_TTL_S seconds.
        self.boards: TTLCache[int, tuple[Dashboard, str]] = TTLCache(maxsize=MAX_BOARDS, ttl=DASHBOARD_TTL_S)
        self.boards_lock = threading.Lock()

    def expected_token(self) -> bytes:
        expected = _configured_token(self.settings)
        if expected is None:
            raise HTTPException(404, "Not Found")
        return expected

    def login_page(self, request: Request, *, failed: bool = False) -> Response:
        return self.templates.TemplateResponse(
            request,
            "admin_login.html",
            {"failed": failed},
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="faqbot admin"', **_PRIVATE},
        )

    def authorize(self, request: Request) -> None:
        """Pass with a valid bearer token or session cookie; else 404 (admin off) or 401."""
        if not _authorized(request, self.expected_token()):
            raise HTTPException(
                401,
                "This page needs the admin token: send `Authorization: Bearer <token>`, or sign in at /admin.",
                headers={"WWW-Authenticate": 'Bearer realm="faqbot admin"', **_PRIVATE},
            )

    def similarity(self) -> Any:
        bot = self.get_bot()
        embedder = getattr(bot, "embedder", None) if bot is not None else None
        return load_similarity(None, embedder=embedder)

    def groups(self) -> tuple[list[QuestionGroup], str]:
        measure = self.similarity()
        return group_unanswered(self.get_store(), measure, limit=DEFAULT_LIMIT), measure.description

    def dashboard(self, days: int) -> tuple[Dashboard, str]:
        """The period's dashboard, read once for a page and its plot images."""
        with self.boards_lock:
            cached = self.boards.get(days)
        if cached is not None:
            return cached
        measure = self.similarity()
        board = build_dashboard(self.get_store(), days, measure)
        with self.boards_lock:
            self.boards[days] = (board, measure.description)
        return board, measure.description


def create_admin_router(
    settings: Any,
    get_store: Callable[[], AnswerStore],
    get_bot: Callable[[], Any | None],
) -> APIRouter:
    """The /admin routes. `get_store` returns the app's store; `get_bot` the loaded FAQBot or None."""
    router = APIRouter(include_in_schema=False)
    admin = _Admin(settings, get_store, get_bot)
    _add_dashboard_routes(router, admin)
    _add_session_routes(router, admin)
    return router


def _add_dashboard_routes(router: APIRouter, admin: _Admin) -> None:
    period = Query(DEFAULT_DAYS, ge=1, le=MAX_DAYS, description="the period: the last N days")

    @router.get("/admin", response_class=HTMLResponse)
    def admin_page(request: Request, days: int = period) -> Response:
        if not _authorized(request, admin.expected_token()):
            return admin.login_page(request)
        board, method = admin.dashboard(days)
        return admin.templates.TemplateResponse(
            request,
            "admin.html",
            {
                "board": board,
                "periods": PERIODS,
                "plots": list(PLOTS),
                "groups": board.clusters,
                "asks": sum(group.count for group in board.clusters),
                "method": method,
                "signed_in": request.cookies.get(SESSION_COOKIE) is not None,
            },
            headers=_PRIVATE,
        )

    @router.get("/admin/plots/{name}.svg")
    def admin_plot(request: Request, name: str, days: int = period) -> Response:
        admin.authorize(request)
        if name not in PLOTS:
            raise HTTPException(404, f"No plot named {name!r}.")
        board, _ = admin.dashboard(days)
        return Response(render_plot(board, name), media_type="image/svg+xml", headers=_PRIVATE)

    @router.get("/api/admin/stats")
    def admin_stats(request: Request, days: int = period) -> Response:
        """The period's counts: questions, answered, no_answer, thumbs, handoffs, questions per day."""
        admin.authorize(request)
        return JSONResponse(stats_payload(admin.get_store().stats(days=days), days), headers=_PRIVATE)

    @router.get("/admin/export.jsonl")
    def admin_export(request: Request) -> Response:
        admin.authorize(request)
        found, _ = admin.groups()
        return Response(
            export_jsonl(found),
            media_type="application/x-ndjson; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="unanswered-questions.jsonl"', **_PRIVATE},
        )


def _add_session_routes(router: APIRouter, admin: _Admin) -> None:
    @router.post("/admin/login", include_in_schema=False)
    async def admin_login(request: Request) -> Response:
        expected = admin.expected_token()
        body = await request.body()
        given = parse_qs(body[:MAX_LOGIN_BYTES].decode("utf-8", "replace")).get("token", [""])[0]
        if not given or not hmac.compare_digest(given.encode("utf-8"), expected):
            return admin.login_page(request, failed=True)
        response = RedirectResponse("/admin", status_code=303, headers=_PRIVATE)
        response.set_cookie(
            SESSION_COOKIE,
            _session_value(expected),
            max_age=SESSION_MAX_AGE_S,
            path="/admin",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return response

    @router.post("/admin/logout", include_in_schema=False)
    def admin_logout() -> Response:
        response = RedirectResponse("/admin", status_code=303, headers=_PRIVATE)
        response.delete_cookie(SESSION_COOKIE, path="/admin", httponly=True, samesite="strict")
        return response
