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
"""

from __future__ import annotations

import json
import statistics
import unicodedata
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .answer import FAQBot
from .errors import FAQBotError
from .records import Answer, Passage


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


@dataclass
class Report:
    """Metrics overall and per kind, and every item's result."""

    metrics: dict[str, float | int | None]
    per_kind: dict[str, dict[str, float | int | None]]
    items: list[ItemResult] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def failures(self) -> list[ItemResult]:
        return [item for item in self.items if not item.correct]

    def to_json(self) -> dict:
        return {
            "metrics": self.metrics,
            "per_kind": self.per_kind,
            "skipped": self.skipped,
            "items": [asdict(item) for item in self.items],
        }


def evaluate(bot: FAQBot, items: list[EvalItem], top_k: int = 3) -> Report:
    """Ask every item through the real pipeline and score the answers."""
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
        if item.answerable:
            correct = answered_correctly and must_ok is not False
        else:
            correct = not answered
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
            )
        )
    per_kind = {
        kind: summarize([r for r in results if r.kind == kind])
        for kind in sorted({r.kind for r in results})
    }
    return Report(metrics=summarize(results), per_kind=per_kind, items=results, skipped=skipped)


def _cited_row(bot: FAQBot, answer: Answer) -> int | None:
    if not answer.citations:
        return None
    cited = answer.citations[0].passage_id
    return next((i for i, p in enumerate(bot.index.passages) if p.passage_id == cited), None)


def _must_contain(answer: Answer, groups: list[list[str]]) -> bool:
    text = _key(answer.answer)
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


def _format(value: float | int) -> str:
    return str(value) if isinstance(value, int) else f"{value:.3f}".rstrip("0").rstrip(".") if value < 10 else f"{value:.1f}"


def markdown_report(report: Report, title: str = "Evaluation") -> str:
    lines = [f"# {title}", "", markdown_table(report), ""]
    if report.skipped:
        lines += [f"Skipped (expected documents not in this corpus): {', '.join(report.skipped)}", ""]
    lines += ["## Failures", ""]
    if not report.failures:
        lines.append("None.")
    for item in report.failures:
        expected = "; ".join(item.expected) or "no_answer"
        lines.append(
            f"- **{item.id}** ({item.kind}) {item.question!r}: expected {expected}; got {item.got_kind} "
            f"citing {item.cited or '–'} (confidence {item.confidence:.2f}, rank {item.rank or '–'})"
        )
    return "\n".join(lines) + "\n"


def write_report(report: Report, folder: Path) -> None:
    """metrics.json (everything) and report.md in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "metrics.json").write_text(json.dumps(report.to_json(), indent=2) + "\n", encoding="utf-8")
    (folder / "report.md").write_text(markdown_report(report), encoding="utf-8")
