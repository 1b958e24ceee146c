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

The interface is the `AnswerStore` protocol (`protocol.py`); backends (one
implementation, `SqlStore`, on SQLAlchemy Core, in `_sql.py`):

    FAQBOT_DB_PATH=faqbot.sqlite3          SQLite, the default: one machine, any number of workers
    FAQBOT_DB_URL=sqlite:///path           the same, as a URL
    FAQBOT_DB_URL=postgresql://u:p@h:5432/db   PostgreSQL: replicas on several machines

The schema is created and migrated at start-up (`ensure_schema`), safely when
several processes start at once (`_schema.py`). Errors (defined in
`faqbot.core.errors`, re-exported here):

    StoreError      the database failed (down, unreachable, closed): degrade, don't 5xx
    UnknownAnswer   feedback for an answer id the log does not hold (a LookupError)
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from faqbot.core.errors import StoreError, UnknownAnswer
from faqbot.core.records import Answer
from faqbot.store._sql import DEFAULT_BUSY_TIMEOUT_S, SCHEMA_VERSION, SqlStore
from faqbot.store._types import (
    MAX_COMMENT_CHARS,
    RATINGS,
    BucketResult,
    FeedbackEntry,
    LoggedAnswer,
    Rating,
    StoreStats,
)
from faqbot.store.protocol import AnswerStore
from faqbot.store.writer import LogWriter, new_answer_id

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
    "LogWriter",
    "LoggedAnswer",
    "Rating",
    "SqlStore",
    "Store",
    "StoreError",
    "StoreStats",
    "UnknownAnswer",
    "database_target",
    "log_answer",
    "new_answer_id",
    "open_store",
    "warn_store_failure",
]

log = logging.getLogger(__name__)

Store = SqlStore
"""`Store(path_or_url)`: the SQL store class, kept under its first name (code and tests construct
it). Type hints name the interface, `AnswerStore`."""

WARN_EVERY_S = 30.0
"""A store that keeps failing is warned about at most this often per process."""


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
    answer_id: str | None = None,
    background: bool = False,
) -> str | None:
    """Log an answer from any door; the answer's id (`answer_id` when given), or None when
    the store failed (warned about and counted, never raised: the asker still gets the answer).

    With `background`, a store that is healthy (its last call succeeded) gets the row through
    its `writer` and the id is returned at once: the row is written a moment later, in order,
    and this process's reads wait for it. A store that failed last is written to here, as
    before (its breaker answers at once; a store back up logs again on the next answer).
    A failed background write is warned about and counted by the writer (`writer.failed`).
    """
    if store is None:
        return None
    fields: dict[str, Any] = {"latency_ms": latency_ms, "channel": channel, "conversation_id": conversation_id}
    fields |= {"understood": understood, "handoff": handoff}
    writer: LogWriter | None = getattr(store, "writer", None) if background else None
    if writer is not None and _defers(store):
        answer_id = answer_id or new_answer_id()
        writer.submit(functools.partial(store.log_answer, answer, answer_id=answer_id, **fields))
        return answer_id
    if answer_id is not None:
        fields["answer_id"] = answer_id
    try:
        return store.log_answer(answer, **fields)
    except StoreError as error:
        warn_store_failure("answering without logging", error)
        return None


def _defers(store: AnswerStore) -> bool:
    # A healthy store whose rows another thread may write (SqlStore, not in-memory SQLite).
    return bool(getattr(store, "healthy", False) and getattr(store, "defers_writes", False))
