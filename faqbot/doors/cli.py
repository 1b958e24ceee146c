"""The `faqbot` command: index, ask, chat, eval, report, serve.

Heavy imports (torch, sentence-transformers, faiss) happen inside the
commands, so `faqbot --help` answers at once.

Exit codes:
    0  success
    1  a domain error (bad corpus, index, eval file, baseline, database): one line on stderr
    2  usage error (argparse)
    3  `eval --min-score X`: the score is below X
    4  `eval --baseline FILE`: the score fell by more than `--margin` since the baseline
       (when both 3 and 4 apply, 3 is returned; both messages are printed)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

EXIT_ERROR = 1
EXIT_BELOW_MIN_SCORE = 3
EXIT_REGRESSION = 4


def _settings(args: argparse.Namespace):
    from faqbot.core.config import Settings

    overrides = {}
    if args.corpus is not None:
        overrides["corpus_dir"] = args.corpus
    if args.index is not None:
        overrides["index_dir"] = args.index
    if getattr(args, "no_rebuild", False):
        overrides["auto_rebuild"] = False
    return Settings(**overrides)


def _progress():
    """A one-line progress display on stderr while the index builds."""
    interactive = sys.stderr.isatty()
    state = {"last": -1}

    def report(stage: str, done: int, total: int) -> None:
        percent = int(100 * done / total) if total else 100
        if interactive and percent != state["last"]:
            print(f"\rBuilding the index: {stage} {done}/{total} ({percent}%)", end="", file=sys.stderr)
        if done >= total and state["last"] != 100:
            print(
                ("\r" if interactive else "") + f"Building the index: {stage} {done}/{total} (100%)",
                file=sys.stderr,
            )
            percent = 100
        state["last"] = percent

    return report


def _load_bot(args: argparse.Namespace, settings=None):
    from faqbot.answer.pipeline import FAQBot

    return FAQBot.load(settings=settings or _settings(args), progress=_progress())


# --------------------------------------------------------------------------- commands


def cmd_index_check(args: argparse.Namespace) -> int:
    """`faqbot index --check`: is the published build current for the corpus? Exit 0 when it
    is, 1 (with the reason) when it is missing, stale or built by another model. Loads no model."""
    from faqbot.core.errors import IndexError_, IndexMissing
    from faqbot.search.index import changed_corpus_files, check_model, corpus_of_index, read_manifest, resolve_build

    settings = _settings(args)
    index_dir = Path(settings.index_dir)
    try:
        build = resolve_build(index_dir)
        manifest = read_manifest(index_dir)
        check_model(manifest, settings.model)
        corpus_dir = corpus_of_index(settings, manifest)
    except IndexError_ as error:
        print(f"{'missing' if isinstance(error, IndexMissing) else 'stale'}: {error}")
        return EXIT_ERROR
    if not corpus_dir.is_dir():
        print(f"stale: the corpus folder {corpus_dir} is missing, so the build {build.name} cannot be checked")
        return EXIT_ERROR
    changed = changed_corpus_files(manifest, corpus_dir)
    if changed:
        shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
        print(
            f"stale: {build.name} in {index_dir} was built before {shown} changed in {corpus_dir}: run `faqbot index`"
        )
        return EXIT_ERROR
    print(
        f"current: {build.name} in {index_dir} matches the corpus {corpus_dir} ({manifest['counts']['passages']} passages)"
    )
    return 0


def cmd_index(args: argparse.Namespace) -> int:
    if getattr(args, "check", False):
        return cmd_index_check(args)
    from faqbot.search.embed import load_embedder
    from faqbot.search.index import build_index, read_manifest

    settings = _settings(args)
    embedder = load_embedder(settings.model)
    folder = build_index(settings, embedder, progress=_progress())
    manifest = read_manifest(folder)
    counts = manifest["counts"]
    print(
        f"Indexed {counts['passages']} passages ({counts['facts']} facts) from "
        f"{len(manifest['documents'])} documents in {manifest['build_seconds']:.1f} s -> {folder}"
    )
    for document in manifest["documents"]:
        for warning in document["warnings"]:
            print(f"warning: {document['source']}: {warning}", file=sys.stderr)
    for problem in manifest["problems"]:
        print(f"warning: {problem}", file=sys.stderr)
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    from faqbot.answer.pipeline import validate_question

    settings = _settings(args)
    # A bad question is refused before the model and the index are loaded.
    validate_question(args.question, settings.max_question_chars)
    bot = _load_bot(args, settings)
    answer = bot.ask(args.question, top_k=args.top_k)
    if args.json:
        print(answer.model_dump_json(indent=2))
    else:
        print(format_answer(answer))
    return 0


def format_answer(answer) -> str:
    """An answer as readable terminal text: answer, source, quote, confidence, related."""
    lines = [answer.answer.strip().replace("**", ""), ""]  # bold markers are noise in a terminal
    for number, citation in enumerate(answer.citations, start=1):
        trail = " > ".join(part for part in (citation.doc_title, citation.section, citation.question) if part)
        label = "Source:" if number == 1 else "Also:  "
        lines.append(f"{label} {trail}")
        where = f"{citation.source}, lines {citation.line_start}-{citation.line_end}"
        lines.append(f"        {where}" + (f"  {citation.url}" if citation.url else ""))
        lines.append(f'        "{citation.quote}"')
    if answer.rule and answer.rule.steps:
        lines.append("Working: " + "; ".join(answer.rule.steps))
    lines.append(f"Confidence: {answer.confidence:.2f} ({answer.kind})")
    if answer.related and answer.kind != "no_answer":
        lines.append("Related questions:")
        lines += [f"  - {item.question}" for item in answer.related]
    return "\n".join(lines)


def cmd_serve(args: argparse.Namespace) -> int:
    """The HTTP API, the widget and the Slack endpoints; the index is built first when needed."""
    from faqbot.answer.pipeline import FAQBot
    from faqbot.doors.http.app import run
    from faqbot.search.embed import load_embedder
    from faqbot.search.index import build_index, build_needed

    settings = _settings(args)
    if args.workers < 1:
        print("faqbot: error: --workers must be at least 1", file=sys.stderr)
        return 2
    bot = None
    if args.workers == 1:
        bot = FAQBot.load(settings=settings, progress=_progress())  # served as is
    elif (corpus_dir := build_needed(settings, settings.model)) is not None:
        # Build once here, before the workers start and each load the index; the supervising
        # process keeps no model in memory afterwards.
        embedder = load_embedder(settings.model, threads=settings.threads)
        build_index(settings.model_copy(update={"corpus_dir": corpus_dir}), embedder, progress=_progress())
    print(f"Serving on http://{args.host}:{args.port}/  (Ctrl-C stops)", file=sys.stderr)
    run(settings, host=args.host, port=args.port, workers=args.workers, bot=bot)
    return 0


CHAT_EXIT_WORDS = frozenset({"exit", "quit", "/exit", "/quit", "/q"})
CHAT_RESET = "/reset"


def cmd_chat(args: argparse.Namespace) -> int:
    """Ask questions one after another in the terminal, in one conversation: a follow-up
    ("and for existing ones?") is read against the previous question. `exit`, `quit` or
    Ctrl-D end it; an empty line asks again; `/reset` starts a new conversation."""
    from faqbot.answer.turns import ConversationDesk, new_conversation_id
    from faqbot.core.errors import InvalidQuestion
    from faqbot.store import open_store

    bot = _load_bot(args)
    # --log: answers go to the same log as the server's (channel "cli"), for `faqbot report`.
    store = open_store(bot.settings) if args.log else None
    desk = ConversationDesk(bot.settings)
    conversation_id = new_conversation_id()
    documents = len({p.source for p in bot.index.passages})
    print(
        f"Ask about the FAQ ({len(bot.index.passages)} passages from {documents} documents). "
        f"`{CHAT_RESET}` starts a new conversation; `exit`, `quit` or Ctrl-D quits.\n"
    )
    while True:
        try:
            question = input("you> ")
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        command = question.strip().lower()
        if not command:
            continue
        if command in CHAT_EXIT_WORDS:
            return 0
        if command == CHAT_RESET:
            conversation_id = new_conversation_id()
            print("bot> New conversation: follow-ups start afresh.\n")
            continue
        try:
            turn = desk.ask(bot, store, question, conversation_id=conversation_id, channel="cli")
        except InvalidQuestion as error:
            print(f"bot> {error}\n")
            continue
        text = format_answer(turn.answer)
        if turn.handoff is not None:
            text += f"\n{turn.handoff.label}: {turn.handoff.url}"
        print("bot> " + text.replace("\n", "\n     ") + "\n")


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
    settings = _settings(args)
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
    bot = _load_bot(args, settings)
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
    bot = _load_bot(args)
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

    settings = _settings(args)
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
        print(f"No unanswered or thumbs-down questions in {db_path}.")
    else:
        asks = sum(group.count for group in groups)
        print(
            f"{_count(asks, 'unanswered or thumbs-down question')} in {db_path}, {_count(len(groups), 'group')} "
            f"(grouped by {similarity.description}); most frequent first:\n"
        )
        for group in groups:
            print(f"{group.count:>4}x  {group.question}")
            reasons = [f"no answer {group.no_answer}"] if group.no_answer else []
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


# --------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--corpus", type=Path, help="folder of FAQ markdown (env FAQBOT_CORPUS_DIR, default ./corpus)")
    common.add_argument("--index", type=Path, help="index folder (env FAQBOT_INDEX_DIR, default ./index)")
    common.add_argument(
        "--no-rebuild",
        action="store_true",
        help="fail instead of building a missing index or rebuilding a stale one",
    )

    parser = argparse.ArgumentParser(
        prog="faqbot",
        description="Answers questions about FAQ markdown documents, with citations.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    index = commands.add_parser("index", parents=[common], help="build the index from the corpus")
    index.add_argument(
        "--check",
        action="store_true",
        help="build nothing: say whether the published build is current for the corpus (exit 0) or not (exit 1)",
    )
    index.set_defaults(handler=cmd_index)

    ask = commands.add_parser("ask", parents=[common], help="ask one question")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print the Answer record as JSON")
    ask.add_argument("--top-k", type=int, default=3, choices=range(1, 11), metavar="1..10")
    ask.set_defaults(handler=cmd_ask)

    serve = commands.add_parser("serve", parents=[common], help="serve the HTTP API, the chat widget and Slack")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="worker processes (they share the cores)")
    serve.set_defaults(handler=cmd_serve)

    chat = commands.add_parser("chat", parents=[common], help="ask questions interactively in the terminal")
    chat.add_argument(
        "--log", action="store_true", help="log the answers to the database, as the server does (for `faqbot report`)"
    )
    chat.set_defaults(handler=cmd_chat)

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

    report = commands.add_parser(
        "report",
        parents=[common],
        help="questions from the log that got no answer or a thumbs-down, grouped by similarity",
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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from pydantic import ValidationError
    from pydantic_settings import SettingsError

    from faqbot.core.errors import FAQBotError
    from faqbot.store import StoreError

    try:
        return args.handler(args)
    except (FAQBotError, StoreError) as error:
        print(f"faqbot: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except ValidationError as error:  # a FAQBOT_* setting with a bad value
        problems = "; ".join(f"FAQBOT_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in error.errors())
        print(f"faqbot: error: invalid setting: {problems}", file=sys.stderr)
        return EXIT_ERROR
    except SettingsError as error:  # a FAQBOT_* value pydantic-settings could not even parse
        print(f"faqbot: error: invalid setting: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
