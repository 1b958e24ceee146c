"""Comparison with a baseline metrics.json: metric deltas, items fixed or broken, the verdict.

`faqbot eval --baseline DIR/metrics.json` exits non-zero only when `Comparison.regression`:
the score fell by more than the margin (`DEFAULT_MARGIN` unless given).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from faqbot.evaluate.metrics import TABLE_COLUMNS, Report, dash
from faqbot.evaluate.questions import EvalFileError

__all__ = ["DEFAULT_MARGIN", "Comparison", "ItemChange", "MetricDelta", "compare", "load_baseline"]

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
                f"score {dash(score.before)} -> {dash(score.after)} ({score.delta:+.4g}, "
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
