"""Load test: `faqbot serve` with the real model on loopback, asked by 32 concurrent clients.

    .venv/bin/python benchmarks/load.py [--requests 10000] [--concurrency 32] [--out reports/load]
    make load

What it does, and nothing else:

1. starts `.venv/bin/faqbot serve --host 127.0.0.1 --port P` (one worker, the bundled
   model) with `FAQBOT_INDEX_DIR` and `FAQBOT_DB_PATH` in a temporary folder, and waits
   for `GET /api/ready`;
2. asks every dev-set question once (warm-up, not measured);
3. sends `--requests` questions (POST /api/ask) from `--concurrency` clients at once:
   dev-set questions, three in four with a greeting, a sign-off or a lower-case first
   letter, so that the answer cache cannot answer most of them (a quarter repeat
   verbatim: cache hits, as in real use);
4. samples the server's resident memory (VmRSS in /proc/<pid>/status) every 0.25 s;
5. stops by itself (all requests sent, or `--max-seconds`), stops the server, prints a
   table and writes `<out>/load.json`.

Traffic goes to 127.0.0.1 only. The exit code is 1 when any request failed or the
server's memory grew by more than `--max-rss-growth` (default 10%) from the first
thousand requests to the last thousand, else 0.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
DEV_SET = REPO / "eval" / "dev-questions.jsonl"
FAQBOT = REPO / ".venv" / "bin" / "faqbot"
HOST = "127.0.0.1"  # loopback only

# Greetings and sign-offs that leave the question's meaning alone but make its text new,
# so that the answer cache (keyed by the text) cannot answer it: 64 x 8 x 6 x 2 variants.
PREFIXES = ["", "Hi, ", "Hello! ", "Quick question: ", "Please tell me: ", "Hey team, ", "Question: ", "Can you help? "]
SUFFIXES = ["", " Thanks!", " Thank you.", " Please.", " Cheers", " :)"]


def dev_questions() -> list[str]:
    return [json.loads(line)["question"] for line in DEV_SET.read_text(encoding="utf-8").splitlines() if line.strip()]


def question_for(n: int, base: list[str]) -> str:
    """The n-th question: a dev-set question, three times in four with a greeting, a sign-off
    or a lower-case first letter (a quarter repeat verbatim: cache hits, as in real use)."""
    question = base[n % len(base)]
    if n % 4 == 0:
        return question
    variant = n // len(base)
    prefix = PREFIXES[variant % len(PREFIXES)]
    suffix = SUFFIXES[(variant // len(PREFIXES)) % len(SUFFIXES)]
    if (variant // (len(PREFIXES) * len(SUFFIXES))) % 2 or prefix:
        question = question[0].lower() + question[1:]
    if not prefix and not suffix:
        suffix = " ?"
    return f"{prefix}{question}{suffix}"


def percentile(values: list[float], percent: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * percent / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def rss_kb(pid: int) -> int:
    """VmRSS of `pid` plus its children (kB); 0 once it is gone."""
    total = 0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(child) for child in children]
    except OSError:
        pass
    for each in pids:
        try:
            for line in Path(f"/proc/{each}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


# --------------------------------------------------------------------------- the server


class Server:
    """`faqbot serve` in a subprocess, with its index and database in a temporary folder."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"http://{HOST}:{port}"
        self.folder = Path(tempfile.mkdtemp(prefix="faqbot-load-"))
        self.log_path = self.folder / "server.log"
        self.process: subprocess.Popen | None = None

    def start(self, timeout_s: float = 300) -> dict:
        env = {
            **os.environ,
            "FAQBOT_INDEX_DIR": str(self.folder / "index"),
            "FAQBOT_DB_PATH": str(self.folder / "faqbot.sqlite3"),
            "HF_HUB_OFFLINE": "1",
            "TOKENIZERS_PARALLELISM": "false",
        }
        env.pop("FAQBOT_RATE_LIMIT", None)  # a load test of the answering, not of the limiter
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [str(FAQBOT), "serve", "--host", HOST, "--port", str(self.port)],
                cwd=REPO,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"faqbot serve exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                response = httpx.get(f"{self.url}/api/ready", timeout=2)
                if response.status_code == 200:
                    return response.json()
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        raise RuntimeError(f"faqbot serve was not ready after {timeout_s:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
        shutil.rmtree(self.folder, ignore_errors=True)


# --------------------------------------------------------------------------- the clients


@dataclass
class Run:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    kinds: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    rss: list[tuple[int, float, int]] = field(default_factory=list)  # (completed, seconds, kB)
    completed: int = 0
    cache_hits: int = 0
    sent: int = 0
    started: float = 0.0
    finished: float = 0.0
    stopped_early: bool = False


async def run_load(url: str, pid: int, total: int, concurrency: int, max_seconds: float, base: list[str]) -> Run:
    run = Run()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
        # Warm-up: every dev-set question once, one at a time (not measured).
        for question in base:
            (await client.post("/api/ask", json={"question": question})).raise_for_status()

        deadline = time.monotonic() + max_seconds
        next_index = 0

        async def worker() -> None:
            nonlocal next_index
            while next_index < total:
                if time.monotonic() > deadline:
                    run.stopped_early = True
                    return
                n = next_index
                next_index += 1
                run.sent += 1
                started = time.perf_counter()
                try:
                    response = await client.post("/api/ask", json={"question": question_for(n, base)})
                    elapsed = (time.perf_counter() - started) * 1000
                    run.statuses[response.status_code] += 1
                    if response.status_code == 200:
                        body = response.json()
                        run.kinds[body.get("kind", "?")] += 1
                        run.cache_hits += "cache_hit" in body.get("timings_ms", {})
                    else:
                        run.errors[f"HTTP {response.status_code}: {response.text[:120]}"] += 1
                except (httpx.HTTPError, ValueError) as error:
                    elapsed = (time.perf_counter() - started) * 1000
                    run.errors[f"{type(error).__name__}: {error}"[:160]] += 1
                run.latencies_ms.append(elapsed)
                run.completed += 1

        async def sampler() -> None:
            while True:
                run.rss.append((run.completed, time.perf_counter() - run.started, rss_kb(pid)))
                await asyncio.sleep(0.25)

        run.started = time.perf_counter()
        sampling = asyncio.create_task(sampler())
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        run.finished = time.perf_counter()
        sampling.cancel()
        run.rss.append((run.completed, run.finished - run.started, rss_kb(pid)))
    return run


# --------------------------------------------------------------------------- the report


def summarize(run: Run, args: argparse.Namespace, ready: dict, distinct: int) -> dict:
    duration = run.finished - run.started
    errors = sum(run.errors.values())
    window = min(1000, max(1, run.completed // 4))
    first = [kb for done, _, kb in run.rss if done <= window and kb]
    last = [kb for done, _, kb in run.rss if done >= run.completed - window and kb]
    first_mb = statistics.median(first) / 1024 if first else float("nan")
    last_mb = statistics.median(last) / 1024 if last else float("nan")
    growth = (last_mb - first_mb) / first_mb if first else float("nan")
    # Growth over the second half alone: a leak keeps climbing, a warm-up step does not.
    middle = [kb for done, _, kb in run.rss if done >= run.completed // 2 and kb]
    second_half_mb = (middle[-1] - middle[0]) / 1024 if middle else float("nan")
    latencies = run.latencies_ms
    return {
        "command": "make load  (" + " ".join(["benchmarks/load.py", *sys.argv[1:]]) + ")",
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "server": {"command": "faqbot serve --host 127.0.0.1 (1 worker)", **ready},
        "requests": {
            "asked": args.requests,
            "sent": run.sent,
            "completed": run.completed,
            "errors": errors,
            "statuses": {str(code): count for code, count in sorted(run.statuses.items())},
            "answer_kinds": dict(run.kinds),
            "distinct_questions": distinct,
            "answer_cache_hits": run.cache_hits,
            "first_errors": dict(run.errors.most_common(5)),
            "stopped_early": run.stopped_early,
        },
        "concurrency": args.concurrency,
        "duration_s": round(duration, 2),
        "throughput_rps": round(run.completed / duration, 1) if duration > 0 else None,
        "latency_ms": {
            "p50": round(percentile(latencies, 50), 1),
            "p90": round(percentile(latencies, 90), 1),
            "p99": round(percentile(latencies, 99), 1),
            "max": round(max(latencies), 1) if latencies else None,
            "mean": round(statistics.fmean(latencies), 1) if latencies else None,
        },
        "server_rss_mb": {
            "window_requests": window,
            "first_window_median": round(first_mb, 1),
            "last_window_median": round(last_mb, 1),
            "growth_mb": round(last_mb - first_mb, 1),
            "growth_percent": round(100 * growth, 1),
            "second_half_growth_mb": round(second_half_mb, 1),
            "max": round(max((kb for *_, kb in run.rss), default=0) / 1024, 1),
            "flat": abs(growth) <= args.max_rss_growth,
            "samples": [
                {"completed": done, "t_s": round(t, 2), "rss_mb": round(kb / 1024, 1)} for done, t, kb in run.rss
            ],
        },
    }


def table(result: dict) -> str:
    req, lat, rss = result["requests"], result["latency_ms"], result["server_rss_mb"]
    rows = [
        (
            "questions sent / completed",
            (
                f"{req['sent']:,} / {req['completed']:,} ({req['distinct_questions']:,} distinct texts, "
                f"{req['answer_cache_hits']:,} answered from the cache)"
            ),
        ),
        ("concurrent clients", str(result["concurrency"])),
        ("errors", f"{req['errors']} (statuses: {req['statuses']})"),
        ("answer kinds", ", ".join(f"{kind} {count:,}" for kind, count in sorted(req["answer_kinds"].items()))),
        ("duration", f"{result['duration_s']} s"),
        ("throughput", f"{result['throughput_rps']} questions/s"),
        ("latency p50 / p90 / p99 / max", f"{lat['p50']} / {lat['p90']} / {lat['p99']} / {lat['max']} ms"),
        (
            f"server RSS, first / last {rss['window_requests']:,} requests",
            (
                f"{rss['first_window_median']} / {rss['last_window_median']} MB "
                f"({rss['growth_mb']:+} MB, {rss['growth_percent']:+}%; max {rss['max']} MB)"
            ),
        ),
        ("server RSS growth over the second half", f"{rss['second_half_growth_mb']:+} MB"),
        ("memory flat", "yes" if rss["flat"] else "NO"),
    ]
    width = max(len(name) for name, _ in rows)
    lines = [f"| {'metric'.ljust(width)} | value |", f"|{'-' * (width + 2)}|-------|"]
    lines += [f"| {name.ljust(width)} | {value} |" for name, value in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--requests", type=int, default=10_000, help="questions to send (at least 2,000 for the figures)"
    )
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--max-seconds", type=float, default=900, help="stop sending after this long")
    parser.add_argument("--max-rss-growth", type=float, default=0.10, help="fraction; more is a failure")
    parser.add_argument("--out", type=Path, default=REPO / "reports" / "load")
    args = parser.parse_args(argv)
    if args.requests < 1 or args.concurrency < 1 or args.max_seconds <= 0:
        parser.error("--requests, --concurrency and --max-seconds must be positive")
    if not FAQBOT.exists():
        parser.error(f"{FAQBOT} is missing: run `make setup` first")

    base = dev_questions()
    distinct = len({question_for(n, base) for n in range(args.requests)})
    server = Server(free_port())
    print(f"starting faqbot serve on {server.url} (index and database in {server.folder}) ...", flush=True)
    try:
        ready = server.start()
        print(f"ready: {ready}; sending {args.requests:,} questions from {args.concurrency} clients ...", flush=True)
        run = asyncio.run(
            run_load(server.url, server.process.pid, args.requests, args.concurrency, args.max_seconds, base)
        )
    finally:
        log_tail = server.log_tail()
        server.stop()
    result = summarize(run, args, ready, distinct)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "load.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print()
    print(table(result))
    print(f"\nwritten: {args.out / 'load.json'}")
    failed = (
        result["requests"]["errors"] > 0 or result["requests"]["stopped_early"] or not result["server_rss_mb"]["flat"]
    )
    if result["requests"]["errors"]:
        print("errors:", json.dumps(result["requests"]["first_errors"], indent=2), "\nserver log:\n" + log_tail)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
