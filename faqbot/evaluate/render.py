"""The report as text: the metrics table, Markdown, HTML (Jinja2), and the report folder.

`write_report` writes metrics.json (everything), report.md, report.html and the
plots. The HTML page is rendered from `faqbot/doors/web/templates/report/report.html`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from faqbot.doors.assets import templates_dir
from faqbot.evaluate.baseline import Comparison
from faqbot.evaluate.metrics import OUT_OF_DOMAIN, TABLE_COLUMNS, Report, confusions, dash, format_value, recall_at_k
from faqbot.evaluate.plots import PLOTS, write_plots
from faqbot.evaluate.sweep import RULE_TREATMENT, SCORE_DEFINITION, ThresholdSweep, threshold_sweep

__all__ = ["TEMPLATES_DIR", "html_report", "markdown_report", "markdown_table", "sweep_sentence", "write_report"]

TEMPLATES_DIR = templates_dir()


def markdown_table(report: Report) -> str:
    """The metrics as a Markdown table: one row per kind, then all."""
    header = "| kind | " + " | ".join(label for _, label in TABLE_COLUMNS) + " |"
    rule = "|---" * (len(TABLE_COLUMNS) + 1) + "|"
    rows = [header, rule]
    for kind, metrics in [*report.per_kind.items(), ("**all**", report.metrics)]:
        cells = [dash(metrics[key]) for key, _ in TABLE_COLUMNS]
        rows.append(f"| {kind} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


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


def sweep_sentence(sweep: ThresholdSweep) -> str:
    """The sweep's finding in one sentence."""
    if sweep.best is None:
        return "No items: nothing to sweep."
    best = (
        f"the best score, {format_value(sweep.best.score)}, holds for thresholds from {sweep.best_low:g} to "
        f"{sweep.best_high:g} (middle: {sweep.best.threshold:g})"
    )
    chosen = (sweep.best_low, sweep.best_high)
    others = [f"{low:g} to {high:g}" for low, high in sweep.best_runs if (low, high) != chosen]
    if others:
        best += " and also from " + ", ".join(others)
    if sweep.current is None:
        return best[0].upper() + best[1:] + "."
    return f"At the current threshold {sweep.current.threshold:g} the score is {format_value(sweep.current.score)}; {best}."


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
        lines += _comparison_lines(comparison)
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
        "| recall | " + " | ".join(dash(value) for value in recall.values()) + " |",
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
    lines += ["", "## Failures", "", *_failure_lines(report)]
    return "\n".join(lines) + "\n"


def _comparison_lines(comparison: Comparison) -> list[str]:
    """The Markdown section comparing this run with its baseline: verdict, deltas, item changes."""
    lines = [f"## Compared with `{comparison.baseline}`", "", f"**{comparison.verdict()}**", ""]
    lines += ["| metric | before | after | change |", "|---|---|---|---|"]
    for d in comparison.deltas:
        lines.append(
            f"| {d.name} | {dash(d.before)} | {dash(d.after)} | {'–' if d.delta is None else f'{d.delta:+.4g}'} |"
        )
    lines.append("")
    if comparison.changes:
        lines += ["| item | change | before | after | question |", "|---|---|---|---|---|"]
        for c in comparison.changes:
            lines.append(f"| {c.id} | {c.change} | {c.before or '–'} | {c.after or '–'} | {_cell(c.question)} |")
    else:
        lines.append("No item changed.")
    lines.append("")
    return lines


def _failure_lines(report: Report) -> list[str]:
    """The failures as a Markdown table, or "None."."""
    if not report.failures:
        return ["None."]
    lines = ["| id | kind | question | expected | got | cited | confidence | rank |", "|---" * 8 + "|"]
    for item in report.failures:
        expected = "; ".join(item.expected) or "no_answer"
        got = item.got_kind + (f" ({item.rule})" if item.rule else "")
        lines.append(
            f"| {item.id} | {item.kind} | {_cell(item.question)} | {_cell(expected)} | {got} | "
            f"{_cell(item.cited_question or item.cited or '–')} | {item.confidence:.2f} | {item.rank or '–'} |"
        )
    return lines


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
    environment.filters["fmt"] = dash
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
