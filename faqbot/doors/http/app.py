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
    /slack/..., /admin   the other doors (see doors.py)

Errors: every 4xx and 503 from the API is JSON `{"error": "<a sentence for a
person>", "detail": ...}`; bad input never causes a 5xx. Domain errors are
translated at the edge: `InvalidQuestion` -> 422, `UnknownAnswer` -> 404. A bug
(any other exception) is logged with its traceback and answered with a generic
500 that carries an error id to quote, never the traceback or the message.

Several processes: the store (`settings.db_url`, else the SQLite file `db_path`)
holds the log, feedback, Slack delivery ids and the rate budgets, so workers and
replicas share them; a store that fails never fails `/api/ask` (the answer is
given unlogged, warned about and counted in `/api/ready`), feedback then gets 503.
`/api/ready` names the index build in use.

This module only assembles. One job per module beside it:

    models.py      request and response models, ApiError, the documented error responses
    errors.py      errors translated into the API's JSON (and the error pages)
    middleware.py  CORS, security headers, rate limit, body cap, the catch-all for bugs
    lifecycle.py   app.state, the lifespan (loading the bot, live reloads), readiness
    faq_pages.py   the corpus as documents and sections for the pages; page context
    routes/        one APIRouter per resource, registered in routes.ROUTERS
    doors.py       Slack and the admin page, registered in doors.DOORS
    runner.py      run (uvicorn) and the settings carried to workers
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from faqbot.answer.pipeline import FAQBot
from faqbot.core.config import Settings
from faqbot.doors.assets import static_dir, swagger_ui_assets
from faqbot.doors.http.doors import DOORS
from faqbot.doors.http.errors import install_error_handlers
from faqbot.doors.http.faq_pages import PRODUCT_NAME, build_catalogue, document_key
from faqbot.doors.http.lifecycle import init_state, lifespan
from faqbot.doors.http.middleware import build_middleware
from faqbot.doors.http.models import MAX_BODY_BYTES
from faqbot.doors.http.routes import ROUTERS
from faqbot.doors.http.runner import run, settings_environment
from faqbot.doors.ratelimit import SharedRateLimiter, parse_rate
from faqbot.store import open_store

__all__ = [
    "MAX_BODY_BYTES",
    "app_from_env",
    "build_catalogue",
    "create_app",
    "document_key",
    "run",
    "settings_environment",
]


def create_app(settings: Settings, *, bot: FAQBot | None = None) -> FastAPI:
    """The FastAPI app. With `bot` None, `FAQBot.load(settings=settings)` runs at start-up,
    in a background thread; a given bot is used as is (tests, embedding in another app)."""
    store = open_store(settings)
    rate_limit = getattr(settings, "rate_limit", None)
    # One budget per client for every worker and replica on this database (see faqbot/doors/ratelimit.py).
    limiter = SharedRateLimiter(parse_rate(rate_limit), store) if rate_limit else None
    app = FastAPI(
        title=f"{PRODUCT_NAME} FAQ bot",
        version="0.1.0",
        description="Answers questions about FAQ documents, citing the passage every answer comes from.",
        lifespan=lifespan,
        docs_url=None,  # served by routes/pages.py from local assets, so it works offline
        redoc_url=None,
        middleware=build_middleware(settings, limiter),
    )
    init_state(app, settings, bot=bot, store=store, limiter=limiter)
    install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=str(static_dir())), name="static")
    app.mount("/docs/assets", StaticFiles(directory=str(swagger_ui_assets())), name="docs-assets")
    for mount_door in DOORS:
        mount_door(app, settings)
    for router in ROUTERS:
        app.include_router(router)
    return app


def app_from_env() -> FastAPI:
    """An app configured from `FAQBOT_*` environment variables (uvicorn factory for workers > 1)."""
    return create_app(Settings())
