"""`SqlStore`: the store on SQLite or PostgreSQL, through SQLAlchemy Core.

The SQL is written once for both dialects (both speak `INSERT ... ON CONFLICT`
and `RETURNING`); the two places where they differ (the smaller of two numbers,
an auto-numbered key) are filled in per dialect.

SQLite: each pooled connection runs in WAL mode with a busy timeout, so readers
never block the writer and a writer waits for another (in this process or in
another worker) instead of failing with "database is locked". Migrations run in
a `BEGIN IMMEDIATE` transaction, which serializes processes starting at once.

PostgreSQL: connections are checked before use (`pool_pre_ping`), so after a
database restart the next request reconnects; migrations hold a transaction-level
advisory lock, so replicas starting together migrate one after the other.

When the database fails, calls raise `StoreError` and, for the next
`RETRY_AFTER_S` seconds, fail at once without trying again: a database that is
down costs requests nothing while it is down.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from faqbot.core.records import Answer
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

__all__ = ["DEFAULT_BUSY_TIMEOUT_S", "SCHEMA_VERSION", "SqlStore"]

log = logging.getLogger(__name__)

DEFAULT_BUSY_TIMEOUT_S = 10.0
RETRY_AFTER_S = 1.0
"""After a failure, calls fail at once for this long before the database is tried again."""
DELIVERY_TTL_S = 86_400.0
PRUNE_BUCKETS_EVERY = 1000
"""Every this many takes, buckets idle long enough to be full again are deleted (a new one is the same)."""
"""Slack retries an event for about an hour; delivery ids are kept a day, then pruned."""
_ADVISORY_LOCK_ID = 0x6661_7162_6F74  # "faqbot": serializes migrations on PostgreSQL

# --------------------------------------------------------------------------- migrations
# Version 1 is the schema of the first releases (SQLite only): a file made by them has
# these tables and no schema_version table, and is upgraded in place. `{serial}` is the
# dialect's auto-numbered integer key.

_V1 = [
    """CREATE TABLE IF NOT EXISTS conversations (
        id             TEXT PRIMARY KEY,
        created_at     TEXT NOT NULL,
        channel        TEXT NOT NULL,
        question       TEXT NOT NULL,
        kind           TEXT NOT NULL,
        top_passage_id TEXT,
        confidence     REAL NOT NULL,
        latency_ms     REAL
    )""",
    "CREATE INDEX IF NOT EXISTS conversations_created ON conversations (created_at)",
    """CREATE TABLE IF NOT EXISTS feedback (
        id         {serial},
        created_at TEXT NOT NULL,
        answer_id  TEXT REFERENCES conversations (id),
        question   TEXT,
        kind       TEXT,
        passage_id TEXT,
        rating     TEXT NOT NULL CHECK (rating IN ('up', 'down')),
        comment    TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS feedback_answer ON feedback (answer_id)",
]
# Version 2: one vote per answer (the last one counts; feedback without an answer id,
# NULL, stays distinct), Slack delivery ids and rate budgets shared by all processes.
_V2 = [
    """DELETE FROM feedback WHERE answer_id IS NOT NULL
       AND id < (SELECT max(newer.id) FROM feedback AS newer WHERE newer.answer_id = feedback.answer_id)""",
    "DROP INDEX IF EXISTS feedback_answer",
    "CREATE UNIQUE INDEX IF NOT EXISTS feedback_one_vote_per_answer ON feedback (answer_id)",
    "CREATE INDEX IF NOT EXISTS conversations_kind ON conversations (kind, created_at)",
    """CREATE TABLE IF NOT EXISTS deliveries (
        key        TEXT PRIMARY KEY,
        created_at DOUBLE PRECISION NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS deliveries_created ON deliveries (created_at)",
    """CREATE TABLE IF NOT EXISTS rate_buckets (
        key        TEXT PRIMARY KEY,
        tokens     DOUBLE PRECISION NOT NULL,
        updated_at DOUBLE PRECISION NOT NULL,
        taken      INTEGER NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS rate_buckets_updated ON rate_buckets (updated_at)",
]
# Version 3: conversations. Each logged answer may belong to a conversation (the widget's
# conversation_id, a Slack thread), records the question as the bot understood it (a
# follow-up merged with the previous turn) and whether a way to a person was offered.
_V3 = [
    "ALTER TABLE conversations ADD COLUMN conversation_id TEXT",
    "ALTER TABLE conversations ADD COLUMN understood TEXT",
    "ALTER TABLE conversations ADD COLUMN handoff INTEGER NOT NULL DEFAULT 0",
    "CREATE INDEX IF NOT EXISTS conversations_thread ON conversations (conversation_id, created_at)",
]
MIGRATIONS: list[list[str]] = [_V1, _V2, _V3]
SCHEMA_VERSION = len(MIGRATIONS)

_SERIAL = {
    "sqlite": "INTEGER PRIMARY KEY AUTOINCREMENT",
    "postgresql": "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
}
_LEAST = {"sqlite": "min", "postgresql": "least"}
_GREATEST = {"sqlite": "max", "postgresql": "greatest"}


def engine_url(target: str | Path) -> sa.URL:
    """The SQLAlchemy URL for a database URL (`postgresql://...`, `sqlite:///path`) or a
    SQLite file path. `postgresql://` uses psycopg 3."""
    text = str(target)
    if "://" not in text:
        return sa.URL.create("sqlite", database=text)
    try:
        url = make_url(text)
    except ArgumentError as error:
        raise ValueError(f"cannot read the database URL: {error}") from None
    if url.drivername in ("postgresql", "postgres", "postgresql+psycopg"):
        return url.set(drivername="postgresql+psycopg")
    if url.drivername in ("sqlite", "sqlite+pysqlite"):
        return url
    raise ValueError(
        f"unsupported database {url.drivername!r}: use postgresql://user:password@host:port/db or sqlite:///path"
    )


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

    def __repr__(self) -> str:
        return f"SqlStore({self.describe()!r})"

    def describe(self) -> str:
        """The database, for logs and /api/ready: the URL without its password."""
        if self.backend == "sqlite":
            return str(self.path)
        return self.url.render_as_string(hide_password=True).replace("postgresql+psycopg", "postgresql")

    # ------------------------------------------------------------------ connections

    def _make_engine(self) -> Engine:
        if self.backend == "postgresql":
            return sa.create_engine(
                self.url,
                pool_pre_ping=True,
                pool_size=5,
                max_overflow=5,
                pool_timeout=self.connect_timeout_s,
                connect_args={"connect_timeout": max(1, round(self.connect_timeout_s)), "application_name": "faqbot"},
            )
        if isinstance(self.path, Path):
            self.path.parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(self.url, connect_args={"timeout": self.busy_timeout_s, "check_same_thread": False})
        busy_ms = int(self.busy_timeout_s * 1000)

        @event.listens_for(engine, "connect")
        def _configure(dbapi_connection: Any, _record: Any) -> None:
            # Autocommit at the driver level; SQLAlchemy's own BEGIN (below) opens transactions,
            # so a migration can ask for BEGIN IMMEDIATE (the write lock up front).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout = {busy_ms}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(connection: Connection) -> None:
            immediate = connection.get_execution_options().get("sqlite_immediate", False)
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine

    def _get_engine(self) -> Engine:
        with self._lock:
            if self._closed:
                raise StoreError(f"{self!r} is closed")
            if self._engine is None:
                self._engine = self._make_engine()
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
        dialect = self.backend
        with self._transaction(migrating=True) as connection:
            if dialect == "postgresql":
                connection.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": _ADVISORY_LOCK_ID})
            connection.execute(sa.text("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"))
            version = connection.execute(sa.text("SELECT max(version) FROM schema_version")).scalar() or 0
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"the database {self.describe()} has schema version {version}, newer than this faqbot "
                    f"({SCHEMA_VERSION}): upgrade faqbot"
                )
            for number, steps in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in steps:
                    connection.execute(sa.text(statement.format(serial=_SERIAL[dialect])))
                connection.execute(sa.text("DELETE FROM schema_version"))
                connection.execute(sa.text("INSERT INTO schema_version (version) VALUES (:v)"), {"v": number})
                log.info("database %s: schema upgraded to version %d", self.describe(), number)
        self._schema_ready = True

    def schema_version(self) -> int:
        """The schema version the database is at."""
        with self._transaction() as connection:
            return int(connection.execute(sa.text("SELECT max(version) FROM schema_version")).scalar() or 0)

    def close(self) -> None:
        """Close every connection this store opened; later use raises StoreError."""
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
    ) -> str:
        """Log one answer; return its id (a random hex string, safe to show to clients).

        `conversation_id` ties it to a conversation (see `last_turn`), `understood` is the
        question as the bot answered it when it differs from the one asked (a resolved
        follow-up), `handoff` whether the answer offered a way to a person."""
        answer_id = uuid.uuid4().hex
        top = answer.citations[0].passage_id if answer.citations else None
        if latency_ms is None:
            latency_ms = answer.timings_ms.get("total")
        with self._transaction() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO conversations (id, created_at, channel, question, kind, top_passage_id,"
                    " confidence, latency_ms, conversation_id, understood, handoff) VALUES (:id, :at, :channel,"
                    " :question, :kind, :top, :confidence, :latency, :conversation_id, :understood, :handoff)"
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
                },
            )
        return answer_id

    def last_turn(self, conversation_id: str) -> LoggedAnswer | None:
        """The latest logged answer of a conversation (any process logged it), or None."""
        rows = self._select(
            f"SELECT {_LOGGED_COLUMNS} FROM conversations WHERE conversation_id = :conversation_id"
            " ORDER BY created_at DESC, id DESC",
            {"conversation_id": conversation_id},
            1,
        )
        return _logged_answer(rows[0]) if rows else None

    def mark_handoff(self, answer_id: str) -> bool:
        """Record that a way to a person was offered on a logged answer (e.g. after a
        thumbs-down); False when the log does not hold the answer."""
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

    def conversations(self, *, kind: str | None = None, limit: int | None = None) -> list[LoggedAnswer]:
        """Logged answers, newest first; `kind` filters (e.g. "no_answer"), `limit` caps the count."""
        sql = f"SELECT {_LOGGED_COLUMNS} FROM conversations"
        params: dict[str, object] = {}
        if kind is not None:
            sql += " WHERE kind = :kind"
            params["kind"] = kind
        sql += " ORDER BY created_at DESC, id DESC"
        return [_logged_answer(row) for row in self._select(sql, params, limit)]

    def feedback(
        self, *, rating: Rating | None = None, answer_id: str | None = None, limit: int | None = None
    ) -> list[FeedbackEntry]:
        """Feedback, newest first; filter by `rating` ("up" / "down") or `answer_id`."""
        clauses: list[str] = []
        params: dict[str, object] = {}
        if rating is not None:
            clauses.append("rating = :rating")
            params["rating"] = rating
        if answer_id is not None:
            clauses.append("answer_id = :answer_id")
            params["answer_id"] = answer_id
        sql = "SELECT id, created_at, answer_id, question, kind, passage_id, rating, comment FROM feedback"
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += " ORDER BY created_at DESC, id DESC"
        return [
            FeedbackEntry(
                id=row.id,
                created_at=dt.datetime.fromisoformat(row.created_at),
                answer_id=row.answer_id,
                question=row.question,
                kind=row.kind,
                passage_id=row.passage_id,
                rating=row.rating,
                comment=row.comment,
            )
            for row in self._select(sql, params, limit)
        ]

    def stats(self, *, days: int = 30) -> StoreStats:
        """Counts over the last `days` days (UTC): questions, answered, no-answers, thumbs,
        handoffs (answers that offered a way to a person), and questions per day."""
        if isinstance(days, bool) or not isinstance(days, int) or days < 1:
            raise ValueError(f"days must be a positive integer, got {days!r}")
        since = (dt.datetime.now(dt.UTC) - dt.timedelta(days=days)).isoformat(timespec="milliseconds")
        with self._transaction() as connection:
            by_day = connection.execute(
                sa.text(
                    "SELECT substr(created_at, 1, 10) AS day, count(*) AS questions,"
                    " sum(CASE WHEN kind = 'no_answer' THEN 1 ELSE 0 END) AS no_answer,"
                    " sum(CASE WHEN handoff = 1 THEN 1 ELSE 0 END) AS handoffs"
                    " FROM conversations WHERE created_at >= :since GROUP BY substr(created_at, 1, 10) ORDER BY day"
                ),
                {"since": since},
            ).all()
            votes = dict(
                connection.execute(
                    sa.text("SELECT rating, count(*) FROM feedback WHERE created_at >= :since GROUP BY rating"),
                    {"since": since},
                ).all()
            )
        questions = sum(row.questions for row in by_day)
        no_answer = sum(int(row.no_answer) for row in by_day)
        return StoreStats(
            questions=questions,
            answered=questions - no_answer,
            no_answer=no_answer,
            thumbs_up=int(votes.get("up", 0)),
            thumbs_down=int(votes.get("down", 0)),
            handoffs=sum(int(row.handoffs) for row in by_day),
            by_day={row.day: int(row.questions) for row in by_day},
        )

    def _select(self, sql: str, params: dict[str, object], limit: int | None) -> list[Any]:
        if limit is not None:
            if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
                raise ValueError(f"limit must be a non-negative integer, got {limit!r}")
            sql += " LIMIT :limit"
            params = {**params, "limit": limit}
        with self._transaction() as connection:
            return list(connection.execute(sa.text(sql), params).all())

    def _now_text(self) -> str:
        # ISO 8601 in UTC with microseconds: sorts as text in time order, on both dialects
        # (rows written by the first releases have milliseconds, which sort before).
        return dt.datetime.fromtimestamp(self._clock(), dt.UTC).isoformat(timespec="microseconds")


_LOGGED_COLUMNS = (
    "id, created_at, channel, question, kind, top_passage_id, confidence, latency_ms, conversation_id, understood,"
    " handoff"
)


def _logged_answer(row: Any) -> LoggedAnswer:
    return LoggedAnswer(
        id=row.id,
        created_at=dt.datetime.fromisoformat(row.created_at),
        channel=row.channel,
        question=row.question,
        kind=row.kind,
        top_passage_id=row.top_passage_id,
        confidence=row.confidence,
        latency_ms=row.latency_ms,
        conversation_id=row.conversation_id,
        understood=row.understood,
        handoff=bool(row.handoff),
    )


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__
