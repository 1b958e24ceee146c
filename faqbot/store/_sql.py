"""`SqlStore`: the store on SQLite or PostgreSQL, through SQLAlchemy Core.

The SQL is written once for both dialects (both speak `INSERT ... ON CONFLICT`
and `RETURNING`); the two places where they differ (the smaller of two numbers,
an auto-numbered key) are filled in per dialect. Engines per dialect are made in
`_engine.py`, the tables and their migrations live in `_schema.py`, the reads in
`_reads.py`.

Migrations run in one transaction under a lock (SQLite `BEGIN IMMEDIATE`, a
PostgreSQL advisory lock), which serializes processes starting at once.

When the database fails, calls raise `StoreError` and, for the next
`RETRY_AFTER_S` seconds, fail at once without trying again: a database that is
down costs requests nothing while it is down.

Answers may be logged without waiting (`writer`, a `LogWriter`: `faqbot.store.log_answer`
with `background=True`); every read of the log first waits for the rows this process
queued (`flush_all`), and `close()` writes this store's before closing.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from faqbot.core.errors import StoreError, UnknownAnswer
from faqbot.core.records import Answer
from faqbot.store._engine import engine_url, make_engine
from faqbot.store._reads import (
    conversations_query,
    feedback_entry,
    feedback_query,
    logged_answer,
    read_stats,
    with_limit,
)
from faqbot.store._schema import MIGRATIONS, SCHEMA_VERSION, migrate
from faqbot.store._types import (
    MAX_COMMENT_CHARS,
    RATINGS,
    BucketResult,
    FeedbackEntry,
    LoggedAnswer,
    Rating,
    StoreStats,
)
from faqbot.store.writer import LogWriter, flush_all, new_answer_id

__all__ = ["DEFAULT_BUSY_TIMEOUT_S", "MIGRATIONS", "SCHEMA_VERSION", "SqlStore", "engine_url"]

DEFAULT_BUSY_TIMEOUT_S = 10.0
RETRY_AFTER_S = 1.0
"""After a failure, calls fail at once for this long before the database is tried again."""
DELIVERY_TTL_S = 86_400.0
"""Slack retries an event for about an hour; delivery ids are kept a day, then pruned."""
PRUNE_BUCKETS_EVERY = 1000
"""Every this many takes, buckets idle long enough to be full again are deleted (a new one is the same)."""

_LEAST = {"sqlite": "min", "postgresql": "least"}
_GREATEST = {"sqlite": "max", "postgresql": "greatest"}


class SqlStore:
    """The store on one database. Cheap to construct: nothing connects before first use.

        >>> SqlStore("faqbot.sqlite3").backend
        'sqlite'

    `target` is a SQLite file path, or a URL: `sqlite:///path` or
    `postgresql://user:password@host:port/db`. A SQLite `":memory:"` database is
    for single-threaded use only. `clock` (seconds since the epoch) is the time
    rate budgets and delivery ids are judged by; replicas' clocks should agree
    (NTP), as with any shared state.
    """

    def __init__(
        self,
        target: str | Path,
        *,
        busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S,
        connect_timeout_s: float = 3.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not str(target):
            raise ValueError("the database path is empty")
        if busy_timeout_s < 0:
            raise ValueError(f"busy_timeout_s must be >= 0, got {busy_timeout_s!r}")
        self.url = engine_url(target)
        self.backend = "postgresql" if self.url.get_backend_name() == "postgresql" else "sqlite"
        self.path: str | Path | None = None
        if self.backend == "sqlite":
            database = self.url.database or ":memory:"
            self.path = database if database == ":memory:" else Path(database)
            if isinstance(self.path, Path) and self.path.is_dir():
                raise ValueError(f"the database path {str(self.path)!r} is a folder, not a file")
        self.busy_timeout_s = busy_timeout_s
        self.connect_timeout_s = connect_timeout_s
        self._clock = clock
        self._engine: Engine | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._schema_ready = False
        self._down_until = 0.0
        self._takes = 0
        self.failures = 0
        """How many calls failed because of the database (shown by /api/ready)."""
        self.last_failure: str | None = None
        self.writer = LogWriter()
        """Writes no request waits for (answers' log rows), in order; drained by reads and `close()`."""

    def __repr__(self) -> str:
        return f"SqlStore({self.describe()!r})"

    def describe(self) -> str:
        """The database, for logs and /api/ready: the URL without its password."""
        if self.backend == "sqlite":
            return str(self.path)
        return self.url.render_as_string(hide_password=True).replace("postgresql+psycopg", "postgresql")

    # ------------------------------------------------------------------ connections

    def _get_engine(self) -> Engine:
        with self._lock:
            if self._closed:
                raise StoreError(f"{self!r} is closed")
            if self._engine is None:
                self._engine = make_engine(
                    self.url, busy_timeout_s=self.busy_timeout_s, connect_timeout_s=self.connect_timeout_s
                )
            return self._engine

    @contextmanager
    def _transaction(self, *, migrating: bool = False) -> Iterator[Connection]:
        """One transaction; a database failure becomes StoreError (and opens the breaker)."""
        if time.monotonic() < self._down_until and not migrating:
            self.failures += 1
            raise StoreError(f"the database {self.describe()} failed {RETRY_AFTER_S:g} s ago: not retried yet")
        engine = self._get_engine()
        if not migrating and not self._schema_ready:
            self.ensure_schema()
        try:
            connection = engine.connect()
            if migrating and self.backend == "sqlite":
                connection = connection.execution_options(sqlite_immediate=True)
            with connection, connection.begin():
                yield connection
        except SQLAlchemyError as error:
            self.failures += 1
            self.last_failure = type(getattr(error, "orig", None) or error).__name__
            self._down_until = time.monotonic() + RETRY_AFTER_S
            raise StoreError(f"the database {self.describe()} failed: {_first_line(error)}") from error
        self._down_until = 0.0

    def ensure_schema(self) -> None:
        """Create or upgrade the tables now (to fail at start-up, not on first write).

        Safe when several processes start at once: the migration runs under a lock
        (PostgreSQL advisory lock, SQLite write lock) and re-reads the version inside it.
        """
        if self._schema_ready:
            return
        with self._transaction(migrating=True) as connection:
            migrate(connection, self.backend, self.describe())
        self._schema_ready = True

    def schema_version(self) -> int:
        """The schema version the database is at."""
        with self._transaction() as connection:
            return int(connection.execute(sa.text("SELECT max(version) FROM schema_version")).scalar() or 0)

    @property
    def healthy(self) -> bool:
        """False from a failed call to the database until the next call succeeds (the breaker
        open, or past its `RETRY_AFTER_S` and not tried again yet); True before the first call."""
        return self._down_until == 0.0

    @property
    def defers_writes(self) -> bool:
        """Whether rows may be written by `writer` (not for an in-memory SQLite database:
        it exists in one thread only)."""
        return self.path != ":memory:"

    def close(self) -> None:
        """Write the queued rows, then close every connection this store opened; later use
        raises StoreError."""
        self.writer.close()
        with self._lock:
            self._closed = True
            engine, self._engine = self._engine, None
        if engine is not None:
            engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ log and feedback

    def log_answer(
        self,
        answer: Answer,
        *,
        latency_ms: float | None = None,
        channel: str = "web",
        conversation_id: str | None = None,
        understood: str | None = None,
        handoff: bool = False,
        answer_id: str | None = None,
    ) -> str:
        """Log one answer; return its id (`answer_id` when given, else a new random hex
        string, safe to show to clients).

        `conversation_id` ties it to a conversation (see `last_turn`), `understood` is the
        question as the bot answered it when it differs from the one asked (a resolved
        follow-up), `handoff` whether the answer offered a way to a person."""
        answer_id = answer_id or new_answer_id()
        top = answer.citations[0].passage_id if answer.citations else None
        if latency_ms is None:
            latency_ms = answer.timings_ms.get("total")
        with self._transaction() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO conversations (id, created_at, channel, question, kind, top_passage_id,"
                    " confidence, latency_ms, conversation_id, understood, handoff, hedged) VALUES (:id, :at,"
                    " :channel, :question, :kind, :top, :confidence, :latency, :conversation_id, :understood,"
                    " :handoff, :hedged)"
                ),
                {
                    "id": answer_id,
                    "at": self._now_text(),
                    "channel": channel,
                    "question": answer.question,
                    "kind": answer.kind,
                    "top": top,
                    "confidence": float(answer.confidence),
                    "latency": latency_ms,
                    "conversation_id": conversation_id,
                    "understood": understood,
                    "handoff": int(bool(handoff)),
                    "hedged": int(answer.hedged),
                },
            )
        return answer_id

    def last_turn(self, conversation_id: str) -> LoggedAnswer | None:
        """The latest logged answer of a conversation (any process logged it), or None."""
        sql, params = conversations_query(conversation_id=conversation_id)
        rows = self._select(sql, params, 1)
        return logged_answer(rows[0]) if rows else None

    def mark_handoff(self, answer_id: str) -> bool:
        """Record that a way to a person was offered on a logged answer (e.g. after a
        thumbs-down); False when the log does not hold the answer."""
        flush_all()
        with self._transaction() as connection:
            result = connection.execute(
                sa.text("UPDATE conversations SET handoff = 1 WHERE id = :id"), {"id": answer_id}
            )
            return bool(result.rowcount)

    def add_feedback(
        self,
        rating: Rating,
        *,
        answer_id: str | None = None,
        question: str | None = None,
        kind: str | None = None,
        passage_id: str | None = None,
        comment: str | None = None,
    ) -> int:
        """Store a thumbs up or down; return the feedback id.

        With `answer_id` (an answer any process logged), the question, kind and
        passage are copied from the logged answer unless given (UnknownAnswer when
        the id is not in the log), and a later vote on the same answer replaces the
        earlier one (same id). Without it, give at least the question.
        """
        if rating not in RATINGS:
            raise ValueError(f"rating must be 'up' or 'down', got {rating!r}")
        if comment is not None and len(comment) > MAX_COMMENT_CHARS:
            raise ValueError(f"the comment is {len(comment)} characters long; the limit is {MAX_COMMENT_CHARS}")
        values = {
            "at": self._now_text(),
            "question": question,
            "kind": kind,
            "passage": passage_id,
            "rating": rating,
            "comment": comment,
            "answer_id": answer_id,
        }
        if answer_id is None and not question:
            raise ValueError("feedback needs an answer_id or a question")
        flush_all()  # the answer may be this process's, still queued
        with self._transaction() as connection:
            if answer_id is None:
                return int(
                    connection.execute(
                        sa.text(
                            "INSERT INTO feedback (created_at, answer_id, question, kind, passage_id, rating, comment)"
                            " VALUES (:at, NULL, :question, :kind, :passage, :rating, :comment) RETURNING id"
                        ),
                        values,
                    ).scalar_one()
                )
            # One statement reads the logged answer and writes (or replaces) the vote: no window
            # in which the answer could be read and the write lost, or two votes both land.
            feedback_id = connection.execute(
                sa.text(
                    "INSERT INTO feedback (created_at, answer_id, question, kind, passage_id, rating, comment)"
                    " SELECT :at, id, coalesce(:question, question), coalesce(:kind, kind),"
                    " coalesce(:passage, top_passage_id), :rating, :comment FROM conversations WHERE id = :answer_id"
                    " ON CONFLICT (answer_id) DO UPDATE SET created_at = excluded.created_at,"
                    " question = excluded.question, kind = excluded.kind, passage_id = excluded.passage_id,"
                    " rating = excluded.rating, comment = excluded.comment"
                    " RETURNING id"
                ),
                values,
            ).scalar()
        if feedback_id is None:
            raise UnknownAnswer(f"no logged answer has the id {answer_id!r}")
        return int(feedback_id)

    # ------------------------------------------------------------------ shared state

    def claim_delivery(self, *keys: str) -> bool:
        """True when none of `keys` (a Slack event_id, a `channel:ts`) was claimed before, by
        any process sharing this database; the keys are then remembered for a day. Atomic:
        of two processes claiming the same key at once, exactly one gets True."""
        keys = tuple(dict.fromkeys(key for key in keys if key))
        if not keys:
            return True
        now = self._clock()
        with self._transaction() as connection:
            connection.execute(
                sa.text("DELETE FROM deliveries WHERE created_at < :cutoff"), {"cutoff": now - DELIVERY_TTL_S}
            )
            new = 0
            for key in keys:
                inserted = connection.execute(
                    sa.text(
                        "INSERT INTO deliveries (key, created_at) VALUES (:key, :at)"
                        " ON CONFLICT (key) DO NOTHING RETURNING key"
                    ),
                    {"key": key, "at": now},
                ).first()
                new += inserted is not None
        return new == len(keys)

    def take_token(self, key: str, capacity: int, refill_per_s: float) -> BucketResult:
        """Take one token from `key`'s bucket (`capacity` tokens, refilled at `refill_per_s`),
        shared by every process on this database. One atomic statement: concurrent
        requests of one client, on any replica, never take the same token twice."""
        if capacity < 1 or not refill_per_s > 0:
            raise ValueError(f"a bucket needs capacity >= 1 and a positive refill, got {capacity!r}, {refill_per_s!r}")
        least, greatest = _LEAST[self.backend], _GREATEST[self.backend]
        # The bucket's level now: what was left plus the refill since, at most the capacity.
        level = (
            f"{least}(CAST(:capacity AS DOUBLE PRECISION), rate_buckets.tokens"
            f" + {greatest}(0.0, :now - rate_buckets.updated_at) * :refill)"
        )
        with self._transaction() as connection:
            row = connection.execute(
                sa.text(
                    "INSERT INTO rate_buckets (key, tokens, updated_at, taken)"
                    " VALUES (:key, CAST(:capacity AS DOUBLE PRECISION) - 1.0, :now, 1)"
                    " ON CONFLICT (key) DO UPDATE SET"
                    f" tokens = CASE WHEN {level} >= 1.0 THEN {level} - 1.0 ELSE {level} END,"
                    f" taken = CASE WHEN {level} >= 1.0 THEN 1 ELSE 0 END,"
                    f" updated_at = {greatest}(rate_buckets.updated_at, :now)"
                    " RETURNING taken, tokens"
                ),
                {"key": key, "capacity": capacity, "now": self._clock(), "refill": refill_per_s},
            ).one()
        self._takes += 1
        if self._takes % PRUNE_BUCKETS_EVERY == 0:
            self.forget_idle_buckets(capacity / refill_per_s)
        taken, tokens = bool(row[0]), float(row[1])
        wait = 0.0 if taken else max(0.0, (1.0 - tokens) / refill_per_s)
        return BucketResult(taken=taken, tokens=tokens, wait_s=wait)

    def forget_idle_buckets(self, idle_s: float) -> int:
        """Delete the rate buckets untouched for `idle_s` seconds (the time a bucket takes to
        fill up: such a bucket is the same as a new one); the number deleted."""
        with self._transaction() as connection:
            result = connection.execute(
                sa.text("DELETE FROM rate_buckets WHERE updated_at < :cutoff"), {"cutoff": self._clock() - idle_s}
            )
            return int(result.rowcount or 0)

    # ------------------------------------------------------------------ reads

    def conversations(
        self, *, kind: str | None = None, hedged: bool | None = None, limit: int | None = None
    ) -> list[LoggedAnswer]:
        """Logged answers, newest first; `kind` (e.g. "no_answer") and `hedged` filter, `limit`
        caps the count."""
        sql, params = conversations_query(kind=kind, hedged=hedged)
        return [logged_answer(row) for row in self._select(sql, params, limit)]

    def feedback(
        self, *, rating: Rating | None = None, answer_id: str | None = None, limit: int | None = None
    ) -> list[FeedbackEntry]:
        """Feedback, newest first; filter by `rating` ("up" / "down") or `answer_id`."""
        sql, params = feedback_query(rating=rating, answer_id=answer_id)
        return [feedback_entry(row) for row in self._select(sql, params, limit)]

    def stats(self, *, days: int = 30) -> StoreStats:
        """Counts over the last `days` days (UTC): questions, answered, no-answers, thumbs,
        handoffs (answers that offered a way to a person), and questions per day."""
        if isinstance(days, bool) or not isinstance(days, int) or days < 1:
            raise ValueError(f"days must be a positive integer, got {days!r}")
        flush_all()
        since = (dt.datetime.now(dt.UTC) - dt.timedelta(days=days)).isoformat(timespec="milliseconds")
        with self._transaction() as connection:
            return read_stats(connection, since)

    def _select(self, sql: str, params: dict[str, object], limit: int | None) -> list[Any]:
        sql, params = with_limit(sql, params, limit)
        flush_all()  # this process's queued rows first: reads see our own writes
        with self._transaction() as connection:
            return list(connection.execute(sa.text(sql), params).all())

    def _now_text(self) -> str:
        # ISO 8601 in UTC with microseconds: sorts as text in time order, on both dialects
        # (rows written by the first releases have milliseconds, which sort before).
        return dt.datetime.fromtimestamp(self._clock(), dt.UTC).isoformat(timespec="microseconds")


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__
