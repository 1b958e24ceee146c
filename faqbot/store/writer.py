"""`LogWriter`: the store's writes that no one waits for, done in order on one background thread.

An answer is given without waiting for its row in the log: the caller picks the row's id
(`new_answer_id`), hands the insert to the store's writer and returns. One daemon thread
writes the rows in the order they were handed over.

    >>> writer = LogWriter()
    >>> writer.submit(lambda: print("written"))
    >>> writer.flush()
    written
    True
    >>> writer.close()

- A write that fails with `StoreError` is warned about (`warn_store_failure`) and counted in
  `failed`, never raised: the asker already has the answer, as when a store is down today.
- Reads see this process's own writes: `SqlStore` calls `flush_all()` before every read of
  the log (feedback, handoffs, a conversation's last turn, the conversations, the stats), so
  any store object of the process, on any database, reads after the rows queued before.
- Nothing is lost on a normal shutdown: `close()` writes what is queued and stops the thread
  (`SqlStore.close()` calls it, so the HTTP lifespan's shutdown and every owner that closes
  its store drain it), and every writer still open is drained at interpreter exit.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import uuid
import weakref
from collections.abc import Callable

from faqbot.core.errors import StoreError

__all__ = ["DRAIN_TIMEOUT_S", "MAX_PENDING", "LogWriter", "flush_all", "new_answer_id"]

log = logging.getLogger(__name__)

MAX_PENDING = 10_000
"""At most this many writes wait in the queue; past it a write runs in its caller (the
request then waits for the database, as it did before writes were queued), so a hanging
database cannot grow the queue without bound."""

DRAIN_TIMEOUT_S = 30.0
"""The longest a read or a shutdown waits for queued writes (each write is bounded by the
database's own timeouts; this only guards against waiting forever)."""

Write = Callable[[], object]


def new_answer_id() -> str:
    """A fresh id for a logged answer (random hex, safe to show to clients)."""
    return uuid.uuid4().hex


class LogWriter:
    """Runs the writes handed to it, in order, on one daemon thread (started on first use)."""

    def __init__(self, *, name: str = "faqbot-log-writer", max_pending: int = MAX_PENDING) -> None:
        self.name = name
        self.max_pending = max_pending
        self._queue: queue.SimpleQueue[Write | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None
        self._pending = 0
        self._closed = False
        self.written = 0
        """Writes done."""
        self.failed = 0
        """Writes that failed (StoreError or a bug): rows lost, as answers logged while the store is down."""
        _OPEN.add(self)

    @property
    def pending(self) -> int:
        """Writes handed over and not done yet."""
        return self._pending

    def submit(self, write: Write) -> None:
        """Queue `write` (a call that writes one row). After `close()`, or with `max_pending`
        writes already waiting, it runs at once in the caller, and raises what it raises (a
        closed store raises StoreError)."""
        with self._lock:
            if not self._closed and self._pending < self.max_pending:
                self._pending += 1
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                    self._thread.start()
                self._queue.put(write)
                return
        write()

    def flush(self, timeout: float | None = DRAIN_TIMEOUT_S) -> bool:
        """Wait until every write handed over so far is done; False on timeout. Called from
        a write itself, it returns at once (it cannot wait for itself)."""
        if threading.current_thread() is self._thread:
            return self._pending <= 1
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def close(self, timeout: float | None = DRAIN_TIMEOUT_S) -> None:
        """Do the queued writes, then stop the thread; later writes run in their caller."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            thread = self._thread
        _OPEN.discard(self)
        if thread is not None:
            self._queue.put(None)
            if thread is not threading.current_thread():
                thread.join(timeout)

    def _run(self) -> None:
        while (write := self._queue.get()) is not None:
            try:
                write()
            except StoreError as error:
                self.failed += 1
                from faqbot.store import warn_store_failure  # the package imports this module

                warn_store_failure("answering without logging", error)
            except Exception:
                self.failed += 1
                log.exception("a queued write to the store failed")
            else:
                self.written += 1
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()


_OPEN: weakref.WeakSet[LogWriter] = weakref.WeakSet()


def flush_all(timeout: float | None = DRAIN_TIMEOUT_S) -> None:
    """Wait for the writes queued so far by every writer of this process (at once when none is)."""
    for writer in list(_OPEN):
        if writer.pending:
            writer.flush(timeout)


@atexit.register
def _drain_at_exit() -> None:
    # atexit handlers run before daemon threads are stopped: the writers can still finish.
    for writer in list(_OPEN):
        writer.close()
