"""Measure the ranking choices and fit the confidence model on a labelled question set.

    .venv/bin/python scripts/tune_retrieval.py ranking eval/dev-questions.jsonl CORPUS_DIR
    .venv/bin/python scripts/tune_retrieval.py confidence eval/dev-questions.jsonl CORPUS_DIR

Prints top-1 / MRR for each single view and for view mixes, the lexical
weight sweep, and the logistic-regression fit of the confidence signals, so
that the constants in bot/retrieve.py can be checked and re-derived. It uses
the real model; it changes no file.
"""

from __future__ import annotations

import itertools
import sys
import tempfile
from pathlib import Path

import numpy as np

from bot.config import Settings
from bot.embed import load_embedder
from bot.evaluate import _key, passage_keys, read_eval_file
from bot.index import ALL_VIEWS, build_index, load_index
from bot.retrieve import BM25_HALF, Retriever, stem_terms


def main(eval_file: str, corpus_dir: str) -> None:
    embedder = load_embedder()
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(corpus_dir=Path(corpus_dir), index_dir=Path(folder))
        build_index(settings, embedder, views=ALL_VIEWS)
        index = load_index(Path(folder))
    retriever = Retriever(index, embedder)
    keys = {}
    for i, passage in enumerate(index.passages):
        for key in passage_keys(passage):
            keys.setdefault(key, i)

    items = []
    for item in read_eval_file(Path(eval_file)):
        wanted = {(_key(e.doc), _key(e.question)) for e in item.expected}
        if any(k not in keys for k in wanted):
            continue
        searched = retriever.correct_spelling(item.question)
        vector = embedder.encode([searched])[0]
        views = {view: index.view_vectors[view] @ vector for view in index.view_vectors}
        terms = stem_terms(searched)
        bm25 = retriever._bm25.get_scores(terms) if terms else np.zeros(len(index.passages))
        items.append((item, {keys[k] for k in wanted}, views, np.asarray(bm25), searched))
    answerable = [entry for entry in items if entry[1]]
    print(f"{len(items)} items, {len(answerable)} answerable")

    def rank_metrics(view_weights: dict[str, float], lexical_weight: float, half: float = BM25_HALF):
        top1 = mrr = 0.0
        for _, expected, views, bm25, _ in answerable:
            dense = sum(w * views[v] for v, w in view_weights.items()) / sum(view_weights.values())
            fused = dense + lexical_weight * bm25 / (bm25 + half)
            order = list(np.argsort(-fused))
            rank = min(order.index(e) for e in expected) + 1
            top1 += rank == 1
            mrr += 1 / rank
        return top1 / len(answerable), mrr / len(answerable)

    names = list(index.view_vectors)
    print("\nsingle views (no lexical):")
    for view in names:
        print(f"  {view:16s} top1={rank_metrics({view: 1.0}, 0.0)[0]:.3f} mrr={rank_metrics({view: 1.0}, 0.0)[1]:.3f}")
    print("  max over views: ", end="")
    top1 = sum(
        int(np.argmax(np.max([views[v] for v in names], axis=0)) in expected) for _, expected, views, _, _ in answerable
    ) / len(answerable)
    print(f"top1={top1:.3f}")

    print("\nview mixes x lexical weight (best 12 by mrr, then top1):")
    grid = [0.0, 0.5, 1.0, 2.0]
    results = []
    for weights in itertools.product(grid, repeat=len(names)):
        if sum(weights) == 0:
            continue
        mix = dict(zip(names, weights))
        for lexical in (0.0, 0.1, 0.2, 0.3, 0.5):
            t1, m = rank_metrics(mix, lexical)
            results.append((m, t1, lexical, mix))
    results.sort(key=lambda r: (r[0], r[1]), reverse=True)
    for m, t1, lexical, mix in results[:12]:
        print(f"  mrr={m:.3f} top1={t1:.3f} lexical={lexical} {mix}")



def fit_logistic(features: np.ndarray, labels: np.ndarray, l2: float = 0.01, steps: int = 3000) -> np.ndarray:
    """L2-regularized logistic regression by gradient descent on standardized features;
    returns [bias, weights...] on the features' own scale."""
    mean, scale = features.mean(axis=0), features.std(axis=0) + 1e-9
    x = np.hstack([np.ones((len(features), 1)), (features - mean) / scale])
    w = np.zeros(x.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-x @ w))
        gradient = x.T @ (p - labels) / len(labels) + l2 * np.r_[0, w[1:]]
        w -= 0.5 * gradient
    weights = w[1:] / scale
    return np.r_[w[0] - mean @ weights, weights]


def confidence_fit(eval_file: str, corpus_dir: str) -> None:
    """Fit the confidence model on the ranking the bot ships, with leave-one-out figures."""
    from bot.retrieve import CONFIDENCE_WEIGHTS

    embedder = load_embedder()
    with tempfile.TemporaryDirectory() as folder:
        build_index(Settings(corpus_dir=Path(corpus_dir), index_dir=Path(folder)), embedder)
        index = load_index(Path(folder))
    retriever = Retriever(index, embedder)
    keys = {}
    for i, passage in enumerate(index.passages):
        for key in passage_keys(passage):
            keys.setdefault(key, i)
    names = [name for name in CONFIDENCE_WEIGHTS if name != "bias"]
    rows, labels, answerable = [], [], []
    for item in read_eval_file(Path(eval_file)):
        wanted = {(_key(e.doc), _key(e.question)) for e in item.expected}
        if any(k not in keys for k in wanted):
            continue
        result = retriever.search(item.question)
        expected = {keys[k] for k in wanted}
        # The model answers "does the corpus answer this question at all?"; whether the top
        # passage is the right one is the ranking's job, measured separately.
        good = bool(expected)
        rows.append([result.signals[n] for n in names])
        labels.append(float(good))
        answerable.append(bool(expected))
        print(f"  {item.id} {'ANS' if expected else 'OOD'} {'ok ' if good else '-- '}"
              + " ".join(f"{n}={result.signals[n]:.3f}" for n in names) + f"  {item.question}")
    features, labels, answerable = np.array(rows), np.array(labels), np.array(answerable)
    w = fit_logistic(features, labels)
    print("\nfit:", {"bias": round(float(w[0]), 2), **{n: round(float(v), 2) for n, v in zip(names, w[1:])}})
    # Leave-one-out: how the decision at 0.5 generalizes to a question it was not fitted on.
    decisions = []
    for i in range(len(labels)):
        keep = np.arange(len(labels)) != i
        wi = fit_logistic(features[keep], labels[keep])
        decisions.append(1 / (1 + np.exp(-(wi[0] + features[i] @ wi[1:]))) >= 0.5)
    decisions = np.array(decisions)
    ood = ~answerable
    print(f"leave-one-out at 0.5: no-answer recall {np.mean(~decisions[ood]):.3f}, "
          f"false no-answer {np.mean(~decisions[answerable]):.3f}")
    fitted = 1 / (1 + np.exp(-(w[0] + features @ w[1:])))
    print("threshold sweep on the fitted model (no-answer recall, false no-answer rate):")
    for threshold in (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6):
        said_no = fitted < threshold
        print(f"  {threshold:.2f}: {np.mean(said_no[ood]):.3f} {np.mean(said_no[answerable]):.3f}")


if __name__ == "__main__":
    command = sys.argv[1]
    (confidence_fit if command == "confidence" else main)(*sys.argv[2:])
