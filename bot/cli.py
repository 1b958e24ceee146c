"""The `faqbot` command: index, ask, chat, eval, serve.

Heavy imports (torch, sentence-transformers, faiss) happen inside the
commands, so `faqbot --help` answers at once. Domain errors become a one-line
message on stderr and exit code 1; usage errors exit 2 (argparse).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

EXIT_ERROR = 1
EXIT_BELOW_MIN_SCORE = 3


def _settings(args: argparse.Namespace):
    from .config import Settings

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


def _load_bot(args: argparse.Namespace):
    from .answer import FAQBot

    return FAQBot.load(settings=_settings(args), progress=_progress())


# --------------------------------------------------------------------------- commands


def cmd_index(args: argparse.Namespace) -> int:
    from .embed import load_embedder
    from .index import build_index, read_manifest

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
    from .answer import validate_question

    # A bad question is refused before the model and the index are loaded.
    validate_question(args.question, _settings(args).max_question_chars)
    bot = _load_bot(args)
    answer = bot.ask(args.question, top_k=args.top_k)
    if args.json:
        print(answer.model_dump_json(indent=2))
    else:
        print(format_answer(answer))
    return 0


def format_answer(answer) -> str:
    """An answer as readable terminal text: answer, source, quote, confidence, related."""
    lines = [answer.answer.strip(), ""]
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
    from .answer import FAQBot
    from .server import run

    settings = _settings(args)
    if args.workers < 1:
        print("faqbot: error: --workers must be at least 1", file=sys.stderr)
        return 2
    # Build (or rebuild) the index here, once, before any worker starts and loads it.
    bot = FAQBot.load(settings=settings, progress=_progress())
    print(f"Serving on http://{args.host}:{args.port}/  (Ctrl-C stops)", file=sys.stderr)
    run(settings, host=args.host, port=args.port, workers=args.workers, bot=bot if args.workers == 1 else None)
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    """Ask questions one after another in the terminal (an empty line or Ctrl-D ends)."""
    from .errors import InvalidQuestion

    bot = _load_bot(args)
    documents = len({p.source for p in bot.index.passages})
    print(f"Ask about the FAQ ({len(bot.index.passages)} passages from {documents} documents). "
          "An empty line or Ctrl-D quits.\n")
    while True:
        try:
            question = input("you> ")
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if not question.strip():
            return 0
        try:
            answer = bot.ask(question)
        except InvalidQuestion as error:
            print(f"bot> {error}\n")
            continue
        print("bot> " + format_answer(answer).replace("\n", "\n     ") + "\n")


def cmd_eval(args: argparse.Namespace) -> int:
    from .evaluate import evaluate, markdown_table, read_eval_file, write_report

    items = read_eval_file(args.file)
    bot = _load_bot(args)
    report = evaluate(bot, items, top_k=args.top_k)
    print(markdown_table(report))
    if report.skipped:
        print(f"\nSkipped {len(report.skipped)} items whose documents are not in this corpus.")
    print(f"\n{len(report.failures)} of {len(report.items)} items failed.")
    for item in report.failures:
        expected = "; ".join(item.expected) or "no_answer"
        print(f"  {item.id} [{item.kind}] {item.question!r}: expected {expected!r}, got {item.got_kind} {item.cited}")
    if args.report:
        write_report(report, args.report)
        print(f"\nReport written to {args.report}/")
    score = report.metrics["score"] or 0.0
    if args.min_score is not None and score < args.min_score:
        print(f"score {score:.3f} is below --min-score {args.min_score}", file=sys.stderr)
        return EXIT_BELOW_MIN_SCORE
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
    chat.set_defaults(handler=cmd_chat)

    evaluation = commands.add_parser("eval", parents=[common], help="evaluate on a JSONL question file")
    evaluation.add_argument("file", type=Path)
    evaluation.add_argument("--report", type=Path, help="write metrics.json and report.md into this folder")
    evaluation.add_argument("--min-score", type=float, help=f"exit {EXIT_BELOW_MIN_SCORE} when the score is lower")
    evaluation.add_argument("--top-k", type=int, default=3, choices=range(1, 11), metavar="1..10")
    evaluation.set_defaults(handler=cmd_eval)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from pydantic import ValidationError

    from .errors import FAQBotError

    try:
        return args.handler(args)
    except FAQBotError as error:
        print(f"faqbot: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except ValidationError as error:  # a FAQBOT_* setting with a bad value
        problems = "; ".join(f"FAQBOT_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in error.errors())
        print(f"faqbot: error: invalid setting: {problems}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
