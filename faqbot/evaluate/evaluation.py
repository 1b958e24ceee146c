"""Offline evaluation: a JSONL file of labelled questions in, metrics out.

File format (one object a line), as in `eval/dev-questions.jsonl`:

    {"id": "d012", "question": "What is the base SKU price for new customers?",
     "expected": [{"doc": "ci-faq.md", "question": "How is the new Customer Insights licensed?"}],
     "must_contain": [["$1,700"]], "kind": "numeric"}

`expected` lists the passages that answer the question (an empty list: the
bot must say it does not know); `must_contain` lists groups of alternatives,
every group must appear in the answer text. Items whose expected documents are
not in the index are skipped and counted, so one file can serve several corpora.

Metrics, overall and per kind:
- top1: the best-ranked passage is an expected one (ranking quality);
- answered_correctly: the bot answered (not no_answer) and cites an expected passage first;
- recall@3, MRR@10 over the ranking;
- must_contain: share of items with `must_contain` whose answer holds every group;
- no_answer precision / recall (out-of-domain items), false no-answer rate (answerable items);
- score: share of items handled correctly end to end (answerable: answered, right
  passage cited first, must_contain met; out-of-domain: no_answer);
- latency p50 / p95 of `ask`.

Beyond the metrics (see `write_report`, which writes report.html, report.md,
metrics.json and the plots as .png and .svg):
- recall@k for k = 1..10, from each item's rank;
- a threshold sweep: the no-answer decision re-made at every threshold from
  0 to 1 (see `threshold_sweep` for how rule answers are treated) and the
  threshold range that maximizes the score;
- confusions: which FAQ question won the ranking instead of the expected one;
- a comparison with a baseline metrics.json, item by item (`compare`).

Where the parts live: `questions` (the file and its items), `metrics` (scoring
an item, the metrics, recall@k, confusions), `sweep` (the threshold sweep),
`baseline` (the comparison), `render` (table, Markdown, HTML, the report
folder), `plots`. This module runs a file of questions; every name above is
importable from here as before.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from faqbot.answer.pipeline import FAQBot
from faqbot.evaluate.baseline import DEFAULT_MARGIN, Comparison, ItemChange, MetricDelta, compare, load_baseline
from faqbot.evaluate.metrics import (
    OUT_OF_DOMAIN,
    RECALL_KS,
    TABLE_COLUMNS,
    Confusion,
    ItemResult,
    Report,
    confusions,
    recall_at_k,
    score_item,
    summarize,
)
from faqbot.evaluate.metrics import dash as _dash
from faqbot.evaluate.plots import PLOTS, write_plots
from faqbot.evaluate.questions import EvalFileError, EvalItem, ExpectedPassage, passage_keys, read_eval_file
from faqbot.evaluate.questions import match_key as _key
from faqbot.evaluate.render import (
    TEMPLATES_DIR,
    html_report,
    markdown_report,
    markdown_table,
    sweep_sentence,
    write_report,
)
from faqbot.evaluate.sweep import (
    RULE_TREATMENT,
    SCORE_DEFINITION,
    SWEEP_STEPS,
    SweepPoint,
    ThresholdSweep,
    threshold_sweep,
)

__all__ = [
    "DEFAULT_MARGIN",
    "OUT_OF_DOMAIN",
    "PLOTS",
    "RECALL_KS",
    "RULE_TREATMENT",
    "SCORE_DEFINITION",
    "SWEEP_STEPS",
    "TABLE_COLUMNS",
    "TEMPLATES_DIR",
    "Comparison",
    "Confusion",
    "EvalFileError",
    "EvalItem",
    "ExpectedPassage",
    "ItemChange",
    "ItemResult",
    "MetricDelta",
    "Report",
    "SweepPoint",
    "ThresholdSweep",
    # Private names other modules import from here (crossval, tests): kept for them.
    "_dash",
    "_key",
    "compare",
    "confusions",
    "evaluate",
    "html_report",
    "load_baseline",
    "markdown_report",
    "markdown_table",
    "passage_keys",
    "read_eval_file",
    "recall_at_k",
    "summarize",
    "sweep_sentence",
    "threshold_sweep",
    "write_plots",
    "write_report",
]


def evaluate(bot: FAQBot, items: list[EvalItem], top_k: int = 3, *, eval_file: str | Path | None = None) -> Report:
    """Ask every item through the real pipeline and score the answers.

    Items whose expected passages are not in the index are skipped (their ids
    listed in `Report.skipped`). `eval_file` is only recorded in the report's `meta`.
    """
    key_to_passage: dict[tuple[str, str], int] = {}
    for i, passage in enumerate(bot.index.passages):
        for key in passage_keys(passage):
            key_to_passage.setdefault(key, i)

    results: list[ItemResult] = []
    skipped: list[str] = []
    for item in items:
        wanted = {(_key(e.doc), _key(e.question)) for e in item.expected}
        if any(key not in key_to_passage for key in wanted):
            skipped.append(item.id)
            continue
        results.append(score_item(bot, item, {key_to_passage[key] for key in wanted}, top_k))
    per_kind = {kind: summarize([r for r in results if r.kind == kind]) for kind in sorted({r.kind for r in results})}
    settings = bot.settings
    meta = {
        "corpus": str(settings.corpus_dir),
        "documents": sorted({p.source for p in bot.index.passages}),
        "passages": len(bot.index.passages),
        "model": bot.index.model,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "today": settings.today.isoformat() if settings.today else None,
        "eval_file": str(eval_file) if eval_file is not None else None,
        "no_answer_threshold": settings.no_answer_threshold,
        "top_k": top_k,
    }
    return Report(metrics=summarize(results), per_kind=per_kind, items=results, skipped=skipped, meta=meta)
