"""The store: the conversation log, feedback, and the state replicas share.

Everything that must survive a restart or be seen by every server process lives
here: each answer any door gives (time, channel, question, answer kind, top
passage, confidence, latency), feedback on an answer (one vote per answer, the
last counts), Slack delivery ids (one reply per event across replicas) and
per-client rate budgets.

    >>> store = open_store(Settings())                        # doctest: +SKIP
    >>> answer_id = store.log_answer(answer, latency_ms=12.5, channel="web")  # doctest: +SKIP
    >>> store.add_feedback("up", answer_id=answer_id)         # doctest: +SKIP
    1

Backends (one implementation, `SqlStore`, on SQLAlchemy Core):

    FAQBOT_DB_PATH=faqbot.sqlite3          SQLite, the default: one machine, any number of workers
    FAQBOT_DB_URL=sqlite:///path           the same, as a URL
    FAQBOT_DB_URL=postgresql://u:p@h:5432/db   PostgreSQL: replicas on several machines

The schema is created and migrated at start-up (`ensure_schema`), safely when
several processes start at once. Errors:

    StoreError      the database failed (down, unreachable, closed): degrade, don't 5xx
    UnknownAnswer   feedback for an answer id the log does not hold (a LookupError)
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from faqbot.core.records import Answer
from faqbot.store._sql import DEFAULT_BUSY_TIMEOUT_S, SCHEMA_VERSION, SqlStore
from faqbot.store._types import (
    MAX_COMMENT_CHARS,
    RATINGS,
    BucketResult,
    FeedbackEntry,
    LoggedAnswer,
    Rating,
    StoreError,
    StoreStats,
    UnknownAnswer,
)

if TYPE_CHECKING:
    from faqbot.core.config import Settings

__all__ = [
    "DEFAULT_BUSY_TIMEOUT_S",
    "MAX_COMMENT_CHARS",
    "RATINGS",
    "SCHEMA_VERSION",
    "AnswerStore",
    "BucketResult",
    "FeedbackEntry",
    "LoggedAnswer",
    "Rating",
    "SqlStore",
    "Store",
    "StoreError",
    "StoreStats",
    "UnknownAnswer",
    "database_target",
    "log_answer",
    "open_store",
]

log = logging.getLogger(__name__)

Store = SqlStore
"""`Store(path_or_url)`: the store class (kept under its first name)."""

WARN_EVERY_S = 30.0
"""A store that keeps failing is warned about at most this often per process."""


@runtime_checkable
class AnswerStore(Protocol):
    """What the doors, the rate limiter and the reports need from a store."""

    backend: str
    failures: int

    def ensure_schema(self) -> None: ...
    def close(self) -> None: ...
    def describe(self) -> str: ...
    def log_answer(
        self,
        answer: Answer,
        *,
        latency_ms: float | None = None,
        channel: str = "web",
        conversation_id: str | None = None,
        understood: str | None = None,
        handoff: bool = False,
    ) -> str: ...
    def last_turn(self, conversation_id: str) -> LoggedAnswer | None: ...
    def mark_handoff(self, answer_id: str) -> bool: ...
    def add_feedback(
        self,
        rating: Rating,
        *,
        answer_id: str | None = None,
        question: str | None = None,
        kind: str | None = None,
        passage_id: str | None = None,
        comment: str | None = None,
    ) -> int: ...
    def claim_delivery(self, *keys: str) -> bool: ...
    def take_token(self, key: str, capacity: int, refill_per_s: float) -> BucketResult: ...
    def conversations(self, *, kind: str | None = None, limit: int | None = None) -> list[LoggedAnswer]: ...
    def feedback(
        self, *, rating: Rating | None = None, answer_id: str | None = None, limit: int | None = None
    ) -> list[FeedbackEntry]: ...
    def stats(self, *, days: int = 30) -> StoreStats: ...


def database_target(settings: Settings) -> str | Path:
    """The database the settings name: `db_url` when set, else the SQLite file `db_path`."""
    url = getattr(settings, "db_url", None)
    if url is not None:
        text = url.get_secret_value() if hasattr(url, "get_secret_value") else str(url)
        if text.strip():
            return text.strip()
    return Path(settings.db_path)


def open_store(settings: Settings) -> SqlStore:
    """The store the settings name (nothing connects until first use)."""
    return SqlStore(database_target(settings))


_last_warning: dict[str, float] = {}


def warn_store_failure(what: str, error: StoreError, *, clock: Callable[[], float] = time.monotonic) -> None:
    """Log a store failure as a warning, at most once per WARN_EVERY_S for each `what`."""
    now = clock()
    if now - _last_warning.get(what, -WARN_EVERY_S) >= WARN_EVERY_S:
        _last_warning[what] = now
        log.warning("%s: %s (the store's failure count is in /api/ready)", what, error)


def log_answer(
    store: AnswerStore | None,
    answer: Answer,
    *,
    latency_ms: float | None,
    channel: str,
    conversation_id: str | None = None,
    understood: str | None = None,
    handoff: bool = False,
) -> str | None:
    """Log an answer from any door; the answer's id, or None when the store failed (warned
    about and counted, never raised: the asker still gets the answer)."""
    if store is None:
        return None
    try:
        return store.log_answer(
            answer,
            latency_ms=latency_ms,
            channel=channel,
            conversation_id=conversation_id,
            understood=understood,
            handoff=handoff,
        )
    except StoreError as error:
        warn_store_failure("answering without logging", error)
        return None
