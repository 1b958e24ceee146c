"""The SQLite store: round trips, WAL mode, and nothing lost under concurrent writes."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from bot.records import Answer, Citation
from bot.store import Store, UnknownAnswer


def make_answer(question: str, kind: str = "retrieval", passage_id: str | None = "faq#q") -> Answer:
    citations = []
    if passage_id is not None:
        citations.append(
            Citation(
                passage_id=passage_id,
                doc_title="FAQ",
                section=None,
                question="Q?",
                quote="A.",
                source="faq.md",
                line_start=1,
                line_end=2,
                anchor=passage_id.split("#")[1],
                score=0.9,
            )
        )
    return Answer(question=question, answer="A.", kind=kind, confidence=0.75, citations=citations)


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "log" / "faqbot.sqlite3") as store:
        yield store


def test_log_answer_round_trip(store: Store):
    answer_id = store.log_answer(make_answer("How do I start?"), latency_ms=12.5)
    store.log_answer(make_answer("Unknown thing?", kind="no_answer", passage_id=None))

    newest, oldest = store.conversations()
    assert (oldest.id, oldest.question, oldest.kind, oldest.top_passage_id) == (
        answer_id,
        "How do I start?",
        "retrieval",
        "faq#q",
    )
    assert oldest.confidence == 0.75 and oldest.latency_ms == 12.5 and oldest.channel == "web"
    assert oldest.created_at.tzinfo is not None
    assert newest.kind == "no_answer" and newest.top_passage_id is None
    assert [row.question for row in store.conversations(kind="no_answer")] == ["Unknown thing?"]
    assert len(store.conversations(limit=1)) == 1


def test_feedback_copies_what_the_answer_was_about(store: Store):
    answer_id = store.log_answer(make_answer("How do I start?", passage_id="faq#start"))
    feedback_id = store.add_feedback("down", answer_id=answer_id, comment="Too vague")

    (entry,) = store.feedback()
    assert entry.id == feedback_id
    assert (entry.answer_id, entry.question, entry.kind, entry.passage_id, entry.rating, entry.comment) == (
        answer_id,
        "How do I start?",
        "retrieval",
        "faq#start",
        "down",
        "Too vague",
    )
    assert store.feedback(rating="up") == []
    assert store.feedback(answer_id=answer_id) == [entry]


def test_feedback_without_an_answer_id_needs_a_question(store: Store):
    feedback_id = store.add_feedback("up", question="Asked in Slack?", passage_id="faq#x", kind="retrieval")
    assert store.feedback()[0].id == feedback_id
    with pytest.raises(ValueError, match="answer_id or a question"):
        store.add_feedback("up")


@pytest.mark.parametrize(
    ("rating", "kwargs", "error"),
    [
        ("meh", {"question": "q"}, ValueError),
        ("up", {"answer_id": "does-not-exist"}, UnknownAnswer),
        ("up", {"question": "q", "comment": "x" * 2001}, ValueError),
    ],
)
def test_bad_feedback_is_refused(store: Store, rating, kwargs, error):
    with pytest.raises(error):
        store.add_feedback(rating, **kwargs)
    assert store.feedback() == []


def test_database_is_in_wal_mode_with_a_busy_timeout(store: Store, tmp_path: Path):
    store.ensure_schema()
    with sqlite3.connect(store.path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store._connection().execute("PRAGMA busy_timeout").fetchone()[0] >= 1000


def test_closed_store_refuses_use(tmp_path: Path):
    store = Store(tmp_path / "db.sqlite3")
    store.log_answer(make_answer("q"))
    store.close()
    with pytest.raises(sqlite3.ProgrammingError):
        store.log_answer(make_answer("q"))


def test_constructor_validates(tmp_path: Path):
    with pytest.raises(ValueError, match="empty"):
        Store("")
    with pytest.raises(ValueError, match="is a folder"):
        Store(tmp_path)
    with pytest.raises(ValueError, match="busy_timeout_s"):
        Store(tmp_path / "db.sqlite3", busy_timeout_s=-1)


def test_concurrent_writes_all_arrive_exactly_once(tmp_path: Path):
    """16 threads over two Store objects (as two worker processes would be) write at once."""
    path = tmp_path / "db.sqlite3"
    stores = [Store(path), Store(path)]
    threads, per_thread = 16, 40
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []
    answer_ids: list[str] = []
    lock = threading.Lock()

    def work(n: int) -> None:
        store = stores[n % 2]
        try:
            barrier.wait()
            for i in range(per_thread):
                answer_id = store.log_answer(make_answer(f"q{n}-{i}"))
                store.add_feedback("up" if i % 2 else "down", answer_id=answer_id, comment=f"c{n}-{i}")
                with lock:
                    answer_ids.append(answer_id)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []

    reader = Store(path)
    try:
        expected = {f"q{n}-{i}" for n in range(threads) for i in range(per_thread)}
        conversations = reader.conversations()
        assert len(conversations) == threads * per_thread
        assert {row.question for row in conversations} == expected
        assert {row.id for row in conversations} == set(answer_ids)
        feedback = reader.feedback()
        assert len(feedback) == threads * per_thread
        assert sorted(entry.answer_id for entry in feedback) == sorted(answer_ids)
        assert {entry.comment for entry in feedback} == {f"c{n}-{i}" for n in range(threads) for i in range(per_thread)}
        assert all(entry.question == "q" + entry.comment[1:] for entry in feedback)
    finally:
        reader.close()
        for store in stores:
            store.close()
