"""Answers are logged without waiting for the row (`faqbot.store.LogWriter`): rows are written in
order on one thread, a failing store is counted and never raised, this process's reads wait
for its queued rows, nothing queued is lost when the store closes or the interpreter exits, and
feedback on an answer whose row another replica has not written yet is looked for again."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from faqbot.answer.pipeline import FAQBot
from faqbot.core.config import Settings
from faqbot.doors.http.app import create_app
from faqbot.doors.http.routes import feedback as feedback_route
from faqbot.doors.turns import ConversationDesk
from faqbot.store import LogWriter, Store, StoreError, UnknownAnswer, log_answer

from .fakes import HashingEmbedder
from .test_store import make_answer

REPO = Path(__file__).resolve().parent.parent


def gate(store: Store) -> threading.Event:
    """Hold the store's writer on a first write until the returned event is set."""
    opened = threading.Event()
    store.writer.submit(lambda: opened.wait(10))
    return opened


def log_later(store: Store, question: str, **fields) -> str | None:
    return log_answer(store, make_answer(question), latency_ms=1.0, channel="web", background=True, **fields)


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "log.sqlite3") as store:
        store.ensure_schema()
        yield store


def test_rows_are_written_in_the_order_they_were_handed_over(store: Store):
    opened = gate(store)
    ids = [log_later(store, f"q{n}?") for n in range(20)]
    assert store.writer.pending == 21  # all queued behind the gate: none written yet
    opened.set()
    assert store.writer.flush()
    rows = store.conversations()
    assert [row.id for row in reversed(rows)] == ids
    assert [row.question for row in reversed(rows)] == [f"q{n}?" for n in range(20)]
    assert store.writer.written == 21 and store.writer.failed == 0


def test_the_answer_id_is_the_callers(store: Store):
    assert log_later(store, "Mine?", answer_id="a" * 32) == "a" * 32
    assert store.log_answer(make_answer("Also mine?"), answer_id="b" * 32) == "b" * 32
    assert {row.id for row in store.conversations()} == {"a" * 32, "b" * 32}


def test_a_read_waits_for_the_rows_this_process_queued(store: Store, tmp_path: Path):
    opened = gate(store)
    answer_id = log_later(store, "Queued?", conversation_id="c1")
    threading.Timer(0.05, opened.set).start()
    # Another store object of the same process (the admin's, a report's) waits too.
    with Store(tmp_path / "log.sqlite3") as other:
        assert other.last_turn("c1").id == answer_id
    opened = gate(store)
    second = log_later(store, "Queued again?")
    threading.Timer(0.05, opened.set).start()
    assert store.add_feedback("up", answer_id=second) > 0  # no UnknownAnswer: the row was waited for
    assert store.stats(days=1).questions == 2


def test_closing_the_store_writes_what_is_queued(tmp_path: Path):
    path = tmp_path / "log.sqlite3"
    store = Store(path)
    store.ensure_schema()
    opened = gate(store)
    ids = {log_later(store, f"q{n}?") for n in range(5)}
    assert store.writer.pending == 6
    opened.set()
    store.close()
    assert store.writer.pending == 0
    with Store(path) as reopened:
        assert {row.id for row in reopened.conversations()} == ids


def test_queued_rows_are_written_at_interpreter_exit(tmp_path: Path):
    path = tmp_path / "log.sqlite3"
    script = f"""
import time
from faqbot.store import Store, log_answer
from tests.test_store import make_answer
store = Store({str(path)!r})
store.ensure_schema()
store.writer.submit(lambda: time.sleep(0.2))  # the rows below are still queued at exit
for n in range(10):
    log_answer(store, make_answer(f"q{{n}}?"), latency_ms=1.0, channel="cli", background=True)
print(store.writer.pending)
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) > 0
    with Store(path) as store:
        assert len(store.conversations()) == 10


def test_a_failing_write_is_warned_about_and_counted_never_raised(store: Store, monkeypatch, caplog):
    write = store.log_answer

    def flaky(answer, **fields):
        if answer.question == "fails?":
            raise StoreError("the database failed")
        return write(answer, **fields)

    monkeypatch.setattr(store, "log_answer", flaky)
    monkeypatch.setattr("faqbot.store._last_warning", {})
    with caplog.at_level(logging.WARNING, logger="faqbot.store"):
        ids = [log_later(store, question) for question in ("before?", "fails?", "after?")]
        assert store.writer.flush()
    assert all(ids)  # handed out before the write was tried
    assert (store.writer.written, store.writer.failed) == (2, 1)
    assert [row.question for row in store.conversations()] == ["after?", "before?"]
    assert "answering without logging" in caplog.text


def test_a_store_that_failed_last_is_written_to_at_once_and_the_answer_goes_unlogged(store: Store, monkeypatch):
    monkeypatch.setattr(store, "_down_until", 1e18)  # the breaker is open
    failures = store.failures
    assert log_later(store, "While down?") is None
    assert store.failures == failures + 1 and store.writer.pending == 0
    monkeypatch.setattr(store, "_down_until", 0.0)
    assert log_later(store, "Back up?") is not None


def test_a_writer_runs_writes_in_the_caller_once_closed():
    writer = LogWriter()
    done: list[int] = []
    writer.submit(lambda: done.append(1))
    writer.close()
    writer.submit(lambda: done.append(2))  # no thread any more: at once
    assert done == [1, 2] and writer.pending == 0


def test_the_desk_logs_through_the_writer_and_a_follow_up_reads_its_turn(store: Store, tmp_path: Path):
    settings = Settings(
        corpus_dir=REPO / "corpus", index_dir=tmp_path / "index", model="fake-hashing-embedder", cache_size=0
    )
    bot = FAQBot.load(settings=settings, embedder=HashingEmbedder())
    desk = ConversationDesk(settings)
    opened = gate(store)
    first = desk.ask(bot, store, "What is the base SKU price for new customers?")
    assert first.answer_id and store.writer.pending == 2  # answered before its row is written
    threading.Timer(0.05, opened.set).start()
    # A follow-up on another desk (the process's memory is not it) reads the queued turn.
    other_desk = ConversationDesk(settings)
    follow_up = other_desk.ask(bot, store, "and for existing ones?", conversation_id=first.conversation_id)
    assert follow_up.understood == "What is the base SKU price for existing customers?"


# --------------------------------------------------------------------------- feedback, across replicas


class EventuallyLogged:
    """A store on which the answer's row appears after `misses` looks (another replica writing it)."""

    def __init__(self, misses: int) -> None:
        self.misses = misses
        self.looks = 0

    def add_feedback(self, rating, *, answer_id, comment):
        self.looks += 1
        if self.looks <= self.misses:
            raise UnknownAnswer(answer_id)
        return 7


def test_feedback_looks_again_for_an_answer_not_written_yet():
    pauses: list[float] = []
    store = EventuallyLogged(misses=2)
    feedback_id = feedback_route.add_feedback(store, "up", "a" * 32, None, pauses=(0.1, 0.2, 0.3), sleep=pauses.append)
    assert (feedback_id, store.looks, pauses) == (7, 3, [0.1, 0.2])


def test_feedback_gives_up_after_the_last_look_and_at_once_for_an_id_never_handed_out():
    pauses: list[float] = []
    store = EventuallyLogged(misses=99)
    with pytest.raises(UnknownAnswer):
        feedback_route.add_feedback(store, "up", "a" * 32, None, pauses=(0.1, 0.2), sleep=pauses.append)
    assert (store.looks, pauses) == (3, [0.1, 0.2])
    assert sum(feedback_route.UNKNOWN_ANSWER_RETRY_S) <= 1.0
    store = EventuallyLogged(misses=99)
    with pytest.raises(UnknownAnswer):
        feedback_route.add_feedback(store, "up", "nope", None, sleep=pauses.append)
    assert store.looks == 1 and pauses == [0.1, 0.2]


def test_the_feedback_route_waits_for_a_row_another_replica_is_writing(tmp_path: Path, monkeypatch):
    settings = Settings(
        corpus_dir=REPO / "corpus",
        index_dir=tmp_path / "index",
        model="fake-hashing-embedder",
        db_path=tmp_path / "faqbot.sqlite3",
    )
    bot = FAQBot.load(settings=settings, embedder=HashingEmbedder())
    monkeypatch.setattr(feedback_route, "UNKNOWN_ANSWER_RETRY_S", (0.01, 0.01, 0.01))
    with TestClient(create_app(settings, bot=bot)) as client:
        store = client.app.state.store
        answer_id = client.post("/api/ask", json={"question": "How do customers purchase more capacity?"}).json()[
            "answer_id"
        ]
        store.writer.flush()
        real = store.add_feedback
        looks: list[str] = []

        def not_yet(rating, **fields):  # the row is another replica's, written after two looks
            looks.append(fields["answer_id"])
            if len(looks) <= 2:
                raise UnknownAnswer(fields["answer_id"])
            return real(rating, **fields)

        monkeypatch.setattr(store, "add_feedback", not_yet)
        response = client.post("/api/feedback", json={"answer_id": answer_id, "rating": "up"})
        assert response.status_code == 201, response.text
        assert looks == [answer_id] * 3
        gone = client.post("/api/feedback", json={"answer_id": "f" * 32, "rating": "up"})
        assert gone.status_code == 404


def test_a_full_queue_writes_in_the_caller_instead_of_growing():
    writer = LogWriter(max_pending=1)
    release = threading.Event()
    done: list[str] = []
    writer.submit(lambda: (release.wait(5), done.append("queued")))
    writer.submit(lambda: done.append("in the caller"))  # the queue is full: runs here, now
    assert done == ["in the caller"]
    release.set()
    assert writer.flush(5)
    assert done == ["in the caller", "queued"]
    writer.close()
