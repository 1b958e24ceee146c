"""Scoring: one item's result, the metrics of a set of results, recall@k, confusions.

Metrics, overall and per kind (`summarize`):
- top1: the best-ranked passage is an expected one (ranking quality);
- answered_correctly: the bot answered (not no_answer) and cites an expected passage first;
- recall@3, MRR@10 over the ranking;
- must_contain: share of items with `must_contain` whose answer holds every group;
- no_answer precision / recall (out-of-domain items), false no-answer rate (answerable items);
- hedged: answerable items answered with "I'm not sure ... the closest entry"; OOD answered
  as sure: out-of-domain items answered without that hedge (the confident wrong answers);
- score: share of items handled correctly end to end (answerable: answered, right
  passage cited first, must_contain met; out-of-domain: no_answer);
- latency p50 / p95 of `ask`.

    >>> format_value(0.12345), format_value(12.345), format_value(3), dash(None)
    ('0.123', '12.3', '3', '–')
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from faqbot.evaluate.questions import EvalItem, match_key
from faqbot.evaluate.sweep import threshold_sweep

if TYPE_CHECKING:
    from faqbot.answer.pipeline import FAQBot
    from faqbot.core.records import Answer, Passage
    from faqbot.evaluate.baseline import Comparison

__all__ = [
    "OUT_OF_DOMAIN",
    "RECALL_KS",
    "TABLE_COLUMNS",
    "Confusion",
    "ItemResult",
    "Report",
    "confusions",
    "dash",
    "format_value",
    "recall_at_k",
    "score_item",
    "summarize",
]


@dataclass
class ItemResult:
    """How one question went."""

    id: str
    kind: str
    question: str
    answerable: bool
    expected: list[str]
    got_kind: str
    got_passages: list[str]
    cited: str | None
    confidence: float
    answer: str
    top1: bool
    rank: int | None
    answered_correctly: bool
    must_contain_ok: bool | None
    correct: bool
    latency_ms: float
    # The name of the rule that decided the answer (an exact figure, or a refusal
    # to give one); None when retrieval and the no-answer threshold decided.
    rule: str | None = None
    # The FAQ question of the top-ranked passage, and of the cited one.
    top_question: str | None = None
    cited_question: str | None = None
    # Whether answering with the top-ranked passage is right (the expected passage,
    # must_contain met in its text; always False out of domain): what the answer
    # would be at a lower no-answer threshold. None when unknown (older reports).
    top_answer_correct: bool | None = None
    # A retrieval answer the bot was not sure of (the closest entry, introduced as such).
    hedged: bool = False


@dataclass
class Report:
    """Metrics overall and per kind, and every item's result.

    `meta` names what was evaluated: corpus, documents, model, date, eval file,
    no-answer threshold, top_k.
    """

    metrics: dict[str, float | int | None]
    per_kind: dict[str, dict[str, float | int | None]]
    items: list[ItemResult] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def failures(self) -> list[ItemResult]:
        return [item for item in self.items if not item.correct]

    @property
    def threshold(self) -> float | None:
        return self.meta.get("no_answer_threshold")

    def to_json(self, comparison: Comparison | None = None) -> dict:
        """Everything, as written to metrics.json: `metrics`, `per_kind`, `skipped`, `items`
        (the original keys), plus `meta`, `recall_at_k`, `threshold_sweep`, `confusions`
        and, with a baseline, `comparison`."""
        data: dict[str, Any] = {
            "metrics": self.metrics,
            "per_kind": self.per_kind,
            "skipped": self.skipped,
            "items": [asdict(item) for item in self.items],
            "meta": self.meta,
            "recall_at_k": {str(k): value for k, value in recall_at_k(self.items).items()},
            "threshold_sweep": threshold_sweep(self.items, self.threshold).to_json(),
            "confusions": [asdict(row) for row in confusions(self.items)],
        }
        if comparison is not None:
            data["comparison"] = comparison.to_json()
        return data


def score_item(bot: FAQBot, item: EvalItem, expected_rows: set[int], top_k: int) -> ItemResult:
    """Ask one item through the real pipeline and score the answer.

    `expected_rows` are the index rows of the item's expected passages (empty out of domain).
    """
    answer, retrieval = bot.ask_traced(item.question, top_k=top_k)
    ranking = [hit.passage_index for hit in retrieval.hits]
    rank = next((r for r, row in enumerate(ranking, start=1) if row in expected_rows), None)
    cited_row = _cited_row(bot, answer)
    answered = answer.kind != "no_answer"
    answered_correctly = item.answerable and answered and cited_row in expected_rows
    must_ok = _must_contain(answer, item.must_contain) if item.must_contain else None
    correct = answered_correctly and must_ok is not False if item.answerable else not answered
    top_passage = retrieval.hits[0].passage if retrieval.hits else None
    top_answer_correct = (
        item.answerable
        and rank == 1
        and top_passage is not None
        and _text_contains(top_passage.answer_markdown, item.must_contain)
    )
    cited_passage = bot.index.passages[cited_row] if cited_row is not None else None
    return ItemResult(
        id=item.id,
        kind=item.kind,
        question=item.question,
        answerable=item.answerable,
        expected=[e.question for e in item.expected],
        got_kind=answer.kind,
        got_passages=[bot.index.passages[row].passage_id for row in ranking[:3]],
        cited=answer.citations[0].passage_id if answer.citations else None,
        confidence=answer.confidence,
        answer=answer.answer,
        top1=rank == 1,
        rank=rank,
        answered_correctly=answered_correctly,
        must_contain_ok=must_ok,
        correct=correct,
        latency_ms=answer.timings_ms.get("total", 0.0),
        rule=answer.rule.name if answer.rule is not None else None,
        top_question=_title(top_passage),
        cited_question=_title(cited_passage),
        top_answer_correct=top_answer_correct,
        hedged=answer.hedged,
    )


def _title(passage: Passage | None) -> str | None:
    if passage is None:
        return None
    return passage.question or passage.section or passage.passage_id


def _cited_row(bot: FAQBot, answer: Answer) -> int | None:
    if not answer.citations:
        return None
    cited = answer.citations[0].passage_id
    return next((i for i, p in enumerate(bot.index.passages) if p.passage_id == cited), None)


def _must_contain(answer: Answer, groups: list[list[str]]) -> bool:
    return _text_contains(answer.answer, groups)


def _text_contains(text: str, groups: list[list[str]]) -> bool:
    text = match_key(text)
    return all(any(match_key(alternative) in text for alternative in group) for group in groups)


def summarize(results: list[ItemResult]) -> dict[str, float | int | None]:
    """The metrics of a set of item results (None where a metric has no items)."""
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]
    said_no = [r for r in results if r.got_kind == "no_answer"]
    with_must = [r for r in results if r.must_contain_ok is not None]
    latencies = sorted(r.latency_ms for r in results)

    def share(count: int, total: int) -> float | None:
        return round(count / total, 4) if total else None

    return {
        "items": len(results),
        "answerable": len(answerable),
        "out_of_domain": len(unanswerable),
        "score": share(sum(r.correct for r in results), len(results)),
        "top1": share(sum(r.top1 for r in answerable), len(answerable)),
        "answered_correctly": share(sum(r.answered_correctly for r in answerable), len(answerable)),
        "recall@3": share(sum(r.rank is not None and r.rank <= 3 for r in answerable), len(answerable)),
        "mrr": round(sum(1 / r.rank for r in answerable if r.rank) / len(answerable), 4) if answerable else None,
        "must_contain": share(sum(bool(r.must_contain_ok) for r in with_must), len(with_must)),
        "no_answer_precision": share(sum(not r.answerable for r in said_no), len(said_no)),
        "no_answer_recall": share(sum(r.got_kind == "no_answer" for r in unanswerable), len(unanswerable)),
        "false_no_answer_rate": share(sum(r.got_kind == "no_answer" for r in answerable), len(answerable)),
        "hedged": share(sum(r.hedged for r in answerable), len(answerable)),
        "ood_answered_as_sure": share(
            sum(r.got_kind != "no_answer" and not r.hedged for r in unanswerable), len(unanswerable)
        ),
        "latency_p50_ms": round(statistics.median(latencies), 2) if latencies else None,
        "latency_p95_ms": round(_percentile(latencies, 95), 2) if latencies else None,
    }


def _percentile(sorted_values: list[float], percent: float) -> float:
    if len(sorted_values) == 1:
        return sorted_values[0]
    position = (len(sorted_values) - 1) * percent / 100
    low = int(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


# --------------------------------------------------------------------------- analysis

RECALL_KS = tuple(range(1, 11))


def recall_at_k(results: list[ItemResult], ks: tuple[int, ...] = RECALL_KS) -> dict[int, float | None]:
    """Share of answerable items whose expected passage ranks in the top k, for each k.

    Ranks come from the retrieval's 10 best passages, so recall@10 is the share
    found at all; recall@1 equals `top1` and recall@3 the `recall@3` metric.
    """
    answerable = [r for r in results if r.answerable]
    if not answerable:
        return dict.fromkeys(ks)
    return {k: round(sum(r.rank is not None and r.rank <= k for r in answerable) / len(answerable), 4) for k in ks}


@dataclass(frozen=True)
class Confusion:
    """Questions about `expected` whose ranking put the FAQ question `won` first."""

    expected: str
    won: str
    count: int
    answered: int
    ids: list[str]


OUT_OF_DOMAIN = "(not in the FAQ)"


def confusions(results: list[ItemResult]) -> list[Confusion]:
    """Which FAQ question took which: for each answerable item whose top-ranked passage is
    not an expected one, expected question -> the question that ranked first; for each
    out-of-domain item the bot answered, OUT_OF_DOMAIN -> the question it answered with.
    `answered` counts those the bot did answer (the others said no_answer). Most frequent first."""
    groups: dict[tuple[str, str], list[ItemResult]] = defaultdict(list)
    for r in results:
        if r.answerable and r.rank != 1 and r.top_question:
            groups[(" / ".join(r.expected), r.top_question)].append(r)
        elif not r.answerable and r.got_kind != "no_answer" and (r.cited_question or r.top_question):
            groups[(OUT_OF_DOMAIN, r.cited_question or r.top_question or "")].append(r)
    rows = [
        Confusion(expected, won, len(members), sum(m.got_kind != "no_answer" for m in members), [m.id for m in members])
        for (expected, won), members in groups.items()
    ]
    return sorted(rows, key=lambda row: (-row.count, row.expected == OUT_OF_DOMAIN, row.expected, row.won))


TABLE_COLUMNS = (
    ("items", "n"),
    ("top1", "top-1"),
    ("recall@3", "recall@3"),
    ("mrr", "MRR"),
    ("answered_correctly", "answered right"),
    ("must_contain", "must-contain"),
    ("no_answer_recall", "no-answer recall"),
    ("no_answer_precision", "no-answer precision"),
    ("false_no_answer_rate", "false no-answer"),
    ("hedged", "hedged"),
    ("ood_answered_as_sure", "OOD answered as sure"),
    ("score", "score"),
    ("latency_p50_ms", "p50 ms"),
    ("latency_p95_ms", "p95 ms"),
)


def format_value(value: float) -> str:
    return (
        str(value)
        if isinstance(value, int)
        else f"{value:.3f}".rstrip("0").rstrip(".")
        if value < 10
        else f"{value:.1f}"
    )


def dash(value: float | None) -> str:
    return "–" if value is None else format_value(value)
