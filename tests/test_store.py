"""The store, one suite run on SQLite and on PostgreSQL: round trips, one vote per answer, shared
delivery ids and rate budgets, migrations (also from a first-release SQLite file), concurrency,
and failures as StoreError."""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from faqbot.core.config import Settings
from faqbot.core.records import Answer, Citation
from faqbot.store import SCHEMA_VERSION, Store, StoreError, UnknownAnswer, database_target, log_answer, open_store


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


BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
def database(request, tmp_path: Path) -> str:
    """A fresh empty database on each backend: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "log" / "faqbot.sqlite3")
    return request.getfixturevalue("postgres").create_database()


@pytest.fixture
def store(database: str):
    with Store(database) as store:
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


def test_sqlite_database_is_in_wal_mode_with_a_busy_timeout(tmp_path: Path):
    with Store(tmp_path / "db.sqlite3") as store:
        store.ensure_schema()
        with sqlite3.connect(store.path) as connection:
            assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        with store._get_engine().connect() as connection:
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000


def test_closed_store_refuses_use(database: str):
    store = Store(database)
    store.log_answer(make_answer("q"))
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.log_answer(make_answer("q"))


def test_constructor_validates(tmp_path: Path):
    with pytest.raises(ValueError, match="empty"):
        Store("")
    with pytest.raises(ValueError, match="is a folder"):
        Store(tmp_path)
    with pytest.raises(ValueError, match="busy_timeout_s"):
        Store(tmp_path / "db.sqlite3", busy_timeout_s=-1)


def test_concurrent_writes_all_arrive_exactly_once(database: str):
    """16 threads over two Store objects (as two worker processes would be) write at once."""
    path = database
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
        except BaseException as error:
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


# --------------------------------------------------------------------------- one vote per answer


def test_a_second_vote_on_an_answer_replaces_the_first(store: Store):
    answer_id = store.log_answer(make_answer("How do I start?"))
    first = store.add_feedback("up", answer_id=answer_id, comment="great")
    second = store.add_feedback("down", answer_id=answer_id)
    assert second == first
    (entry,) = store.feedback()
    assert (entry.rating, entry.comment, entry.question) == ("down", None, "How do I start?")
    # Feedback without an answer id is not a vote on an answer: each one is kept.
    store.add_feedback("up", question="Asked in Slack?")
    store.add_feedback("up", question="Asked in Slack?")
    assert len(store.feedback(rating="up")) == 2


def test_feedback_on_an_answer_another_process_logged(database: str):
    with Store(database) as replica_a, Store(database) as replica_b:
        answer_id = replica_a.log_answer(make_answer("Logged by A?"))
        replica_b.add_feedback("down", answer_id=answer_id)
        assert [(f.answer_id, f.question) for f in replica_a.feedback(rating="down")] == [(answer_id, "Logged by A?")]


def test_concurrent_votes_on_one_answer_leave_one(database: str):
    with Store(database) as seed:
        answer_id = seed.log_answer(make_answer("q"))
    stores = [Store(database) for _ in range(2)]
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def vote(n: int) -> None:
        try:
            barrier.wait()
            stores[n % 2].add_feedback("up" if n % 2 else "down", answer_id=answer_id)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=vote, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == []
        assert len(stores[0].feedback(answer_id=answer_id)) == 1
    finally:
        for store in stores:
            store.close()


# --------------------------------------------------------------------------- Slack delivery ids


def test_a_delivery_is_claimed_once(store: Store):
    assert store.claim_delivery("Ev1", "C1:1.0")
    assert not store.claim_delivery("Ev1", "C1:1.0")  # Slack's retry
    assert not store.claim_delivery("Ev2", "C1:1.0")  # the same message as message.im
    assert not store.claim_delivery("Ev1")
    assert store.claim_delivery("Ev3", "C1:2.0")


def test_concurrent_claims_over_two_processes_have_one_winner(database: str):
    stores = [Store(database), Store(database)]
    for store in stores:
        store.ensure_schema()
    rounds, threads = 5, 8
    wins: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(threads)

    def claim(n: int) -> None:
        for event in range(rounds):
            barrier.wait()
            if stores[n % 2].claim_delivery(f"Ev{event}", f"C:{event}"):
                with lock:
                    wins.append(f"Ev{event}")

    workers = [threading.Thread(target=claim, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    for store in stores:
        store.close()
    assert sorted(wins) == [f"Ev{event}" for event in range(rounds)]


def test_delivery_ids_are_forgotten_after_a_day(database: str):
    now = [1_000_000.0]
    with Store(database, clock=lambda: now[0]) as store:
        assert store.claim_delivery("Ev1")
        now[0] += 3600
        assert not store.claim_delivery("Ev1")
        now[0] += 86_400
        assert store.claim_delivery("Other")  # prunes Ev1
        assert store.claim_delivery("Ev1")


# --------------------------------------------------------------------------- rate budgets


def test_a_rate_budget_is_shared_by_two_processes(database: str):
    now = [1_000.0]

    def clock():
        return now[0]

    with Store(database, clock=clock) as a, Store(database, clock=clock) as b:
        taken = [(a if i % 2 else b).take_token("203.0.113.7", 8, 8 / 60).taken for i in range(14)]
        assert taken == [True] * 8 + [False] * 6
        refused = a.take_token("203.0.113.7", 8, 8 / 60)
        assert not refused.taken and refused.wait_s == pytest.approx(7.5)
        assert b.take_token("198.51.100.1", 8, 8 / 60).taken  # another client has its own budget
        now[0] += 7.5  # one token back
        assert a.take_token("203.0.113.7", 8, 8 / 60).taken
        assert not b.take_token("203.0.113.7", 8, 8 / 60).taken
        now[0] += 3600  # refilled, to the capacity only
        assert [a.take_token("203.0.113.7", 8, 8 / 60).taken for _ in range(9)] == [True] * 8 + [False]


def test_idle_rate_buckets_are_forgotten(database: str, monkeypatch):
    monkeypatch.setattr("faqbot.store._sql.PRUNE_BUCKETS_EVERY", 3)
    now = [1_000.0]
    with Store(database, clock=lambda: now[0]) as store:
        store.take_token("old", 2, 1.0)
        now[0] += 10  # "old" is full again: the same as no bucket
        store.take_token("new", 2, 1.0)
        assert store.take_token("new", 2, 1.0).taken  # the third take prunes buckets idle for 2 s
        with store._transaction() as connection:
            keys = connection.execute(sa.text("SELECT key FROM rate_buckets")).scalars().all()
        assert keys == ["new"]
        assert not store.take_token("new", 2, 1.0).taken


def test_concurrent_takes_never_share_a_token(database: str):
    stores = [Store(database, clock=lambda: 5_000.0) for _ in range(2)]
    for store in stores:
        store.ensure_schema()
    barrier = threading.Barrier(10)
    results: list[bool] = []
    lock = threading.Lock()

    def take(n: int) -> None:
        barrier.wait()
        for _ in range(3):
            result = stores[n % 2].take_token("client", 12, 0.001)
            with lock:
                results.append(result.taken)

    workers = [threading.Thread(target=take, args=(n,)) for n in range(10)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    for store in stores:
        store.close()
    assert results.count(True) == 12 and results.count(False) == 18


# --------------------------------------------------------------------------- schema and migrations


def test_replicas_starting_at_once_migrate_once(database: str):
    stores = [Store(database) for _ in range(6)]
    barrier = threading.Barrier(len(stores))
    errors: list[BaseException] = []

    def start(store: Store) -> None:
        try:
            barrier.wait()
            store.ensure_schema()
        except BaseException as error:
            errors.append(error)

    workers = [threading.Thread(target=start, args=(store,)) for store in stores]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    try:
        assert errors == []
        assert stores[0].schema_version() == SCHEMA_VERSION
        stores[1].log_answer(make_answer("q"))
        assert len(stores[2].conversations()) == 1
    finally:
        for store in stores:
            store.close()


FIRST_RELEASE_SCHEMA = """
CREATE TABLE conversations (id TEXT PRIMARY KEY, created_at TEXT NOT NULL, channel TEXT NOT NULL,
    question TEXT NOT NULL, kind TEXT NOT NULL, top_passage_id TEXT, confidence REAL NOT NULL, latency_ms REAL);
CREATE INDEX conversations_created ON conversations (created_at);
CREATE TABLE feedback (id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT NULL,
    answer_id TEXT REFERENCES conversations (id), question TEXT, kind TEXT, passage_id TEXT,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')), comment TEXT);
CREATE INDEX feedback_answer ON feedback (answer_id);
INSERT INTO conversations VALUES ('a1', '2026-01-01T00:00:00.000+00:00', 'web', 'Old question?', 'retrieval', 'faq#q', 0.8, 5.0);
INSERT INTO feedback (created_at, answer_id, question, kind, passage_id, rating, comment) VALUES
    ('2026-01-01T00:00:01.000+00:00', 'a1', 'Old question?', 'retrieval', 'faq#q', 'up', 'first'),
    ('2026-01-01T00:00:02.000+00:00', 'a1', 'Old question?', 'retrieval', 'faq#q', 'down', 'last'),
    ('2026-01-01T00:00:03.000+00:00', NULL, 'No id?', NULL, NULL, 'down', NULL),
    ('2026-01-01T00:00:04.000+00:00', NULL, 'No id?', NULL, NULL, 'down', NULL);
"""


def test_a_first_release_sqlite_file_is_upgraded_in_place(tmp_path: Path):
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.executescript(FIRST_RELEASE_SCHEMA)
    with Store(path) as store:
        assert store.schema_version() == SCHEMA_VERSION
        assert [row.question for row in store.conversations()] == ["Old question?"]
        # The last vote per answer is kept; feedback without an answer id is all kept.
        assert [(f.rating, f.comment) for f in store.feedback(answer_id="a1")] == [("down", "last")]
        assert len(store.feedback()) == 3
        assert store.add_feedback("up", answer_id="a1") == store.feedback(answer_id="a1")[0].id
        assert len(store.feedback(answer_id="a1")) == 1
    with Store(path) as again:  # a second start finds nothing to do
        assert again.schema_version() == SCHEMA_VERSION and len(again.feedback()) == 3


def test_a_newer_schema_is_refused(database: str):
    with Store(database) as store:
        store.ensure_schema()
    with Store(database) as store:
        store._schema_ready = True  # write as a newer faqbot would have
        with store._transaction() as connection:
            connection.execute(sa.text("UPDATE schema_version SET version = :v"), {"v": SCHEMA_VERSION + 1})
    with Store(database) as store, pytest.raises(StoreError, match="newer than this faqbot"):
        store.ensure_schema()


# --------------------------------------------------------------------------- failures and settings


def test_an_unreachable_database_is_a_store_error_and_counted():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once the socket is closed
    store = Store(f"postgresql://nobody:secret@127.0.0.1:{port}/faqbot")
    try:
        with pytest.raises(StoreError) as raised:
            store.log_answer(make_answer("q"))
        assert "secret" not in str(raised.value) and "***" in str(raised.value)
        started = time.monotonic()
        with pytest.raises(StoreError, match="not retried yet"):
            store.log_answer(make_answer("q"))  # within a second: fails at once
        assert time.monotonic() - started < 0.5
        assert store.failures == 2
        assert log_answer(store, make_answer("q"), latency_ms=1.0, channel="web") is None
    finally:
        store.close()


@pytest.mark.usefixtures("postgres")
def test_postgresql_restart_logging_resumes(postgres):
    url = postgres.create_database()
    with Store(url) as store:
        store.log_answer(make_answer("before"))
        postgres.stop()
        try:
            with pytest.raises(StoreError):
                store.log_answer(make_answer("while down"))
        finally:
            postgres.start()
        time.sleep(1.1)  # past the breaker
        store.log_answer(make_answer("after"))
        assert [row.question for row in store.conversations()] == ["after", "before"]


def test_stats_count_questions_and_votes(store: Store):
    answered = store.log_answer(make_answer("a"))
    store.log_answer(make_answer("b", kind="no_answer", passage_id=None))
    store.add_feedback("down", answer_id=answered)
    stats = store.stats(days=7)
    assert (stats.questions, stats.answered, stats.no_answer, stats.thumbs_up, stats.thumbs_down) == (2, 1, 1, 0, 1)
    assert sum(stats.by_day.values()) == 2
    with pytest.raises(ValueError):
        store.stats(days=0)


def test_settings_choose_the_database(tmp_path: Path):
    assert database_target(Settings(db_path=tmp_path / "x.sqlite3")) == tmp_path / "x.sqlite3"
    url_settings = Settings(db_path=tmp_path / "x.sqlite3", db_url="postgresql://u:p@db.example:5432/faq")
    store = open_store(url_settings)
    assert store.backend == "postgresql" and store.describe() == "postgresql://u:***@db.example:5432/faq"
    sqlite_url = open_store(Settings(db_url=f"sqlite:///{tmp_path}/y.sqlite3"))
    assert sqlite_url.backend == "sqlite" and sqlite_url.path == tmp_path / "y.sqlite3"
    with pytest.raises(ValueError, match="unsupported database"):
        Store("mysql://u@h/db")
    with pytest.raises(ValueError, match="unsupported database 'mysql'"):
        Settings(db_url="mysql://u:hunter2@h/db")


def test_the_cli_names_a_bad_database_url_without_its_password(monkeypatch, capsys):
    from faqbot.doors.cli import main

    monkeypatch.setenv("FAQBOT_DB_URL", "mysql://u:hunter2@h/db")
    assert main(["report", "--no-model"]) == 1
    error = capsys.readouterr().err
    assert "FAQBOT_DB_URL" in error and "unsupported database 'mysql'" in error and "hunter2" not in error


def test_the_last_turn_of_a_conversation_is_shared_by_processes(database: str):
    with Store(database) as first, Store(database) as second:
        first.log_answer(make_answer("How much is it for new customers?"), conversation_id="c1")
        first.log_answer(make_answer("Other visitor?"), conversation_id="c2")
        latest = second.log_answer(
            make_answer("and for existing ones?", passage_id="faq#renewal"),
            conversation_id="c1",
            understood="How much is it for existing customers?",
        )
        turn = first.last_turn("c1")
        assert turn is not None and turn.id == latest
        assert turn.question == "and for existing ones?"
        assert turn.understood == "How much is it for existing customers?"
        assert turn.top_passage_id == "faq#renewal" and turn.conversation_id == "c1"
        assert first.last_turn("never-seen") is None


def test_handoffs_are_counted_in_stats(store: Store):
    store.log_answer(make_answer("Can I talk to a person?", kind="no_answer", passage_id=None), handoff=True)
    answered = store.log_answer(make_answer("How do I start?"))
    store.log_answer(make_answer("Something else?"))
    assert store.stats(days=1).handoffs == 1
    store.add_feedback("down", answer_id=answered)
    assert store.mark_handoff(answered) is True
    assert store.mark_handoff("no-such-answer") is False
    stats = store.stats(days=1)
    assert (stats.questions, stats.handoffs, stats.thumbs_down) == (3, 2, 1)
    assert [entry.handoff for entry in store.conversations()].count(True) == 2


def test_hedged_answers_are_logged_filtered_and_counted(store: Store):
    unsure = store.log_answer(make_answer("Is there a mobile app?").model_copy(update={"hedged": True}))
    store.log_answer(make_answer("How do I start?"))
    store.log_answer(make_answer("Unknown thing?", kind="no_answer", passage_id=None))
    assert [entry.id for entry in store.conversations(hedged=True)] == [unsure]
    assert len(store.conversations(hedged=False)) == 2
    assert [e.id for e in store.conversations(kind="retrieval", hedged=True)] == [unsure]
    stats = store.stats(days=1)
    assert (stats.questions, stats.answered, stats.hedged, stats.no_answer) == (3, 2, 1, 1)


def _database_at_version(database: str, version: int) -> None:
    """`database` as release `version` left it, with one answer logged ('Old question?')."""
    from faqbot.store._schema import MIGRATIONS

    if "://" not in database:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(Store(database).url)
    serial = (
        "INTEGER PRIMARY KEY AUTOINCREMENT"
        if engine.dialect.name == "sqlite"
        else "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
    )
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE schema_version (version INTEGER NOT NULL)"))
        for steps in MIGRATIONS[:version]:
            for statement in steps:
                connection.execute(sa.text(statement.format(serial=serial)))
        connection.execute(sa.text("INSERT INTO schema_version (version) VALUES (:v)"), {"v": version})
        connection.execute(
            sa.text(
                "INSERT INTO conversations (id, created_at, channel, question, kind, confidence)"
                " VALUES ('old', '2026-01-01T00:00:00.000', 'web', 'Old question?', 'retrieval', 0.5)"
            )
        )
    engine.dispose()


def test_a_version_3_database_gains_the_hedged_column_in_place(database: str):
    _database_at_version(database, 3)
    with Store(database) as store:
        assert store.schema_version() == SCHEMA_VERSION
        (old,) = store.conversations()
        assert old.hedged is False  # answers logged before the column were given plainly
        store.log_answer(make_answer("New?").model_copy(update={"hedged": True}))
        assert [e.question for e in store.conversations(hedged=True)] == ["New?"]


def test_a_version_2_database_gains_conversations_in_place(database: str):
    _database_at_version(database, 2)
    with Store(database) as store:
        assert store.schema_version() == SCHEMA_VERSION
        (old,) = store.conversations()
        assert (old.question, old.conversation_id, old.handoff) == ("Old question?", None, False)
        store.log_answer(make_answer("New?"), conversation_id="c9", handoff=True)
        assert store.last_turn("c9") is not None


def test_the_sql_store_follows_the_protocol_and_its_errors_are_in_the_tree(store: Store):
    from faqbot.core import errors
    from faqbot.store import AnswerStore

    assert isinstance(store, AnswerStore)
    assert issubclass(StoreError, errors.FAQBotError) and StoreError is errors.StoreError
    assert issubclass(UnknownAnswer, errors.FAQBotError) and issubclass(UnknownAnswer, LookupError)
    with pytest.raises(errors.FAQBotError):
        store.add_feedback("up", answer_id="no-such-answer")
