"""The admin page: the questions the FAQ did not answer, for its owner, behind a token.

    GET /admin               the grouped unanswered and thumbs-down questions (HTML)
    GET /admin/export.jsonl  the same groups as an evaluation file to label (a download)

Both take the token as `Authorization: Bearer <token>` or `?token=<token>`.
With no `admin_token` setting (env FAQBOT_ADMIN_TOKEN) the pages do not exist
(404); a missing or wrong token gets 401. Mount it in the app factory:

    app.include_router(create_admin_router(settings, lambda: store, lambda: app.state.bot))

The grouping uses the loaded bot's embedding model, or the lexical measure
while the bot is still loading (see `report.py`).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from .report import DEFAULT_LIMIT, QuestionGroup, export_jsonl, group_unanswered, load_similarity
from .store import Store

__all__ = ["create_admin_router"]

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "web" / "templates"

# Private pages: never cached, never indexed.
_PRIVATE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow"}


def _configured_token(settings: Any) -> bytes | None:
    token = getattr(settings, "admin_token", None)
    if token is None:
        return None
    if hasattr(token, "get_secret_value"):
        token = token.get_secret_value()
    token = str(token)
    return token.encode("utf-8") if token else None


def _given_token(request: Request) -> tuple[str | None, str]:
    """The token the request carries, and where: "header", "query" or ""."""
    authorization = request.headers.get("authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip(), "header"
    token = request.query_params.get("token")
    if token:
        return token, "query"
    return None, ""


def create_admin_router(
    settings: Any,
    get_store: Callable[[], Store],
    get_bot: Callable[[], Any | None],
) -> APIRouter:
    """The /admin routes. `get_store` returns the app's Store; `get_bot` the loaded FAQBot or None."""
    router = APIRouter(include_in_schema=False)
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))  # autoescapes .html templates

    def authorize(request: Request) -> str:
        """Where the valid token came from; else 404 (admin off) or 401."""
        expected = _configured_token(settings)
        if expected is None:
            raise HTTPException(404, "Not Found")
        given, source = _given_token(request)
        # compare_digest: the time taken does not tell how much of a guessed token was right.
        if given is None or not hmac.compare_digest(given.encode("utf-8"), expected):
            raise HTTPException(
                401,
                "This page needs the admin token: send `Authorization: Bearer <token>` or add ?token=<token>.",
                headers={"WWW-Authenticate": 'Bearer realm="faqbot admin"', **_PRIVATE},
            )
        return source

    def groups() -> tuple[list[QuestionGroup], str]:
        bot = get_bot()
        embedder = getattr(bot, "embedder", None) if bot is not None else None
        similarity = load_similarity(None, embedder=embedder)
        return group_unanswered(get_store(), similarity, limit=DEFAULT_LIMIT), similarity.description

    @router.get("/admin", response_class=HTMLResponse)
    def admin_page(request: Request) -> Response:
        source = authorize(request)
        found, method = groups()
        export_url = "/admin/export.jsonl"
        if source == "query":
            # The token came in the address: the download link needs it too (a header cannot follow a link).
            export_url += "?" + urlencode({"token": request.query_params["token"]})
        return templates.TemplateResponse(
            request,
            "admin.html",
            {
                "groups": found,
                "asks": sum(group.count for group in found),
                "method": method,
                "export_url": export_url,
                "export_needs_header": source == "header",
            },
            headers=_PRIVATE,
        )

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
