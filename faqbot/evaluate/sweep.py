"""The threshold sweep: the no-answer decision re-made at every threshold from 0 to 1.

See `threshold_sweep` for how each item is re-decided and how the best
threshold range is chosen; rule answers keep their outcome (`RULE_TREATMENT`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from faqbot.evaluate.metrics import ItemResult

__all__ = ["RULE_TREATMENT", "SCORE_DEFINITION", "SWEEP_STEPS", "SweepPoint", "ThresholdSweep", "threshold_sweep"]

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
    runs = _runs_of_max([int(value) for value in good])
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


def _runs_of_max(values: list[int]) -> list[tuple[int, int]]:
    """(first, last) index of every run of consecutive values equal to the largest.

    >>> _runs_of_max([1, 3, 3, 2, 3])
    [(1, 2), (4, 4)]
    """
    best = max(values)
    runs: list[tuple[int, int]] = []
    start = None
    for i, value in enumerate(values):
        if value == best and start is None:
            start = i
        if value != best and start is not None:
            runs.append((start, i - 1))
            start = None
    if start is not None:
        runs.append((start, len(values) - 1))
    return runs
