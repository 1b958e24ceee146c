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
"""

from __future__ import annotations

import datetime as dt
import json
import math
import statistics
import unicodedata
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from faqbot.answer.pipeline import FAQBot
from faqbot.core.errors import FAQBotError
from faqbot.core.records import Answer, Passage
from faqbot.doors.assets import templates_dir


class ExpectedPassage(BaseModel):
    model_config = ConfigDict(frozen=True)
    doc: str
    question: str


class EvalItem(BaseModel):
    """One labelled question."""

    model_config = ConfigDict(frozen=True, extra="allow")
    id: str
    question: str
    expected: list[ExpectedPassage] = Field(default_factory=list)
    must_contain: list[list[str]] = Field(default_factory=list)
    kind: str = "unlabelled"

    @property
    def answerable(self) -> bool:
        return bool(self.expected)


class EvalFileError(FAQBotError):
    """The evaluation file cannot be read."""


def read_eval_file(path: Path) -> list[EvalItem]:
    """Parse a JSONL evaluation file; a bad line is reported with its number."""
    items: list[EvalItem] = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise EvalFileError(f"cannot read {path}: {error}") from error
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            items.append(EvalItem.model_validate_json(line))
        except ValidationError as error:
            first = error.errors()[0]
            raise EvalFileError(f"{path}:{number}: {first['msg']} at {first['loc']}") from error
    if not items:
        raise EvalFileError(f"{path} holds no questions")
    return items


def _key(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).replace("’", "'").replace("“", '"').replace("”", '"')
    return " ".join(text.split()).casefold()


def passage_keys(passage: Passage) -> set[tuple[str, str]]:
    """The (doc, question) keys an eval file may use for this passage: by file name or by path."""
    if passage.question is None:
        return set()
    question = _key(passage.question)
    return {(_key(Path(passage.source).name), question), (_key(passage.source), question)}


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


def evaluate(bot: FAQBot, items: list[EvalItem], top_k: int = 3, *, eval_file: str | Path | None = None) -> Report:
    """Ask every item through the real pipeline and score the answers.

    `eval_file` is only recorded in the report's `meta`.
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
        expected_rows = {key_to_passage[key] for key in wanted}
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
        results.append(
            ItemResult(
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
            )
        )
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
    text = _key(text)
    return all(any(_key(alternative) in text for alternative in group) for group in groups)


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


SWEEP_STEPS = 1000
"""The sweep re-decides at thresholds 0, 0.001, ..., 1."""

SCORE_DEFINITION = (
    "score = share of questions handled correctly end to end: answerable questions answered "
    "with an expected passage first (and its must-contain text), plus out-of-domain questions "
    "that got no_answer (correctly abstained)"
)

RULE_TREATMENT = (
    "Answers decided by the numeric rules (an exact figure, or a refusal to guess one) are not "
    "subject to the no-answer threshold: the bot gives them at any threshold, so the sweep keeps "
    "their outcome as it was."
)


@dataclass(frozen=True)
class SweepPoint:
    """What the bot does at one threshold: shares of all items (they add up to 1)."""

    threshold: float
    answered_correct: float
    answered_wrong: float
    abstained_correct: float
    abstained_wrong: float
    score: float  # answered_correct + abstained_correct (each share rounded on its own)
    abstained: float

    @classmethod
    def of_counts(cls, threshold: float, counts: list[int], total: int) -> SweepPoint:
        """From the counts answered right, answered wrong, abstained right, abstained wrong."""
        right, wrong, abstained_right, abstained_wrong = counts

        def share(count: int) -> float:
            return round(count / total, 4)

        return cls(
            threshold=round(threshold, 4),
            answered_correct=share(right),
            answered_wrong=share(wrong),
            abstained_correct=share(abstained_right),
            abstained_wrong=share(abstained_wrong),
            score=share(right + abstained_right),
            abstained=share(abstained_right + abstained_wrong),
        )

    def to_json(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class ThresholdSweep:
    """The no-answer decision re-made at every threshold (see `threshold_sweep`)."""

    items: int
    rule_items: int
    points: list[SweepPoint]
    current: SweepPoint | None
    best_low: float | None
    best_high: float | None
    best: SweepPoint | None
    best_runs: list[tuple[float, float]] = field(default_factory=list)  # every range with the best score

    @property
    def best_threshold(self) -> float | None:
        return self.best.threshold if self.best else None

    def to_json(self) -> dict[str, Any]:
        every_hundredth = [point for i, point in enumerate(self.points) if i % (SWEEP_STEPS // 100) == 0]
        return {
            "definition": SCORE_DEFINITION,
            "rules": RULE_TREATMENT,
            "items": self.items,
            "rule_items": self.rule_items,
            "current_threshold": self.current.threshold if self.current else None,
            "current_score": self.current.score if self.current else None,
            "best_threshold": self.best_threshold,
            "best_low": self.best_low,
            "best_high": self.best_high,
            "best_score": self.best.score if self.best else None,
            "best_runs": [list(run) for run in self.best_runs],
            "points": [point.to_json() for point in every_hundredth],
        }


def _would_be_right(result: ItemResult) -> bool:
    """Whether an answer (rather than no_answer) from the top-ranked passage is right."""
    if not result.answerable:
        return False
    if result.top_answer_correct is not None:
        return result.top_answer_correct
    # Reports written before `top_answer_correct` existed: the top passage's must-contain is unknown.
    return result.correct if result.got_kind != "no_answer" else result.top1


def threshold_sweep(results: list[ItemResult], current: float | None = None) -> ThresholdSweep:
    """Re-decide no_answer at every threshold from 0 to 1 and score each decision.

    An item whose retrieval decided (no rule) is answered at threshold t when its
    confidence >= t (the bot says no_answer below the threshold); answered, it is
    right when its top-ranked passage is an expected one with the must-contain
    text (`top_answer_correct`), and out-of-domain items are always wrong when
    answered; not answered, it is right only when out of domain. Rule-decided
    items keep their outcome (`RULE_TREATMENT`).

    The best threshold: the score (answered-correct + correctly-abstained share)
    is highest on one or more runs of thresholds; the widest run wins (a ridge is
    safer than a peak), ties go to the run nearest `current`, then the lowest;
    `best_threshold` is the middle of that run, `best_low`..`best_high` its ends,
    `best_runs` every run with the best score.
    """
    import numpy as np

    total = len(results)
    if total == 0:
        return ThresholdSweep(0, 0, [], None, None, None, None)
    fixed = [r for r in results if r.rule is not None]
    free = [r for r in results if r.rule is None]
    fixed_counts = np.array(
        [
            sum(r.got_kind != "no_answer" and r.correct for r in fixed),
            sum(r.got_kind != "no_answer" and not r.correct for r in fixed),
            sum(r.got_kind == "no_answer" and r.correct for r in fixed),
            sum(r.got_kind == "no_answer" and not r.correct for r in fixed),
        ]
    )
    grid = np.arange(SWEEP_STEPS + 1) / SWEEP_STEPS
    thresholds = grid if current is None else np.append(grid, float(current))
    confidence = np.array([r.confidence for r in free], dtype=float)
    right = np.array([_would_be_right(r) for r in free], dtype=bool)
    answerable = np.array([r.answerable for r in free], dtype=bool)
    answered = confidence[None, :] >= thresholds[:, None]
    counts = (
        np.stack(
            [
                (answered & right).sum(axis=1),
                (answered & ~right).sum(axis=1),
                (~answered & ~answerable).sum(axis=1),
                (~answered & answerable).sum(axis=1),
            ],
            axis=1,
        )
        + fixed_counts[None, :]
    )

    def point(row: int) -> SweepPoint:
        return SweepPoint.of_counts(float(thresholds[row]), [int(c) for c in counts[row]], total)

    points = [point(row) for row in range(len(grid))]
    good = counts[: len(grid), 0] + counts[: len(grid), 2]
    best_count = good.max()
    runs: list[tuple[int, int]] = []
    start = None
    for i, value in enumerate(good):
        if value == best_count and start is None:
            start = i
        if value != best_count and start is not None:
            runs.append((start, i - 1))
            start = None
    if start is not None:
        runs.append((start, len(grid) - 1))
    anchor = SWEEP_STEPS * (current if current is not None else 0.0)
    low, high = min(runs, key=lambda run: (-(run[1] - run[0]), abs((run[0] + run[1]) / 2 - anchor), run[0]))
    return ThresholdSweep(
        items=total,
        rule_items=len(fixed),
        points=points,
        current=point(len(grid)) if current is not None else None,
        best_low=float(grid[low]),
        best_high=float(grid[high]),
        best=points[(low + high) // 2],
        best_runs=[(float(grid[a]), float(grid[b])) for a, b in runs],
    )


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


# --------------------------------------------------------------------------- comparison with a baseline

DEFAULT_MARGIN = 0.02
"""A score drop larger than this (in share of items) is a regression."""


@dataclass(frozen=True)
class MetricDelta:
    name: str
    before: float | int | None
    after: float | int | None

    @property
    def delta(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return round(self.after - self.before, 4)


@dataclass(frozen=True)
class ItemChange:
    """One item whose outcome changed: `fixed` (wrong -> right), `broken` (right -> wrong),
    `kind` (same verdict, another answer kind), `new` (not in the baseline), `gone`."""

    id: str
    question: str
    change: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class Comparison:
    """This run against a baseline metrics.json."""

    baseline: str
    margin: float
    deltas: list[MetricDelta]
    changes: list[ItemChange]

    def of(self, change: str) -> list[ItemChange]:
        return [c for c in self.changes if c.change == change]

    @property
    def score(self) -> MetricDelta:
        return next((d for d in self.deltas if d.name == "score"), MetricDelta("score", None, None))

    @property
    def regression(self) -> bool:
        """The score fell by more than the margin."""
        delta = self.score.delta
        return delta is not None and -delta > self.margin + 1e-9

    def verdict(self) -> str:
        """One line: regression or not, the score change, and the items that broke."""
        score = self.score
        if score.delta is None:
            line = "no score to compare"
        else:
            within = "more than" if self.regression else "within"
            line = (
                f"score {_format(score.before)} -> {_format(score.after)} ({score.delta:+.4g}, "
                f"{within} the margin {self.margin:g})"
            )
        broken = self.of("broken")
        if broken:
            ids = ", ".join(c.id for c in broken)
            line += f"; {len(broken)} item{'s' if len(broken) != 1 else ''} went from correct to wrong: {ids}"
        fixed = self.of("fixed")
        if fixed:
            line += f"; {len(fixed)} fixed"
        return ("REGRESSION: " if self.regression else "OK: ") + line

    def to_json(self) -> dict[str, Any]:
        return {
            "baseline": self.baseline,
            "margin": self.margin,
            "regression": self.regression,
            "verdict": self.verdict(),
            "deltas": {d.name: {"before": d.before, "after": d.after, "delta": d.delta} for d in self.deltas},
            "changes": [asdict(c) for c in self.changes],
        }


def load_baseline(path: Path) -> dict[str, Any]:
    """A metrics.json written by `write_report`, or EvalFileError in one line saying what is wrong."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise EvalFileError(f"cannot read the baseline {path}: {error.strerror or error}") from error
    except UnicodeDecodeError as error:
        raise EvalFileError(f"the baseline {path} is not UTF-8 text") from error
    except json.JSONDecodeError as error:
        raise EvalFileError(
            f"the baseline {path} is not valid JSON ({error.msg} at line {error.lineno}, column {error.colno})"
        ) from error
    problem = None
    if not isinstance(data, dict):
        problem = "it is not a JSON object"
    elif not isinstance(data.get("metrics"), dict) or "score" not in data["metrics"]:
        problem = "it has no 'metrics' with a 'score'"
    elif not isinstance(data.get("items"), list) or not all(
        isinstance(item, dict) and isinstance(item.get("id"), str) and isinstance(item.get("correct"), bool)
        for item in data["items"]
    ):
        problem = "its 'items' are not a list of results with 'id' and 'correct'"
    elif data["metrics"]["score"] is not None and not isinstance(data["metrics"]["score"], (int, float)):
        problem = "its score is not a number"
    if problem:
        raise EvalFileError(f"the baseline {path} is not a metrics.json from `faqbot eval --report`: {problem}")
    return data


def compare(report: Report, baseline: dict[str, Any], *, margin: float = DEFAULT_MARGIN, name: str = "") -> Comparison:
    """What changed since `baseline` (a loaded metrics.json): metric deltas and item changes by id."""
    if margin < 0:
        raise ValueError(f"margin must be >= 0, got {margin!r}")
    before_metrics = baseline["metrics"]
    names = [key for key, _ in TABLE_COLUMNS] + [
        key for key in report.metrics if key not in dict(TABLE_COLUMNS) and key in before_metrics
    ]
    deltas = [
        MetricDelta(key, _number(before_metrics.get(key)), _number(report.metrics.get(key)))
        for key in dict.fromkeys(names)
        if key in report.metrics or key in before_metrics
    ]
    before_items = {item["id"]: item for item in baseline["items"]}
    after_items = {item.id: item for item in report.items}
    changes: list[ItemChange] = []
    for item in report.items:
        old = before_items.get(item.id)
        if old is None:
            changes.append(ItemChange(item.id, item.question, "new", None, item.got_kind))
            continue
        old_kind = old.get("got_kind")
        if old["correct"] and not item.correct:
            change = "broken"
        elif not old["correct"] and item.correct:
            change = "fixed"
        elif old_kind != item.got_kind:
            change = "kind"
        else:
            continue
        changes.append(ItemChange(item.id, item.question, change, old_kind, item.got_kind))
    for item_id, old in before_items.items():
        if item_id not in after_items:
            changes.append(ItemChange(item_id, str(old.get("question", "")), "gone", old.get("got_kind"), None))
    order = {"broken": 0, "fixed": 1, "kind": 2, "new": 3, "gone": 4}
    changes.sort(key=lambda c: (order[c.change], c.id))
    return Comparison(baseline=name, margin=margin, deltas=deltas, changes=changes)


def _number(value: object) -> float | int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return value


# --------------------------------------------------------------------------- rendering

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
    ("score", "score"),
    ("latency_p50_ms", "p50 ms"),
    ("latency_p95_ms", "p95 ms"),
)


def markdown_table(report: Report) -> str:
    """The metrics as a Markdown table: one row per kind, then all."""
    header = "| kind | " + " | ".join(label for _, label in TABLE_COLUMNS) + " |"
    rule = "|---" * (len(TABLE_COLUMNS) + 1) + "|"
    rows = [header, rule]
    for kind, metrics in [*report.per_kind.items(), ("**all**", report.metrics)]:
        cells = ["–" if metrics[key] is None else _format(metrics[key]) for key, _ in TABLE_COLUMNS]
        rows.append(f"| {kind} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def _format(value: float) -> str:
    return (
        str(value)
        if isinstance(value, int)
        else f"{value:.3f}".rstrip("0").rstrip(".")
        if value < 10
        else f"{value:.1f}"
    )


def _cell(text: object) -> str:
    """Text for a Markdown table cell: one line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _describe_meta(meta: dict[str, Any]) -> list[str]:
    if not meta:
        return []
    documents = ", ".join(meta.get("documents") or []) or "–"
    lines = [
        f"- Eval file: `{meta.get('eval_file') or '–'}`",
        f"- Corpus: `{meta.get('corpus', '–')}` ({documents}; {meta.get('passages', '–')} passages)",
        f"- Model: `{meta.get('model', '–')}`",
        f"- Date: {meta.get('date', '–')}" + (f" (today pinned to {meta['today']})" if meta.get("today") else ""),
        f"- No-answer threshold: {meta.get('no_answer_threshold', '–')}; top_k: {meta.get('top_k', '–')}",
    ]
    return lines


PLOTS = {
    "confidence_histogram": "Confidence histogram",
    "threshold_sweep": "Threshold sweep",
    "recall_at_k": "Recall@k",
}
"""The plots `write_plots` makes, each as <name>.png and <name>.svg."""


def sweep_sentence(sweep: ThresholdSweep) -> str:
    """The sweep's finding in one sentence."""
    if sweep.best is None:
        return "No items: nothing to sweep."
    best = (
        f"the best score, {_format(sweep.best.score)}, holds for thresholds from {sweep.best_low:g} to "
        f"{sweep.best_high:g} (middle: {sweep.best.threshold:g})"
    )
    chosen = (sweep.best_low, sweep.best_high)
    others = [f"{low:g} to {high:g}" for low, high in sweep.best_runs if (low, high) != chosen]
    if others:
        best += " and also from " + ", ".join(others)
    if sweep.current is None:
        return best[0].upper() + best[1:] + "."
    return f"At the current threshold {sweep.current.threshold:g} the score is {_format(sweep.current.score)}; {best}."


def markdown_report(
    report: Report, title: str = "Evaluation", *, comparison: Comparison | None = None, images: bool = False
) -> str:
    """The report as Markdown: what was evaluated, the metrics table, the comparison with a
    baseline, the sweep, recall@k, confusions and every failure. `images` links the plots
    (written beside it by `write_report`)."""
    sweep = threshold_sweep(report.items, report.threshold)
    lines = [f"# {title}", "", *_describe_meta(report.meta)]
    if report.meta:
        lines.append("")
    lines += [markdown_table(report), "", f"_{SCORE_DEFINITION[0].upper()}{SCORE_DEFINITION[1:]}._", ""]
    if report.skipped:
        lines += [f"Skipped (expected documents not in this corpus): {', '.join(report.skipped)}", ""]
    if comparison is not None:
        lines += [f"## Compared with `{comparison.baseline}`", "", f"**{comparison.verdict()}**", ""]
        lines += ["| metric | before | after | change |", "|---|---|---|---|"]
        for d in comparison.deltas:
            lines.append(
                f"| {d.name} | {_dash(d.before)} | {_dash(d.after)} | {'–' if d.delta is None else f'{d.delta:+.4g}'} |"
            )
        lines.append("")
        if comparison.changes:
            lines += ["| item | change | before | after | question |", "|---|---|---|---|---|"]
            for c in comparison.changes:
                lines.append(f"| {c.id} | {c.change} | {c.before or '–'} | {c.after or '–'} | {_cell(c.question)} |")
        else:
            lines.append("No item changed.")
        lines.append("")
    lines += ["## Confidence and the no-answer threshold", ""]
    if images:
        lines += [
            "![Confidence histogram](confidence_histogram.png)",
            "",
            "![Threshold sweep](threshold_sweep.png)",
            "",
        ]
    lines += [sweep_sentence(sweep), "", f"_{RULE_TREATMENT}_", ""]
    recall = recall_at_k(report.items)
    lines += ["## Recall@k", ""]
    if images:
        lines += ["![Recall@k](recall_at_k.png)", ""]
    lines += [
        "| k | " + " | ".join(str(k) for k in recall) + " |",
        "|---" * (len(recall) + 1) + "|",
        "| recall | " + " | ".join(_dash(value) for value in recall.values()) + " |",
        "",
    ]
    lines += ["## Which FAQ question took which", ""]
    rows = confusions(report.items)
    if rows:
        lines += ["| expected | ranked first instead | count | answered | items |", "|---|---|---|---|---|"]
        for row in rows:
            lines.append(
                f"| {_cell(row.expected)} | {_cell(row.won)} | {row.count} | {row.answered} | {', '.join(row.ids)} |"
            )
    else:
        lines.append("None: every answerable question ranked an expected passage first.")
    lines += ["", "## Failures", ""]
    if not report.failures:
        lines.append("None.")
    else:
        lines += ["| id | kind | question | expected | got | cited | confidence | rank |", "|---" * 8 + "|"]
    for item in report.failures:
        expected = "; ".join(item.expected) or "no_answer"
        got = item.got_kind + (f" ({item.rule})" if item.rule else "")
        lines.append(
            f"| {item.id} | {item.kind} | {_cell(item.question)} | {_cell(expected)} | {got} | "
            f"{_cell(item.cited_question or item.cited or '–')} | {item.confidence:.2f} | {item.rank or '–'} |"
        )
    return "\n".join(lines) + "\n"


def _dash(value: float | None) -> str:
    return "–" if value is None else _format(value)


# --------------------------------------------------------------------------- plots

# Colours that stay apart for the common colour-vision deficiencies (Okabe-Ito).
_GREEN, _RED, _BLUE, _ORANGE, _GREY = "#009E73", "#D55E00", "#0072B2", "#E69F00", "#7f7f7f"


def write_plots(report: Report, folder: Path) -> list[Path]:
    """The plots of `PLOTS` as .png and .svg in `folder` (matplotlib, no display needed)."""
    import matplotlib

    # Figures are made without pyplot (no global state, no GUI); PNGs are drawn by Agg.
    matplotlib.rcParams["svg.hashsalt"] = "faqbot"  # stable ids: the same report, the same SVG
    written: list[Path] = []
    for name, draw in (
        ("confidence_histogram", _plot_confidence),
        ("threshold_sweep", _plot_sweep),
        ("recall_at_k", _plot_recall),
    ):
        figure = draw(report)
        for suffix, metadata in ((".png", {"Software": None}), (".svg", {"Date": None, "Creator": None})):
            path = folder / f"{name}{suffix}"
            figure.savefig(path, format=suffix[1:], dpi=150, metadata=metadata)
            written.append(path)
    return written


def _figure(height: float = 4.2):
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, height), layout="constrained")
    axes = figure.subplots()
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="y", color="#e5e5e5", linewidth=0.8)
    axes.set_axisbelow(True)
    return figure, axes


def _plot_confidence(report: Report):
    from matplotlib.ticker import MaxNLocator

    figure, axes = _figure()
    free = [r for r in report.items if r.rule is None]
    answerable = [r.confidence for r in free if r.answerable]
    outside = [r.confidence for r in free if not r.answerable]
    threshold = report.threshold
    # Bins 0.05 wide with an edge on the threshold, so no bar straddles it.
    anchor = threshold if threshold is not None else 0.0
    bins = sorted({0.0, 1.0, *(round(anchor + 0.05 * k, 6) for k in range(-20, 21) if 0 < anchor + 0.05 * k < 1)})
    axes.hist(
        [answerable, outside],
        bins=bins,
        color=[_BLUE, _ORANGE],
        label=[f"answerable ({len(answerable)})", f"out of domain ({len(outside)})"],
        edgecolor="white",
        linewidth=0.6,
    )
    if threshold is not None:
        axes.axvline(threshold, color="black", linestyle="--", linewidth=1.4)
        axes.annotate(
            f"no-answer threshold {threshold:g}\n(below: no_answer)",
            xy=(threshold, 1),
            xycoords=("data", "axes fraction"),
            xytext=(6, -4),
            textcoords="offset points",
            va="top",
            fontsize=9,
        )
    axes.set_xlim(0, 1)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel("confidence of the top answer")
    axes.set_ylabel("questions")
    rules = len(report.items) - len(free)
    axes.set_title(
        "Confidence: answerable vs out-of-domain questions"
        + (f"\n({rules} rule-decided answers not shown: the threshold does not apply to them)" if rules else ""),
        fontsize=11,
    )
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, frameon=False)
    return figure


def _plot_sweep(report: Report):
    figure, axes = _figure(4.8)
    sweep = threshold_sweep(report.items, report.threshold)
    x = [p.threshold for p in sweep.points]
    axes.plot(
        x,
        [p.score for p in sweep.points],
        color="black",
        linewidth=2.4,
        label="score (answered right + correctly abstained)",
    )
    axes.plot(x, [p.answered_correct for p in sweep.points], color=_GREEN, linewidth=1.6, label="answered correctly")
    axes.plot(x, [p.answered_wrong for p in sweep.points], color=_RED, linewidth=1.6, label="answered wrongly")
    axes.plot(
        x,
        [p.abstained for p in sweep.points],
        color=_GREY,
        linewidth=1.6,
        linestyle="--",
        label="abstained (no_answer)",
    )
    axes.plot(
        x,
        [p.abstained_correct for p in sweep.points],
        color=_ORANGE,
        linewidth=1.4,
        linestyle=":",
        label="abstained correctly (out of domain)",
    )
    marks = []
    if sweep.best is not None:
        for number, (low, high) in enumerate(sweep.best_runs):
            label = "thresholds with the best score" if number == 0 else None
            axes.axvspan(low, high, color="#fff1b8", zorder=0, label=label)
        axes.axvline(sweep.best.threshold, color="#8a6d00", linewidth=1.4)
        best_text = f"best {sweep.best.threshold:g}\nscore {_format(sweep.best.score)}"
        marks.append((sweep.best.threshold, best_text, "#5c4800"))
    if sweep.current is not None:
        axes.axvline(sweep.current.threshold, color=_BLUE, linestyle="--", linewidth=1.4)
        current_text = f"current {sweep.current.threshold:g}\nscore {_format(sweep.current.score)}"
        marks.append((sweep.current.threshold, current_text, _BLUE))
    # Labels above the curves, each on the side of its line away from the other one.
    marks.sort(key=lambda mark: mark[0])
    for number, (x, text, colour) in enumerate(marks):
        left = len(marks) == 2 and number == 0
        axes.annotate(
            text,
            xy=(x, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(-5 if left else 5, -3),
            textcoords="offset points",
            ha="right" if left else "left",
            va="top",
            fontsize=9,
            color=colour,
        )
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1.15)
    axes.set_yticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    axes.set_xlabel("no-answer threshold (answer when confidence ≥ threshold)")
    axes.set_ylabel(f"share of the {sweep.items} questions")
    axes.set_title(
        "Threshold sweep: what the bot would do at each threshold"
        + (f"\n({sweep.rule_items} rule-decided answers kept as they are)" if sweep.rule_items else ""),
        fontsize=11,
    )
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, frameon=False, fontsize=8.5)
    return figure


def _plot_recall(report: Report):
    figure, axes = _figure(3.8)
    recall = recall_at_k(report.items)
    ks = [k for k, value in recall.items() if value is not None]
    values = [recall[k] for k in ks]
    axes.plot(ks, values, color=_BLUE, marker="o", linewidth=1.8)
    for k, value in zip(ks, values, strict=True):
        axes.annotate(
            _format(value), xy=(k, value), xytext=(0, 7), textcoords="offset points", ha="center", fontsize=8.5
        )
    axes.set_xticks(list(recall))
    axes.set_xlim(0.5, len(recall) + 0.5)
    axes.set_ylim(0, 1.08)
    axes.set_xlabel("k (passages retrieved)")
    axes.set_ylabel("recall@k")
    answerable = sum(r.answerable for r in report.items)
    axes.set_title(f"Recall@k: an expected passage among the top k ({answerable} answerable questions)", fontsize=11)
    return figure


# --------------------------------------------------------------------------- HTML and the report folder

TEMPLATES_DIR = templates_dir()


def html_report(report: Report, *, comparison: Comparison | None = None, title: str = "Evaluation report") -> str:
    """The report as one HTML page (inline CSS; the plots are the files `write_plots` writes beside it)."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    environment = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR / "report")),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["fmt"] = _dash
    environment.filters["signed"] = lambda value: "–" if value is None else f"{value:+.4g}"
    rows = [*report.per_kind.items(), ("all", report.metrics)]
    meta_keys = (
        "eval_file",
        "corpus",
        "documents",
        "passages",
        "model",
        "date",
        "today",
        "no_answer_threshold",
        "top_k",
    )
    return environment.get_template("report.html").render(
        title=title,
        meta={**dict.fromkeys(meta_keys), **report.meta},
        metrics=report.metrics,
        rows=rows,
        columns=TABLE_COLUMNS,
        score_definition=SCORE_DEFINITION,
        rule_treatment=RULE_TREATMENT,
        sweep=threshold_sweep(report.items, report.threshold),
        sweep_sentence=sweep_sentence(threshold_sweep(report.items, report.threshold)),
        recall=recall_at_k(report.items),
        confusions=confusions(report.items),
        out_of_domain=OUT_OF_DOMAIN,
        failures=report.failures,
        skipped=report.skipped,
        comparison=comparison,
        plots=PLOTS,
    )


def write_report(report: Report, folder: Path, *, comparison: Comparison | None = None) -> list[Path]:
    """The report folder: metrics.json (everything), report.md, report.html and the plots
    (.png and .svg). Returns the paths written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / "metrics.json", folder / "report.md", folder / "report.html"]
    written[0].write_text(json.dumps(report.to_json(comparison), indent=2) + "\n", encoding="utf-8")
    written[1].write_text(markdown_report(report, comparison=comparison, images=True), encoding="utf-8")
    written[2].write_text(html_report(report, comparison=comparison), encoding="utf-8")
    return written + write_plots(report, folder)
