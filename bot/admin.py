"""The admin page: the questions the FAQ did not answer, for its owner, behind a token.

    GET /admin               the grouped unanswered and thumbs-down questions (HTML)
    GET /admin/export.jsonl  the same groups as an evaluation file to label (a download)

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
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from .assets import templates_dir
from .report import DEFAULT_LIMIT, QuestionGroup, export_jsonl, group_unanswered, load_similarity
from .store import AnswerStore

__all__ = ["create_admin_router"]

TEMPLATES_DIR = templates_dir()

# Private pages: never cached, never indexed.
_PRIVATE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow"}
MAX_LOGIN_BYTES = 4096


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


def create_admin_router(
    settings: Any,
    get_store: Callable[[], AnswerStore],
    get_bot: Callable[[], Any | None],
) -> APIRouter:
    """The /admin routes. `get_store` returns the app's store; `get_bot` the loaded FAQBot or None."""
    router = APIRouter(include_in_schema=False)
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))  # autoescapes .html templates

    def expected_token() -> bytes:
        expected = _configured_token(settings)
        if expected is None:
            raise HTTPException(404, "Not Found")
        return expected

    def login_page(request: Request, *, failed: bool = False) -> Response:
        return templates.TemplateResponse(
            request,
            "admin_login.html",
            {"failed": failed},
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="faqbot admin"', **_PRIVATE},
        )

    def authorize(request: Request) -> None:
        """Pass with a valid bearer token or session cookie; else 404 (admin off) or 401."""
        if not _authorized(request, expected_token()):
            raise HTTPException(
                401,
                "This page needs the admin token: send `Authorization: Bearer <token>`, or sign in at /admin.",
                headers={"WWW-Authenticate": 'Bearer realm="faqbot admin"', **_PRIVATE},
            )

    def groups() -> tuple[list[QuestionGroup], str]:
        bot = get_bot()
        embedder = getattr(bot, "embedder", None) if bot is not None else None
        similarity = load_similarity(None, embedder=embedder)
        return group_unanswered(get_store(), similarity, limit=DEFAULT_LIMIT), similarity.description

    @router.get("/admin", response_class=HTMLResponse)
    def admin_page(request: Request) -> Response:
        if not _authorized(request, expected_token()):
            return login_page(request)
        found, method = groups()
        return templates.TemplateResponse(
            request,
            "admin.html",
            {
                "groups": found,
                "asks": sum(group.count for group in found),
                "method": method,
                "signed_in": request.cookies.get(SESSION_COOKIE) is not None,
            },
            headers=_PRIVATE,
        )

    @router.post("/admin/login", include_in_schema=False)
    async def admin_login(request: Request) -> Response:
        expected = expected_token()
        body = await request.body()
        given = parse_qs(body[:MAX_LOGIN_BYTES].decode("utf-8", "replace")).get("token", [""])[0]
        if not given or not hmac.compare_digest(given.encode("utf-8"), expected):
            return login_page(request, failed=True)
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

    @router.get("/admin/export.jsonl")
    def admin_export(request: Request) -> Response:
        authorize(request)
        found, _ = groups()
        return Response(
            export_jsonl(found),
            media_type="application/x-ndjson; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="unanswered-questions.jsonl"', **_PRIVATE},
        )

    return router
