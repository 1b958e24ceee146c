"""How long `faqbot index` takes with each encoder backend (issue 14, item 3).

`faqbot index` built with torch (sentence-transformers) while `FAQBot.load` uses the
ONNX export. This measures both on two corpora, in the same run:

- `shipped`: the shipped corpus (`corpus/`),
- `twelve`: 12 documents (`corpus/ci-faq.md`, `tests/data/extra/*.md`, `tests/data/dev/*.md`
  with its includes) copied into one folder.

Each build is a fresh process (as `faqbot index` is): start-up and imports, loading
the encoder (the ONNX export is made once beforehand and cached, as it is after the
first `FAQBot.load`), then `build_index` into an empty folder. Runs alternate between
the backends (onnx, torch, then torch, onnx, ...) so that a change in the load of the
machine falls on both. The machine is shared: read the ratios, not the absolute times.

    .venv/bin/python scripts/bench_index_build.py [--runs 3] [--out reports/bench/index_build.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BACKENDS = ("onnx", "torch")

_CHILD = """
import json, sys, time
started = time.perf_counter()
from faqbot.core.config import Settings
from faqbot.search.embed import encoder_cache_dirs, load_embedder
from faqbot.search.index import build_index
from faqbot.search.onnx_export import passage_texts

backend, corpus, index = sys.argv[1:4]
settings = Settings(corpus_dir=corpus, index_dir=index, backend=backend)
imported = time.perf_counter()
# What FAQBot.load does for the configured backend.
embedder = load_embedder(
    settings.model,
    threads=settings.threads,
    backend=settings.backend,
    cache_dirs=encoder_cache_dirs(settings.index_dir),
    check_texts=lambda: passage_texts(settings.corpus_dir),
)
loaded = time.perf_counter()
build_index(settings, embedder)
built = time.perf_counter()
import faqbot
print(json.dumps({
    "backend_used": embedder.backend,
    "import_s": imported - started,
    "load_s": loaded - imported,
    "build_s": built - loaded,
    "in_process_s": built - started,
    "torch_imported": "torch" in sys.modules,
    "faqbot": faqbot.__file__,
}))
"""


def twelve_document_corpus(folder: Path) -> Path:
    """corpus/ci-faq.md, tests/data/extra/*.md and tests/data/dev/*.md (with includes) in one folder."""
    folder.mkdir(parents=True, exist_ok=True)
    urls: dict[str, str] = {}
    for source in (REPO / "corpus", REPO / "tests/data/extra", REPO / "tests/data/dev"):
        for document in sorted(source.glob("*.md")):
            if document.name != "ATTRIBUTION.md":
                shutil.copy(document, folder / document.name)
        if (source / "includes").is_dir():
            shutil.copytree(source / "includes", folder / "includes", dirs_exist_ok=True)
        if (source / "urls.json").is_file():
            urls.update(json.loads((source / "urls.json").read_text(encoding="utf-8")))
    (folder / "urls.json").write_text(json.dumps(urls, indent=2) + "\n", encoding="utf-8")
    count = len(list(folder.glob("*.md")))
    if count != 12:
        raise SystemExit(f"expected 12 documents, found {count} in {folder}")
    return folder


def one_build(backend: str, corpus: Path, index: Path, env: dict[str, str]) -> dict:
    shutil.rmtree(index, ignore_errors=True)
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, backend, str(corpus), str(index)],
        capture_output=True,
        text=True,
        env=env,
        cwd=index.parent,  # not the repository: with -c, the current folder comes first on sys.path
        check=False,
        timeout=900,
    )
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{backend} build of {corpus} failed:\n{result.stderr[-2000:]}")
    found = json.loads(result.stdout.strip().splitlines()[-1])
    if env.get("PYTHONPATH") and not found["faqbot"].startswith(env["PYTHONPATH"]):
        raise SystemExit(f"faqbot was imported from {found['faqbot']}, not {env['PYTHONPATH']}")
    if found["backend_used"] != backend:
        raise SystemExit(f"asked for {backend}, the build used {found['backend_used']}")
    manifest = json.loads((index / (index / "CURRENT").read_text().strip() / "manifest.json").read_text())
    found.update(wall_s=wall, passages=manifest["counts"]["passages"], sentences=manifest["counts"]["sentences"])
    return found


def summarize(runs: list[dict]) -> dict:
    keys = ("wall_s", "load_s", "build_s", "in_process_s", "import_s")
    return {key: {"median": statistics.median(r[key] for r in runs), "runs": [r[key] for r in runs]} for key in keys}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=REPO / "reports/bench/index_build.json")
    parser.add_argument("--package-root", type=Path, help="import faqbot from here (a snapshot of the tree)")
    args = parser.parse_args()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    env.pop("FAQBOT_BACKEND", None)
    if args.package_root:
        env["PYTHONPATH"] = str(args.package_root)
    load_before = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="bench-index-build-"))
    corpora = {"shipped": REPO / "corpus", "twelve": twelve_document_corpus(work / "twelve-corpus")}
    # Make (or find) the ONNX export once, untimed: after the first FAQBot.load it is cached.
    one_build("onnx", corpora["twelve"], work / "warm-up", env)
    results: dict[str, dict[str, list[dict]]] = {name: {b: [] for b in BACKENDS} for name in corpora}
    order: list[str] = []
    for run in range(args.runs):
        backends = BACKENDS if run % 2 == 0 else BACKENDS[::-1]
        for name, corpus in corpora.items():
            for backend in backends:
                found = one_build(backend, corpus, work / f"index-{name}-{backend}", env)
                results[name][backend].append(found)
                order.append(f"{name}/{backend}")
                print(
                    f"run {run + 1} {name:8} {backend:5} wall {found['wall_s']:6.2f} s "
                    f"load {found['load_s']:5.2f} s build {found['build_s']:6.2f} s",
                    flush=True,
                )
    report: dict = {
        "what": "faqbot index: one fresh process per build (imports, encoder load, build_index), "
        "ONNX export cached beforehand",
        "note": "2 cores shared with other engineers' processes during the run: compare the ratios "
        "(torch / onnx, same run, alternating order), not the absolute seconds",
        "runs_per_case": args.runs,
        "order": order,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load_before": load_before},
        "corpora": {},
    }
    for name, by_backend in results.items():
        summary = {backend: summarize(runs) for backend, runs in by_backend.items()}
        ratios = {
            f"torch_over_onnx_{key}": round(summary["torch"][key]["median"] / summary["onnx"][key]["median"], 2)
            for key in ("wall_s", "load_s", "build_s")
        }
        report["corpora"][name] = {
            "passages": by_backend["onnx"][0]["passages"],
            "sentences": by_backend["onnx"][0]["sentences"],
            "ratios": ratios,
            "torch_imported_by_onnx_build": any(r["torch_imported"] for r in by_backend["onnx"]),
            "seconds": summary,
        }
    report["machine"]["load_after"] = os.getloadavg()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({name: c["ratios"] for name, c in report["corpora"].items()}, indent=2))
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
