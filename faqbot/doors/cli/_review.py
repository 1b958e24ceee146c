"""The docs owner's commands: `faqbot eval` (with `--cv doc`) and `faqbot report`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from faqbot.doors.cli._shared import (
    EXIT_BELOW_MIN_SCORE,
    EXIT_REGRESSION,
    Subcommands,
    load_bot,
    settings_of,
)

__all__ = ["add_eval", "add_report", "cmd_cross_validate", "cmd_eval", "cmd_report"]


def cmd_cross_validate(args: argparse.Namespace) -> int:
    """`faqbot eval FILE... --cv doc`: the leave-one-document-out table (see faqbot/evaluate/crossval.py)."""
    try:
        import sklearn  # noqa: F401
    except ImportError:
        print("faqbot: error: --cv needs scikit-learn: pip install -e '.[test]'", file=sys.stderr)
        return 1
    from faqbot.evaluate.crossval import assemble_corpus, collect, cross_validate, cv_table, read_near_domain_ids
    from faqbot.evaluate.evaluation import read_eval_file

    items = [item for path in args.file for item in read_eval_file(path)]
    settings = settings_of(args)
    groups = {}
    for spec in args.cv_group or [f"{Path(settings.corpus_dir).name}={settings.corpus_dir}"]:
        name, separator, folder = spec.partition("=")
        if not separator or not name or not folder:
            print(f"faqbot: error: --cv-group wants NAME=DIR, got {spec!r}", file=sys.stderr)
            return 2
        groups[name] = Path(folder)
    try:
        corpus = assemble_corpus(groups, args.cv_work / "corpus")
    except FileNotFoundError as error:
        print(f"faqbot: error: {error}", file=sys.stderr)
        return 1
    settings = settings.model_copy(update={"corpus_dir": corpus, "index_dir": args.cv_work / "index"})
    bot = load_bot(args, settings)
    near_domain = frozenset().union(*(read_near_domain_ids(path.parent) for path in args.file))
    questions = collect(bot.retriever, items, near_domain)
    print(
        f"{len(questions)} of {len(items)} questions over {len({q.fold for q in questions})} documents; "
        "cross-validated leave-one-document-out (in-sample in brackets)\n"
    )
    result = cross_validate(bot.retriever, questions, settings.no_answer_threshold)
    print(cv_table(result))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from faqbot.evaluate.evaluation import (
        compare,
        evaluate,
        load_baseline,
        markdown_table,
        read_eval_file,
        write_report,
    )

    if args.margin < 0:
        print("faqbot: error: --margin must be >= 0", file=sys.stderr)
        return 2
    if args.cv:
        return cmd_cross_validate(args)
    items = [item for path in args.file for item in read_eval_file(path)]
    # A missing or broken baseline fails before the (slow) evaluation runs.
    baseline = load_baseline(args.baseline) if args.baseline is not None else None
    bot = load_bot(args)
    report = evaluate(bot, items, top_k=args.top_k, eval_file=", ".join(map(str, args.file)))
    print(markdown_table(report))
    if report.skipped:
        print(f"\nSkipped {len(report.skipped)} items whose documents are not in this corpus.")
    print(f"\n{len(report.failures)} of {len(report.items)} items failed.")
    for item in report.failures:
        expected = "; ".join(item.expected) or "no_answer"
        print(f"  {item.id} [{item.kind}] {item.question!r}: expected {expected!r}, got {item.got_kind} {item.cited}")
    comparison = None
    if baseline is not None:
        comparison = compare(report, baseline, margin=args.margin, name=str(args.baseline))
        print(f"\nCompared with {args.baseline}:")
        for delta in comparison.deltas:
            if delta.delta:
                print(f"  {delta.name}: {delta.before} -> {delta.after} ({delta.delta:+.4g})")
        for change in comparison.changes:
            before, after = change.before or "-", change.after or "-"
            print(f"  {change.change:<6} {change.id} {before} -> {after}  {change.question!r}")
        if not comparison.changes:
            print("  no item changed")
    if args.report:
        write_report(report, args.report, comparison=comparison)
        print(f"\nReport written to {args.report}/ (report.html, report.md, metrics.json, plots)")
    code = 0
    score = report.metrics["score"] or 0.0
    if args.min_score is not None and score < args.min_score:
        print(f"score {score:.3f} is below --min-score {args.min_score}", file=sys.stderr)
        code = EXIT_BELOW_MIN_SCORE
    if comparison is not None:
        print(comparison.verdict(), file=sys.stderr if comparison.regression else sys.stdout)
        if comparison.regression and code == 0:
            code = EXIT_REGRESSION
    return code


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def cmd_report(args: argparse.Namespace) -> int:
    """Questions from the log that got no_answer or a thumbs-down, grouped by similarity."""
    from faqbot.doors.report import ReportError, group_unanswered, load_similarity, write_export
    from faqbot.store import Store, database_target

    settings = settings_of(args)
    target = args.db if args.db is not None else database_target(settings)
    store = Store(target)
    db_path = store.describe()
    if store.backend == "sqlite" and not Path(str(store.path)).is_file():
        raise ReportError(
            f"no database at {db_path} (the server writes it; set FAQBOT_DB_PATH or FAQBOT_DB_URL, or use --db)"
        )
    similarity = load_similarity(None if args.no_model else settings, threshold=args.similarity)
    with store:
        groups = group_unanswered(store, similarity, limit=args.limit)
    if args.json:
        print(json.dumps([group.to_json() for group in groups], indent=2, default=str))
    elif not groups:
        print(f"No unanswered, unsure or thumbs-down questions in {db_path}.")
    else:
        asks = sum(group.count for group in groups)
        print(
            f"{_count(asks, 'unanswered, unsure or thumbs-down question')} in {db_path}, {_count(len(groups), 'group')} "
            f"(grouped by {similarity.description}); most frequent first:\n"
        )
        for group in groups:
            print(f"{group.count:>4}x  {group.question}")
            reasons = [f"no answer {group.no_answer}"] if group.no_answer else []
            reasons += [f"not sure {group.unsure}"] if group.unsure else []
            reasons += [f"thumbs down {group.thumbs_down}"] if group.thumbs_down else []
            print(f"       {', '.join(reasons)}; last asked {group.last_seen:%Y-%m-%d %H:%M}")
            for wording in group.wordings[1:6]:
                print(f"       - {wording.text!r} x{wording.count}")
            if len(group.wordings) > 6:
                print(f"       - ... {len(group.wordings) - 6} more wordings")
    if args.export is not None:
        write_export(groups, args.export)
        print(
            f"\nWrote {_count(len(groups), 'question')} to {args.export}: label each `expected` and `kind`, "
            "then add them to the evaluation file.",
            file=sys.stderr,
        )
    return 0


def add_eval(commands: Subcommands, common: argparse.ArgumentParser) -> None:
    evaluation = commands.add_parser("eval", parents=[common], help="evaluate on JSONL question files")
    evaluation.add_argument("file", type=Path, nargs="+", metavar="FILE")
    evaluation.add_argument(
        "--cv",
        choices=["doc"],
        help="cross-validate the learned ranking and no-answer models leave-one-document-out "
        "(needs scikit-learn, the test extra)",
    )
    evaluation.add_argument(
        "--cv-group",
        action="append",
        metavar="NAME=DIR",
        help="with --cv: a corpus folder and the name its documents are reported under (repeatable; "
        "default: the --corpus folder); all groups are searched together as one corpus",
    )
    evaluation.add_argument(
        "--cv-work", type=Path, default=Path("build/cv"), help="with --cv: where the combined corpus and index go"
    )
    evaluation.add_argument(
        "--report", type=Path, help="write report.html, report.md, metrics.json and the plots (.png, .svg) here"
    )
    evaluation.add_argument("--min-score", type=float, help=f"exit {EXIT_BELOW_MIN_SCORE} when the score is lower")
    evaluation.add_argument(
        "--baseline",
        type=Path,
        metavar="DIR/metrics.json",
        help="compare with a previous run's metrics.json: what got better or worse, item by item",
    )
    evaluation.add_argument(
        "--margin",
        type=float,
        default=0.02,
        help=f"with --baseline, exit {EXIT_REGRESSION} when the score fell by more than this (default 0.02)",
    )
    evaluation.add_argument("--top-k", type=int, default=3, choices=range(1, 11), metavar="1..10")
    evaluation.set_defaults(handler=cmd_eval)


def add_report(commands: Subcommands, common: argparse.ArgumentParser) -> None:
    report = commands.add_parser(
        "report",
        parents=[common],
        help="questions from the log that got no answer, an unsure (hedged) answer or a thumbs-down, grouped by similarity",
    )
    report.add_argument(
        "--db",
        help="the log: a SQLite file or a database URL (env FAQBOT_DB_URL or FAQBOT_DB_PATH, default ./faqbot.sqlite3)",
    )
    report.add_argument(
        "--no-model",
        action="store_true",
        help="group by shared stemmed words instead of loading the embedding model",
    )
    report.add_argument(
        "--similarity",
        type=float,
        help="how alike two wordings must be to share a group, 0..1 (default 0.6 with the model, 0.5 without)",
    )
    report.add_argument("--limit", type=int, default=5000, help="read at most this many recent entries of each kind")
    report.add_argument("--export", type=Path, metavar="FILE.jsonl", help="write the groups as an eval file to label")
    report.add_argument("--json", action="store_true", help="print the groups as JSON")
    report.set_defaults(handler=cmd_report)
