"""`GET /api/health` (liveness) and `GET /api/ready` (readiness: the bot loaded, which build,
how the store is doing)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from faqbot.doors.http.lifecycle import ready_bot
from faqbot.doors.http.models import ErrorBody

__all__ = ["router"]

router = APIRouter(tags=["ops"])


@router.get("/api/health", summary="Liveness")
def health() -> dict[str, str]:
    """200 whenever the process serves requests (the bot may still be loading)."""
    return {"status": "ok"}


@router.get(
    "/api/ready",
    summary="Readiness",
    responses={503: {"model": ErrorBody, "description": "Not loaded yet, or loading failed"}},
)
def ready(request: Request) -> JSONResponse:
    """200 once the bot and its index are loaded, 503 before. Also says which index build
    is in use and how the store is doing (`failures`: calls that failed because of the
    database since start-up; answers were given without logging)."""
    faq_bot = ready_bot(request.app)
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
