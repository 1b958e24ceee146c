"""Two `faqbot serve` replicas on one PostgreSQL database and one index folder, end to end.

The issue's "done when", with the real model: a Slack event delivered four times over both
replicas gets one reply; feedback posted to B for A's answer is stored; 8/minute refuses
the excess of 14 requests spread over both; the database holds the log; a price changed in
the corpus and published with `faqbot index` is served by both within 30 s with no failed
request; with PostgreSQL stopped mid-traffic /api/ask keeps answering and logging resumes
when it is back.
"""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Self

import httpx
import pytest

from faqbot.store import Store

from .pgcluster import PostgresCluster, free_port
from .test_slack import FakeSlackAPI, event_body, mention, sign

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
FAQBOT = Path(sys.executable).parent / "faqbot"
PRICE_QUESTION = "What is the base SKU price for new customers?"
SECRET, BOT_TOKEN = "replica-signing-secret", "xoxb-replica-token"


def faqbot_env(tmp: Path, database_url: str, slack_url: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("FAQBOT_")}
    env.update(
        HF_HUB_OFFLINE="1",
        TOKENIZERS_PARALLELISM="false",
        FAQBOT_DB_URL=database_url,
        FAQBOT_RATE_LIMIT="8/minute",
        FAQBOT_TRUSTED_PROXIES="127.0.0.1",  # each phase of the test is its own client (X-Forwarded-For)
        FAQBOT_RELOAD_INTERVAL_S="1",
        FAQBOT_SLACK_SIGNING_SECRET=SECRET,
        FAQBOT_SLACK_BOT_TOKEN=BOT_TOKEN,
        FAQBOT_SLACK_API_URL=slack_url,
        FAQBOT_THREADS="1",
    )
    if "FAQBOT_BACKEND" in os.environ:
        env["FAQBOT_BACKEND"] = os.environ["FAQBOT_BACKEND"]
    return env


def run_index(corpus: Path, index: Path, env: dict[str, str]) -> None:
    """`faqbot index`, as the FAQ owner runs it."""
    done = subprocess.run(
        [str(FAQBOT), "index", "--corpus", str(corpus), "--index", str(index)],
        check=False, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]


class Replica:
    """One `faqbot serve` process."""

    def __init__(self, name: str, corpus: Path, index: Path, env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"replica-{name}.log"
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [str(FAQBOT), "serve", "--port", str(self.port), "--corpus", str(corpus), "--index", str(index),
             "--no-rebuild"],
            env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        self.http = httpx.Client(base_url=self.url, timeout=30)

    def wait_ready(self, seconds: float = 180) -> dict:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"replica {self.name} died: {self.log_tail()}"
            try:
                response = self.http.get("/api/ready")
                if response.status_code == 200:
                    return response.json()
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"replica {self.name} not ready in {seconds} s: {self.log_tail()}")

    def ask(self, question: str, client_ip: str) -> httpx.Response:
        return self.http.post("/api/ask", json={"question": question}, headers={"X-Forwarded-For": client_ip})

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        self.http.close()
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._log.close()


_client_numbers = itertools.count(1)


def logged(database_url: str, answer_id: str, within_s: float = 5.0) -> bool:
    """Whether the answer's row reaches the database within `within_s`: a replica writes it
    just after sending the answer (faqbot/store/writer.py), so a reader may look first."""
    deadline = time.monotonic() + within_s
    with Store(database_url) as store:
        while True:
            if any(row.id == answer_id for row in store.conversations(limit=50)):
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)


def fresh_client_ip() -> str:
    """A client address never used before (its own rate budget)."""
    n = next(_client_numbers)
    return f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"


class Traffic:
    """Questions sent to both replicas in a loop (each from a new client), counting the outcomes."""

    def __init__(self, replicas: list[Replica]) -> None:
        self.replicas = replicas
        self.statuses: list[int] = []
        self.errors: list[str] = []
        self.unlogged = 0
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(replica,)) for replica in replicas]

    def _run(self, replica: Replica) -> None:
        while not self._stop.is_set():
            try:
                response = replica.ask("How do customers purchase more capacity?", fresh_client_ip())
            except httpx.HTTPError as error:
                self.errors.append(f"{replica.name}: {type(error).__name__}: {error}")
                continue
            self.statuses.append(response.status_code)
            if response.status_code == 200 and response.json()["answer_id"] is None:
                self.unlogged += 1
            time.sleep(0.1)  # steady traffic that leaves the cores to `faqbot index`

    def __enter__(self) -> Self:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(60)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory, postgres: PostgresCluster):
    """A corpus copy, its index built by `faqbot index`, one PostgreSQL database, a fake
    Slack API, and two replicas serving them."""
    tmp = tmp_path_factory.mktemp("replicas")
    corpus, index = tmp / "corpus", tmp / "index"
    shutil.copytree(REPO / "corpus", corpus)
    database_url = postgres.create_database()
    slack = FakeSlackAPI()
    env = faqbot_env(tmp, database_url, slack.url)
    run_index(corpus, index, env)
    replicas = [Replica(name, corpus, index, env, tmp) for name in ("a", "b")]
    try:
        for replica in replicas:
            replica.wait_ready()
        yield {"replicas": replicas, "slack": slack, "database_url": database_url, "corpus": corpus,
               "index": index, "env": env, "postgres": postgres}  # fmt: skip
    finally:
        for replica in replicas:
            replica.stop()
        slack.stop()


def test_a_slack_event_delivered_four_times_over_both_replicas_gets_one_reply(deployment):
    a, b = deployment["replicas"]
    slack: FakeSlackAPI = deployment["slack"]
    body = event_body(mention(text="<@U0BOT> How do customers purchase more capacity?"), event_id="EvReplica1")

    def deliver(attempt: int) -> int:
        replica = (a, b)[attempt % 2]
        headers = {"Content-Type": "application/json", **sign(body, secret=SECRET)}
        if attempt:
            headers |= {"X-Slack-Retry-Num": str(attempt), "X-Slack-Retry-Reason": "http_timeout"}
        return replica.http.post("/slack/events", content=body, headers=headers).status_code

    with ThreadPoolExecutor(4) as pool:  # the first delivery and its retries, racing
        assert list(pool.map(deliver, range(4))) == [200] * 4
    deadline = time.monotonic() + 30
    while not slack.calls and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(3)  # room for a second, wrong reply to arrive
    assert len(slack.calls) == 1, slack.calls
    assert slack.calls[0]["json"]["thread_ts"] == "1700000000.000100"
    with Store(deployment["database_url"]) as store:
        assert [row.question for row in store.conversations() if row.channel == "slack"] == [
            "How do customers purchase more capacity?"
        ]


def test_feedback_on_b_for_an_answer_from_a_is_stored(deployment):
    a, b = deployment["replicas"]
    answer = a.ask(PRICE_QUESTION, fresh_client_ip()).json()
    assert answer["answer_id"]
    for rating in ("up", "down"):  # one vote per answer: the last counts
        response = b.http.post(
            "/api/feedback", json={"answer_id": answer["answer_id"], "rating": rating},
            headers={"X-Forwarded-For": fresh_client_ip()},
        )  # fmt: skip
        assert response.status_code == 201, response.text
    with Store(deployment["database_url"]) as store:
        (vote,) = store.feedback(answer_id=answer["answer_id"])
        assert (vote.rating, vote.question) == ("down", PRICE_QUESTION)
        assert any(row.id == answer["answer_id"] and row.channel == "web" for row in store.conversations())


def test_a_rate_limit_of_8_per_minute_holds_across_both_replicas(deployment):
    a, b = deployment["replicas"]
    statuses = [(a, b)[n % 2].ask(PRICE_QUESTION, "198.51.100.8").status_code for n in range(14)]
    assert sorted(statuses) == [200] * 8 + [429] * 6, statuses
    assert statuses[:8] == [200] * 8


def test_a_published_price_change_is_served_by_both_without_a_failed_request(deployment):
    replicas: list[Replica] = deployment["replicas"]
    before = {replica.wait_ready()["build"] for replica in replicas}
    assert len(before) == 1
    for replica in replicas:
        assert "$1,700" in replica.ask(PRICE_QUESTION, fresh_client_ip()).json()["answer"]
    corpus: Path = deployment["corpus"]
    path = corpus / "ci-faq.md"
    path.write_text(path.read_text(encoding="utf-8").replace("$1,700", "$1,850"), encoding="utf-8")
    with Traffic(replicas) as traffic:
        run_index(corpus, deployment["index"], deployment["env"])
        published = time.monotonic()
        serving: dict[str, float] = {}
        while len(serving) < 2 and time.monotonic() - published < 30:
            for replica in replicas:
                if (
                    replica.name not in serving
                    and "$1,850" in replica.ask(PRICE_QUESTION, fresh_client_ip()).json()["answer"]
                ):
                    serving[replica.name] = round(time.monotonic() - published, 1)
            time.sleep(0.2)
        time.sleep(1)
    assert set(serving) == {"a", "b"}, f"served the new price: {serving}"
    print(f"\nnew price served {serving} s after `faqbot index` returned; {len(traffic.statuses)} requests")
    assert traffic.errors == [] and traffic.statuses and set(traffic.statuses) == {200}
    after = {replica.wait_ready()["build"] for replica in replicas}
    assert len(after) == 1 and after != before


def test_postgresql_stopped_mid_traffic_answers_go_on_and_logging_resumes(deployment):
    replicas: list[Replica] = deployment["replicas"]
    postgres: PostgresCluster = deployment["postgres"]
    with Traffic(replicas) as traffic:
        time.sleep(1)
        postgres.stop()
        try:
            time.sleep(4)
            down = [replica.ask(PRICE_QUESTION, fresh_client_ip()) for replica in replicas]
            feedback = replicas[1].http.post(
                "/api/feedback",
                json={"answer_id": "0" * 32, "rating": "up"},
                headers={"X-Forwarded-For": fresh_client_ip()},
            )
        finally:
            postgres.start()
        time.sleep(3)
    assert traffic.errors == [] and set(traffic.statuses) == {200}, traffic.errors[:3]
    assert traffic.unlogged > 0, "some answers were given while the database was down"
    assert [response.status_code for response in down] == [200, 200]
    assert all(response.json()["answer_id"] is None for response in down)
    assert feedback.status_code == 503 and "database" in feedback.json()["error"]
    for replica in replicas:
        ready = replica.wait_ready()
        assert ready["store"]["backend"] == "postgresql" and ready["store"]["failures"] > 0
    # Back up: every replica logs again.
    for replica in replicas:
        answer = replica.ask(PRICE_QUESTION, fresh_client_ip()).json()
        assert answer["answer_id"], f"replica {replica.name} does not log after the restart"
        assert logged(deployment["database_url"], answer["answer_id"]), f"replica {replica.name} lost the row"
    print(
        f"\n{len(traffic.statuses)} requests while PostgreSQL stopped and started: all 200, {traffic.unlogged} unlogged"
    )
