"""Database URLs and SQLAlchemy engines for the store, per dialect.

SQLite: each pooled connection runs in WAL mode with a busy timeout, so readers
never block the writer and a writer waits for another (in this process or in
another worker) instead of failing with "database is locked". A transaction can
ask for `BEGIN IMMEDIATE` (the write lock up front) with the execution option
`sqlite_immediate=True`, as migrations do.

PostgreSQL (psycopg 3): connections are checked before use (`pool_pre_ping`), so
after a database restart the next request reconnects.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError

__all__ = ["engine_url", "make_engine"]


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


def make_engine(url: sa.URL, *, busy_timeout_s: float, connect_timeout_s: float) -> Engine:
    """The engine for `url`, configured for its dialect (see the module docstring)."""
    if url.get_backend_name() == "postgresql":
        return sa.create_engine(
            url,
            pool_pre_ping=True,
            pool_size=5,
            max_overflow=5,
            pool_timeout=connect_timeout_s,
            connect_args={"connect_timeout": max(1, round(connect_timeout_s)), "application_name": "faqbot"},
        )
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"timeout": busy_timeout_s, "check_same_thread": False})
    busy_ms = int(busy_timeout_s * 1000)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Autocommit at the driver level; SQLAlchemy's own BEGIN (below) opens transactions,
        # so a migration can ask for BEGIN IMMEDIATE (the write lock up front).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {busy_ms}")
        _switch_to_wal(cursor)
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get("sqlite_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _switch_to_wal(cursor: Any, attempts: int = 50) -> None:
    """`PRAGMA journal_mode = WAL`, retried: on a new file, processes opening it at the same
    moment contend for the exclusive lock the switch takes, and SQLite may answer "database
    is locked" at once instead of waiting out the busy timeout."""
    for attempt in range(attempts):
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or attempt == attempts - 1:
                raise
            time.sleep(0.02)
