"""The conversation log and the feedback, in one SQLite file (`settings.db_path`).

Every answer any door gives is logged (time, question, answer kind, top
passage, confidence, latency); feedback (thumbs up / down, an optional comment)
points at a logged answer by its id, and keeps a copy of the question, kind and
passage it was about so reports need no join.

    >>> store = Store(":memory:")                                   # doctest: +SKIP
    >>> answer_id = store.log_answer(answer, latency_ms=12.5)      # doctest: +SKIP
    >>> store.add_feedback("up", answer_id=answer_id)              # doctest: +SKIP
    1
    >>> [f.rating for f in store.feedback()]                        # doctest: +SKIP
    ['up']

Concurrency: each thread gets its own connection (SQLite connections must not
be shared by threads that write at the same time), the database runs in WAL
mode so readers never block the writer, and `busy_timeout` makes a writer wait
for another one (in this process or in another worker process) instead of
failing with "database is locked". Each write is one statement in autocommit
mode, so it lands whole or not at all.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .records import Answer

__all__ = ["FeedbackEntry", "LoggedAnswer", "Store", "UnknownAnswer"]

Rating = Literal["up", "down"]
RATINGS: tuple[str, ...] = ("up", "down")
MAX_COMMENT_CHARS = 2000
DEFAULT_BUSY_TIMEOUT_S = 10.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id             TEXT PRIMARY KEY,
    created_at     TEXT NOT NULL,
    channel        TEXT NOT NULL,
    question       TEXT NOT NULL,
    kind           TEXT NOT NULL,
    top_passage_id TEXT,
    confidence     REAL NOT NULL,
    latency_ms     REAL
);
CREATE INDEX IF NOT EXISTS conversations_created ON conversations (created_at);
CREATE TABLE IF NOT EXISTS feedback (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    answer_id  TEXT REFERENCES conversations (id),
    question   TEXT,
    kind       TEXT,
    passage_id TEXT,
    rating     TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    comment    TEXT
);
CREATE INDEX IF NOT EXISTS feedback_answer ON feedback (answer_id);
"""


class UnknownAnswer(LookupError):
    """Feedback named an answer id that the log does not hold."""


@dataclass(frozen=True)
class LoggedAnswer:
    """One row of the conversation log."""

    id: str
    created_at: dt.datetime
    channel: str
    question: str
    kind: str
    top_passage_id: str | None
    confidence: float
    latency_ms: float | None


@dataclass(frozen=True)
class FeedbackEntry:
    """One thumbs up or down, with what it was about."""

    id: int
    created_at: dt.datetime
    answer_id: str | None
    question: str | None
    kind: str | None
    passage_id: str | None
    rating: str
    comment: str | None


class Store:
    """The SQLite store. Cheap to construct: the file is opened on first use.

    `path` may be `":memory:"` only for single-threaded use (each thread
    would get its own empty in-memory database).
    """

    def __init__(self, path: str | Path, *, busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S) -> None:
        if not str(path):
            raise ValueError("the database path is empty")
        if busy_timeout_s < 0:
            raise ValueError(f"busy_timeout_s must be >= 0, got {busy_timeout_s!r}")
        self.path = path if str(path) == ":memory:" else Path(path)
        if isinstance(self.path, Path) and self.path.is_dir():
            raise ValueError(f"the database path {str(self.path)!r} is a folder, not a file")
        self.busy_timeout_s = busy_timeout_s
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._closed = False

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    # ------------------------------------------------------------------ connections

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            return connection
        with self._lock:
            if self._closed:
                raise sqlite3.ProgrammingError(f"{self!r} is closed")
            if isinstance(self.path, Path):
                self.path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: autocommit, every statement is its own transaction.
            # check_same_thread=False only so that close() may close it from another thread;
            # each connection is used by the thread that opened it.
            connection = sqlite3.connect(
                self.path, timeout=self.busy_timeout_s, isolation_level=None, check_same_thread=False
            )
            try:
                connection.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_s * 1000)}")
                connection.execute("PRAGMA journal_mode = WAL")
                connection.execute("PRAGMA synchronous = NORMAL")
                connection.execute("PRAGMA foreign_keys = ON")
                connection.executescript(_SCHEMA)
            except sqlite3.Error:
                connection.close()
                raise
            self._connections.append(connection)
        self._local.connection = connection
        return connection

    def ensure_schema(self) -> None:
        """Open the database and create the tables now (to fail at start-up, not on first write)."""
        self._connection()

    def close(self) -> None:
        """Close every connection this store opened; later use raises."""
        with self._lock:
            self._closed = True
            connections, self._connections = self._connections, []
        for connection in connections:
            connection.close()
        self._local = threading.local()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ writes

    def log_answer(
        self, answer: Answer, *, latency_ms: float | None = None, channel: str = "web"
    ) -> str:
        """Log one answer; return its id (a random hex string, safe to show to clients)."""
        answer_id = uuid.uuid4().hex
        top = answer.citations[0].passage_id if answer.citations else None
        if latency_ms is None:
            latency_ms = answer.timings_ms.get("total")
        self._connection().execute(
            "INSERT INTO conversations (id, created_at, channel, question, kind, top_passage_id,"
            " confidence, latency_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (answer_id, _now(), channel, answer.question, answer.kind, top, answer.confidence, latency_ms),
        )
        return answer_id

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

        With `answer_id`, the question, kind and passage are copied from the
        logged answer unless given (UnknownAnswer when the id is not in the
        log). Without it, give at least the question.
        """
        if rating not in RATINGS:
            raise ValueError(f"rating must be 'up' or 'down', got {rating!r}")
        if comment is not None and len(comment) > MAX_COMMENT_CHARS:
            raise ValueError(f"the comment is {len(comment)} characters long; the limit is {MAX_COMMENT_CHARS}")
        connection = self._connection()
        if answer_id is None:
            if not question:
                raise ValueError("feedback needs an answer_id or a question")
            cursor = connection.execute(
                "INSERT INTO feedback (created_at, answer_id, question, kind, passage_id, rating, comment)"
                " VALUES (?, NULL, ?, ?, ?, ?, ?)",
                (_now(), question, kind, passage_id, rating, comment),
            )
            return int(cursor.lastrowid)
        # One statement reads the logged answer and writes the feedback: no
        # window in which the answer could be read and the write lost.
        cursor = connection.execute(
            "INSERT INTO feedback (created_at, answer_id, question, kind, passage_id, rating, comment)"
            " SELECT ?, id, coalesce(?, question), coalesce(?, kind), coalesce(?, top_passage_id), ?, ?"
            " FROM conversations WHERE id = ?",
            (_now(), question, kind, passage_id, rating, comment, answer_id),
        )
        if cursor.rowcount == 0:
            raise UnknownAnswer(f"no logged answer has the id {answer_id!r}")
        return int(cursor.lastrowid)

    # ------------------------------------------------------------------ reads

    def conversations(self, *, kind: str | None = None, limit: int | None = None) -> list[LoggedAnswer]:
        """Logged answers, newest first; `kind` filters (e.g. "no_answer"), `limit` caps the count."""
        sql = "SELECT * FROM conversations"
        params: list[object] = []
        if kind is not None:
            sql += " WHERE kind = ?"
            params.append(kind)
        sql += " ORDER BY created_at DESC, rowid DESC"
        rows = self._select(sql, params, limit)
        return [
            LoggedAnswer(
                id=row["id"],
                created_at=dt.datetime.fromisoformat(row["created_at"]),
                channel=row["channel"],
                question=row["question"],
                kind=row["kind"],
                top_passage_id=row["top_passage_id"],
                confidence=row["confidence"],
                latency_ms=row["latency_ms"],
            )
            for row in rows
        ]

    def feedback(
        self, *, rating: Rating | None = None, answer_id: str | None = None, limit: int | None = None
    ) -> list[FeedbackEntry]:
        """Feedback, newest first; filter by `rating` ("up" / "down") or `answer_id`."""
        clauses: list[str] = []
        params: list[object] = []
        if rating is not None:
            clauses.append("rating = ?")
            params.append(rating)
        if answer_id is not None:
            clauses.append("answer_id = ?")
            params.append(answer_id)
        sql = "SELECT * FROM feedback"
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += " ORDER BY id DESC"
        rows = self._select(sql, params, limit)
        return [
            FeedbackEntry(
                id=row["id"],
                created_at=dt.datetime.fromisoformat(row["created_at"]),
                answer_id=row["answer_id"],
                question=row["question"],
                kind=row["kind"],
                passage_id=row["passage_id"],
                rating=row["rating"],
                comment=row["comment"],
            )
            for row in rows
        ]

    def _select(self, sql: str, params: list[object], limit: int | None) -> list[sqlite3.Row]:
        if limit is not None:
            if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
                raise ValueError(f"limit must be a non-negative integer, got {limit!r}")
            sql += " LIMIT ?"
            params = [*params, limit]
        cursor = self._connection().execute(sql, params)
        cursor.row_factory = sqlite3.Row
        return cursor.fetchall()


def _now() -> str:
    # ISO 8601 in UTC with milliseconds: sorts as text in time order.
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
