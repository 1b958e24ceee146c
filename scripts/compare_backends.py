"""Evaluate a labelled question file with the onnx and the torch backend, in one process
(so both run the same code), and compare them item by item.

    .venv/bin/python scripts/compare_backends.py eval/dev-questions.jsonl
    .venv/bin/python scripts/compare_backends.py eval/dev-general-questions.jsonl --corpus tests/data/dev

Each backend builds its own index of the corpus (in a temporary folder) and answers every
item; the script prints both metric rows and every item whose answer kind, top passage or
correctness differs, and exits 1 when any does.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from faqbot import FAQBot
from faqbot.core.config import Settings
from faqbot.evaluate.evaluation import evaluate, read_eval_file


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("eval_file", type=Path)
    parser.add_argument("--corpus", type=Path, default=Path("corpus"))
    args = parser.parse_args()
    items = read_eval_file(args.eval_file)
    reports = {}
    with tempfile.TemporaryDirectory(prefix="compare-backends-") as work:
        for backend in ("onnx", "torch"):
            settings = Settings(corpus_dir=args.corpus, index_dir=Path(work) / backend, backend=backend)
            bot = FAQBot.load(settings=settings)
            if bot.embedder.backend != backend:
                print(f"the {backend} backend did not load (see the warning above)", file=sys.stderr)
                return 2
            reports[backend] = evaluate(bot, items, eval_file=args.eval_file)
    onnx, torch = ({r.id: r for r in reports[b].items} for b in ("onnx", "torch"))

    def outcome(result) -> tuple:
        return (result.got_kind, result.got_passages[:1], result.correct)

    differ = [key for key in onnx if outcome(onnx[key]) != outcome(torch[key])]
    confidence = max((abs(onnx[k].confidence - torch[k].confidence) for k in onnx), default=0.0)
    for backend, report in reports.items():
        metrics = report.metrics
        print(
            f"{backend:5s}  items {len(report.items)}  top-1 {metrics.get('top1')}  "
            f"answered right {metrics.get('answered_correctly')}  no-answer recall {metrics.get('no_answer_recall')}  "
            f"score {metrics.get('score')}"
        )
    print(
        f"{len(onnx)} items: {len(onnx) - len(differ)} with the same answer kind, top passage and "
        f"correctness; {len(differ)} differ; max |confidence difference| {confidence:.2e}"
    )
    for key in differ:
        print(f"  {key}: onnx {outcome(onnx[key])} torch {outcome(torch[key])}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
