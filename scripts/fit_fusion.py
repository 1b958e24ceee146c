"""Fit the ranking and abstention models, cross-validated leave-one-document-out.

    .venv/bin/python scripts/fit_fusion.py                 # print the CV table
    .venv/bin/python scripts/fit_fusion.py --write         # ... and write faqbot/search/fusion.json

Builds one index of all labelled documents (shipped corpus, the three extra
documents, the eight dev documents; see faqbot/evaluate/crossval.py for the folds), prints
the cross-validated table with the in-sample figures in brackets, and with
`--write` fits both models on every question and writes them with the CV
figures in their `meta`. Needs scikit-learn (the `test` extra). Encoded texts
are cached in --cache (default build/fit-fusion/encode-cache.npz) to spare the CPU.

Only the five labelled dev files are read by default: `eval/holdout-questions.jsonl`
is never fitted on (it checks the fitted bot), and the follow-up file holds
conversations, not single questions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from faqbot.core.config import Settings
from faqbot.evaluate.crossval import (
    Rankers,
    assemble_corpus,
    collect,
    cross_validate,
    cv_table,
    fit_models,
    metrics,
    read_near_domain_ids,
)
from faqbot.evaluate.evaluation import read_eval_file
from faqbot.search.embed import load_embedder
from faqbot.search.fusion import DEFAULT_MODEL_PATH, FusionModel, FusionModelError
from faqbot.search.index import build_index, load_index
from faqbot.search.retrieve import Retriever

GROUPS = {"shipped": REPO / "corpus", "extra": REPO / "tests/data/extra", "dev": REPO / "tests/data/dev"}
EVAL_FILES = [
    REPO / "eval" / name
    for name in (
        "dev-general-questions.jsonl",
        "dev-questions.jsonl",
        "loose-questions.jsonl",
        "near-domain-questions.jsonl",
        "numeric-questions.jsonl",
    )
]


class CachedEmbedder:
    """The real embedder behind a dictionary of already encoded texts, saved to disk."""

    def __init__(self, inner, path: Path) -> None:
        self.inner, self.path = inner, path
        self.name, self.dimension = inner.name, inner.dimension
        self.cache: dict[str, np.ndarray] = {}
        if path.exists():
            data = np.load(path)
            self.cache = dict(zip(data["keys"].tolist(), data["vectors"], strict=False))

    def encode(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if _digest(t) not in self.cache]
        if missing:
            for text, vector in zip(missing, self.inner.encode(missing), strict=False):
                self.cache[_digest(text)] = vector
        return np.array([self.cache[_digest(t)] for t in texts], dtype=np.float32)

    def save(self) -> None:
        keys = list(self.cache)
        np.savez(self.path, keys=np.array(keys), vectors=np.array([self.cache[k] for k in keys]))


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write faqbot/search/fusion.json")
    parser.add_argument("--work", type=Path, default=REPO / "build/fit-fusion")
    parser.add_argument("--cache", type=Path, default=REPO / "build/fit-fusion/encode-cache.npz")
    parser.add_argument("files", nargs="*", type=Path, default=EVAL_FILES)
    args = parser.parse_args()

    args.cache.parent.mkdir(parents=True, exist_ok=True)
    embedder = CachedEmbedder(load_embedder(), args.cache)
    corpus = assemble_corpus(GROUPS, args.work / "corpus")
    settings = Settings(corpus_dir=corpus, index_dir=args.work / "index")
    build_index(settings, embedder)
    try:
        current = FusionModel.load()
    except FusionModelError:  # the shipped weights predate a change of features: fit from scratch
        current = FusionModel.untrained()
    retriever = Retriever(load_index(settings.index_dir), embedder, model=current)
    items = [item for path in args.files for item in read_eval_file(path)]
    questions = collect(retriever, items, read_near_domain_ids(REPO / "eval"))
    embedder.save()
    threshold = settings.no_answer_threshold
    print(f"{len(questions)} questions of {len(items)}; threshold {threshold}")
    result = cross_validate(retriever, questions, threshold)
    print(cv_table(result))
    print("\nper-fold cuts:", {fold: round(cut, 3) for fold, cut in result.cuts.items()})
    if args.write:
        model, cut = fit_models(retriever, questions, threshold, Rankers(questions))
        cv = metrics(result.questions, result.held_out)
        fitted = metrics(result.questions, result.in_sample)
        model = type(model)(
            model.ranking,
            model.abstention,
            sure_threshold=model.sure_threshold,
            meta={
                "fitted": dt.date.today().isoformat(),
                "questions": len(questions),
                "eval_files": [p.name for p in args.files],
                "documents": sorted({q.fold for q in questions}),
                "cut_before_shift": round(cut, 4),
                "no_answer_threshold": threshold,
                "cross_validated": cv,
                "in_sample": fitted,
                "how": "scripts/fit_fusion.py --write",
            },
        )
        model.save(DEFAULT_MODEL_PATH)
        print(f"wrote {DEFAULT_MODEL_PATH}")


if __name__ == "__main__":
    main()
