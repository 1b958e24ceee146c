"""The owner's dashboard: traffic, answer rate, satisfaction and the slow and unanswered
questions over a period, as numbers (`/api/admin/stats`) and as plots (`/admin`).

    >>> with Store("faqbot.sqlite3") as store:                       # doctest: +SKIP
    ...     board = build_dashboard(store, days=30, similarity=load_similarity(None))
    >>> board.answer_rate, [day.questions for day in board.by_day][-3:]  # doctest: +SKIP
    (0.84, [12, 30, 7])
    >>> svg = render_plot(board, "volume")                           # doctest: +SKIP

Counts (questions, answered and hedged among them, no-answers, thumbs, handoffs: answers that offered a way
to a person, questions per day) come
from `store.stats(days)`, exactly. The per-day split into answered and unanswered, the
slowest answers and the unanswered clusters read the most recent `MAX_LOG_ROWS` log
rows of the period; a period with more rows says so (`Dashboard.sampled`).

Plots are SVG drawn by matplotlib without pyplot (no global state, no display), served
as images by the admin router, so the page runs no script and loads nothing from
another site. Errors: `ValueError` for a period that is not a positive number of days,
or an unknown plot name.
"""

from __future__ import annotations

import datetime as dt
import io
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from faqbot.doors.report import DEFAULT_LIMIT, QuestionGroup, Similarity, collect_unanswered, group_questions
from faqbot.store import AnswerStore, StoreStats

__all__ = [
    "DEFAULT_DAYS",
    "MAX_DAYS",
    "PERIODS",
    "PLOTS",
    "Dashboard",
    "DayCount",
    "SlowAnswer",
    "build_dashboard",
    "check_days",
    "render_plot",
    "stats_payload",
]

PERIODS = (7, 30, 90)
"""The periods the dashboard offers, in days."""
DEFAULT_DAYS = 30
MAX_DAYS = 366
MAX_LOG_ROWS = 20_000
"""The most recent log rows read for the per-day split and the slowest answers."""
SLOWEST_COUNT = 8
TOP_CLUSTERS = 8

# Colours that stay apart for the common colour-vision deficiencies (Okabe-Ito), as in evaluate.py.
_GREEN, _RED, _BLUE, _ORANGE, _GREY = "#009E73", "#D55E00", "#0072B2", "#E69F00", "#9a9a9a"
_SKY, _PURPLE = "#3b8fc4", "#A0527F"  # darker than Okabe-Ito's sky blue and purple, for white labels


@dataclass(frozen=True)
class DayCount:
    """One UTC day of the period: questions asked, and how many got an answer or none."""

    day: str  # YYYY-MM-DD
    questions: int
    answered: int
    no_answer: int


@dataclass(frozen=True)
class SlowAnswer:
    """One logged answer and how long it took."""

    question: str
    latency_ms: float
    kind: str
    created_at: dt.datetime


@dataclass
class Dashboard:
    """Everything /admin shows for one period."""

    days: int
    since: dt.datetime
    questions: int
    answered: int
    no_answer: int
    thumbs_up: int
    thumbs_down: int
    handoffs: int
    by_day: list[DayCount]
    slowest: list[SlowAnswer] = field(default_factory=list)
    clusters: list[QuestionGroup] = field(default_factory=list)
    sampled: bool = False  # the period has more log rows than were read
    hedged: int = 0  # answered, but as the closest entry: the bot was not sure

    @property
    def answer_rate(self) -> float | None:
        """Answered / questions, or None before the first question."""
        return self.answered / self.questions if self.questions else None

    @property
    def thumbs_up_share(self) -> float | None:
        """Thumbs up / all thumbs, or None before the first vote."""
        votes = self.thumbs_up + self.thumbs_down
        return self.thumbs_up / votes if votes else None


def check_days(days: Any) -> int:
    """`days` as a period length, 1..MAX_DAYS; ValueError quoting anything else."""
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be a whole number from 1 to {MAX_DAYS}, got {days!r}")
    return days


def _period_days(stats: StoreStats, days: int, today: dt.date) -> list[str]:
    """Every day of the period, oldest first, the quiet ones too (a gap shows as a zero)."""
    span = {(today - dt.timedelta(days=offset)).isoformat() for offset in range(days)}
    return sorted(span | set(stats.by_day))


def stats_payload(stats: StoreStats, days: int, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """The JSON of `GET /api/admin/stats`: the period's counts and its questions per day."""
    today = (now or dt.datetime.now(dt.UTC)).date()
    return {
        "days": days,
        "questions": stats.questions,
        "answered": stats.answered,
        "no_answer": stats.no_answer,
        "thumbs_up": stats.thumbs_up,
        "thumbs_down": stats.thumbs_down,
        "handoffs": stats.handoffs,
        "hedged": stats.hedged,
        "by_day": [{"day": day, "questions": stats.by_day.get(day, 0)} for day in _period_days(stats, days, today)],
    }


def build_dashboard(
    store: AnswerStore,
    days: int,
    similarity: Similarity,
    *,
    now: dt.datetime | None = None,
    max_rows: int = MAX_LOG_ROWS,
) -> Dashboard:
    """The dashboard of the last `days` days (UTC) from the store's log and feedback."""
    check_days(days)
    now = now or dt.datetime.now(dt.UTC)
    since = now - dt.timedelta(days=days)
    stats = store.stats(days=days)
    rows = [row for row in store.conversations(limit=max_rows) if row.created_at >= since]
    unanswered_by_day = Counter(
        row.created_at.astimezone(dt.UTC).date().isoformat() for row in rows if row.kind == "no_answer"
    )
    by_day = []
    for day in _period_days(stats, days, now.date()):
        asked = stats.by_day.get(day, 0)
        unanswered = min(unanswered_by_day.get(day, 0), asked)
        by_day.append(DayCount(day, asked, asked - unanswered, unanswered))
    timed = [row for row in rows if row.latency_ms is not None]
    timed.sort(key=lambda row: row.latency_ms or 0.0, reverse=True)
    slowest = [
        SlowAnswer(row.question, float(row.latency_ms or 0.0), row.kind, row.created_at)
        for row in timed[:SLOWEST_COUNT]
    ]
    asked_in_period = [asked for asked in collect_unanswered(store, limit=DEFAULT_LIMIT) if asked.created_at >= since]
    return Dashboard(
        days=days,
        since=since,
        questions=stats.questions,
        answered=stats.answered,
        no_answer=stats.no_answer,
        thumbs_up=stats.thumbs_up,
        thumbs_down=stats.thumbs_down,
        handoffs=stats.handoffs,
        hedged=stats.hedged,
        by_day=by_day,
        slowest=slowest,
        clusters=group_questions(asked_in_period, similarity),
        sampled=len(rows) >= max_rows,
    )


# --------------------------------------------------------------------------- plots


def _figure(height: float):
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7.2, height), layout="constrained")
    axes = figure.subplots()
    axes.spines[["top", "right"]].set_visible(False)
    axes.set_axisbelow(True)
    return figure, axes


def _title(figure: Any, text: str) -> None:
    # On the figure, not the axes: long question labels push the axes right, the title stays left.
    figure.suptitle(text, x=0.01, ha="left", fontsize=11)


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _plot_volume(board: Dashboard):
    """Questions per day, answered and unanswered stacked."""
    from matplotlib.ticker import MaxNLocator

    figure, axes = _figure(3.0)
    days = [dt.date.fromisoformat(day.day) for day in board.by_day]
    answered = [day.answered for day in board.by_day]
    unanswered = [day.no_answer for day in board.by_day]
    axes.bar(days, answered, color=_BLUE, label="answered", width=0.8)
    axes.bar(days, unanswered, bottom=answered, color=_ORANGE, label="no answer", width=0.8)
    axes.grid(axis="y", color="#e5e5e5", linewidth=0.8)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))
    axes.set_ylim(bottom=0, top=max([1, *(day.questions for day in board.by_day)]) * 1.1)
    axes.set_ylabel("questions")
    _title(figure, f"Questions per day, last {board.days} days (UTC)")
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(maxticks=8)
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    axes.legend(loc="upper left", frameon=False, ncol=2, fontsize=9)
    return figure


def _share_bar(axes, row: int, parts: list[tuple[str, int, str]]) -> None:
    """One 100% bar of labelled parts, each part's share and count written on it."""
    total = sum(count for _, count, _ in parts)
    left = 0.0
    for label, count, colour in parts:
        share = count / total if total else 0.0
        if share:
            axes.barh(row, share, left=left, color=colour, height=0.6)
            if share >= 0.12:
                axes.text(
                    left + share / 2,
                    row,
                    f"{label}\n{share:.0%} ({count})",
                    ha="center",
                    va="center",
                    color="white",
                    fontsize=9,
                )
        left += share
    if not total:
        axes.barh(row, 1.0, color="#eeeeee", height=0.6)
        axes.text(0.5, row, "nothing yet", ha="center", va="center", color="#555555", fontsize=9)


def _plot_outcomes(board: Dashboard):
    """The answer rate, the thumbs up/down split and the handoffs to a person as 100% bars."""
    figure, axes = _figure(2.9)
    _share_bar(axes, 2, [("answered", board.answered, _BLUE), ("no answer", board.no_answer, _ORANGE)])
    _share_bar(axes, 1, [("thumbs up", board.thumbs_up, _GREEN), ("thumbs down", board.thumbs_down, _RED)])
    handed = min(board.handoffs, board.questions)
    _share_bar(axes, 0, [("no person needed", board.questions - handed, _SKY), ("offered a person", handed, _PURPLE)])
    axes.set_yticks(
        [2, 1, 0],
        [
            f"answers\n({board.questions} questions)",
            f"votes\n({board.thumbs_up + board.thumbs_down})",
            f"handoffs\n({board.handoffs})",
        ],
    )
    axes.set_xlim(0, 1)
    axes.set_xticks([])
    axes.spines[["bottom", "left"]].set_visible(False)
    axes.tick_params(axis="y", length=0)
    _title(figure, "Answer rate, satisfaction and handoffs")
    return figure


def _plot_ranked(title: str, labels: list[str], values: list[float], colour: str, unit: str, empty: str):
    """A horizontal bar per item, largest on top, its value written at its end."""
    figure, axes = _figure(0.9 + 0.38 * max(len(labels), 2))
    if not labels:
        axes.text(0.5, 0.5, empty, ha="center", va="center", color="#555555", transform=axes.transAxes)
        axes.set_xticks([])
        axes.set_yticks([])
        axes.spines[["bottom", "left"]].set_visible(False)
    else:
        rows = list(range(len(labels)))[::-1]
        axes.barh(rows, values, color=colour, height=0.65)
        axes.set_yticks(rows, labels, fontsize=9)
        axes.tick_params(axis="y", length=0)
        axes.set_xlim(0, max(values) * 1.18)
        axes.set_xticks([])
        axes.spines[["bottom"]].set_visible(False)
        for row, value in zip(rows, values, strict=True):
            axes.text(value, row, f" {value:,.0f}{unit}", va="center", fontsize=9)
    _title(figure, title)
    return figure


def _plot_clusters(board: Dashboard):
    top = board.clusters[:TOP_CLUSTERS]
    return _plot_ranked(
        "Most asked without a good answer (no answer or thumbs down)",
        [_short(group.question) for group in top],
        [float(group.count) for group in top],
        _ORANGE,
        "×",
        "No unanswered, unsure or thumbs-down questions in this period",
    )


def _plot_slowest(board: Dashboard):
    return _plot_ranked(
        "Slowest answers",
        [_short(answer.question) for answer in board.slowest],
        [answer.latency_ms for answer in board.slowest],
        _GREY,
        " ms",
        "No timed answers in this period",
    )


_RENDER_LOCK = threading.Lock()
"""matplotlib shares its font objects between figures: one plot is drawn at a time (the
server draws a page's plots in parallel threads otherwise)."""

PLOTS = {"volume": _plot_volume, "outcomes": _plot_outcomes, "clusters": _plot_clusters, "slowest": _plot_slowest}
"""The dashboard's plots by name, in the order the page shows them."""


def render_plot(board: Dashboard, name: str) -> str:
    """The plot `name` (one of PLOTS) of `board` as an SVG document."""
    if name not in PLOTS:
        raise ValueError(f"no plot named {name!r}; the plots are {', '.join(PLOTS)}")
    import matplotlib

    out = io.StringIO()
    with _RENDER_LOCK:
        matplotlib.rcParams["svg.hashsalt"] = "faqbot"  # stable ids: the same data, the same SVG
        figure = PLOTS[name](board)
        figure.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    return out.getvalue()
