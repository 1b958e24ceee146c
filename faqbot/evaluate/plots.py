"""The report's plots (matplotlib, no display needed): confidence histogram, threshold
sweep, recall@k, each written as .png and .svg."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from faqbot.evaluate.metrics import Report, format_value, recall_at_k
from faqbot.evaluate.sweep import threshold_sweep

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["PLOTS", "write_plots"]

PLOTS = {
    "confidence_histogram": "Confidence histogram",
    "threshold_sweep": "Threshold sweep",
    "recall_at_k": "Recall@k",
}
"""The plots `write_plots` makes, each as <name>.png and <name>.svg."""

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


def _figure(height: float = 4.2) -> tuple[Figure, Axes]:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, height), layout="constrained")
    axes = figure.subplots()
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="y", color="#e5e5e5", linewidth=0.8)
    axes.set_axisbelow(True)
    return figure, axes


def _plot_confidence(report: Report) -> Figure:
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


def _plot_sweep(report: Report) -> Figure:
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
        best_text = f"best {sweep.best.threshold:g}\nscore {format_value(sweep.best.score)}"
        marks.append((sweep.best.threshold, best_text, "#5c4800"))
    if sweep.current is not None:
        axes.axvline(sweep.current.threshold, color=_BLUE, linestyle="--", linewidth=1.4)
        current_text = f"current {sweep.current.threshold:g}\nscore {format_value(sweep.current.score)}"
        marks.append((sweep.current.threshold, current_text, _BLUE))
    # Labels above the curves, each on the side of its line away from the other one.
    marks.sort(key=lambda mark: mark[0])
    for number, (position, text, colour) in enumerate(marks):
        left = len(marks) == 2 and number == 0
        axes.annotate(
            text,
            xy=(position, 1.0),
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


def _plot_recall(report: Report) -> Figure:
    figure, axes = _figure(3.8)
    recall = recall_at_k(report.items)
    ks = [k for k, value in recall.items() if value is not None]
    values = [value for value in recall.values() if value is not None]
    axes.plot(ks, values, color=_BLUE, marker="o", linewidth=1.8)
    for k, value in zip(ks, values, strict=True):
        axes.annotate(
            format_value(value), xy=(k, value), xytext=(0, 7), textcoords="offset points", ha="center", fontsize=8.5
        )
    axes.set_xticks(list(recall))
    axes.set_xlim(0.5, len(recall) + 0.5)
    axes.set_ylim(0, 1.08)
    axes.set_xlabel("k (passages retrieved)")
    axes.set_ylabel("recall@k")
    answerable = sum(r.answerable for r in report.items)
    axes.set_title(f"Recall@k: an expected passage among the top k ({answerable} answerable questions)", fontsize=11)
    return figure
