"""What the app holds (`app.state`) and its life: start-up, loading the bot, live reloads, shutdown.

    >>> app = FastAPI(lifespan=lifespan)                     # doctest: +SKIP
    >>> init_state(app, settings, bot=None, store=store, limiter=None)  # doctest: +SKIP

Loading: when no bot is given, `FAQBot.load(settings=settings)` runs in a background
thread started by the lifespan (it may build the index), so `/api/health` answers at
once and `/api/ready` turns 200 when the bot is in `app.state.bot`. A failed load is
logged and reported by `/api/ready` (`ready_bot`).

Live updates: a `BuildWatcher` (faqbot/answer/reload.py) polls the index folder's
`CURRENT` every `settings.reload_interval_s` and swaps a newly published build in.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from faqbot.answer.pipeline import FAQBot
from faqbot.answer.reload import BuildWatcher
from faqbot.doors.http.models import ApiError
from faqbot.doors.ratelimit import SharedRateLimiter
from faqbot.doors.turns import ConversationDesk
from faqbot.store import AnswerStore, StoreError, open_store, warn_store_failure

__all__ = ["init_state", "lifespan", "ready_bot"]

log = logging.getLogger(__name__)


def init_state(
    app: FastAPI, settings: Any, *, bot: FAQBot | None, store: AnswerStore, limiter: SharedRateLimiter | None
) -> None:
    """Everything the routes and the lifespan read from `app.state`."""
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
    # The one ask-and-log path of the web door (its fallback memory of conversations too).
    app.state.conversations = ConversationDesk(settings)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open the store's tables, start loading the bot and watching for new builds; on
    shutdown stop the watcher and close the store (after writing the queued log rows)."""
    settings = app.state.settings
    if app.state.store_closed:
        _reopen_store(app, settings)
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
    watcher = _start_watcher(app, settings)
    app.state.watcher = watcher
    try:
        yield
    finally:
        if watcher is not None:
            watcher.stop()
        store.close()  # the answers' log rows still queued (store.writer) are written first
        app.state.store_closed = True


def _reopen_store(app: FastAPI, settings: Any) -> None:
    # A second start of the same app (a test client entered twice, a server that restarts
    # its lifespan): the last shutdown closed the store, so open a new one.
    app.state.store = open_store(settings)
    app.state.store_closed = False
    if app.state.limiter is not None:
        app.state.limiter.store = app.state.store


def _start_watcher(app: FastAPI, settings: Any) -> BuildWatcher | None:
    if not getattr(settings, "reload_interval_s", 0) > 0:
        return None
    watcher = BuildWatcher(
        lambda: app.state.bot, lambda bot: _swap_bot(app, bot), interval_s=settings.reload_interval_s
    )
    watcher.start()
    return watcher


def _swap_bot(app: FastAPI, bot: FAQBot) -> None:
    """Put a bot on a new index build in service. One assignment: a request reads
    `app.state.bot` once, so it runs on the old bot or the new one, never a mix; the old
    bot (and its caches) goes when the last request holding it ends. The FAQ pages'
    catalogue follows (see `faq_pages.catalogue`)."""
    app.state.bot = bot


def _load_bot(app: FastAPI, settings: Any) -> None:
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


def ready_bot(app: FastAPI) -> FAQBot:
    """The bot in service; ApiError 503 while it loads or when loading failed."""
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
