"""The `faqbot` command: index, ask, chat, eval, report, serve.

Heavy imports (torch, sentence-transformers, faiss) happen inside the
commands, so `faqbot --help` answers at once.

Here: asking and serving (index, ask, chat, serve), the parser and `main`; `_review.py`: the
docs owner's commands (eval, report); `_shared.py`: settings, progress, loading the bot.
Answers are printed by the render layer (`faqbot.doors.render.plain_text`). A new command
is a `cmd_*` function, an `add_*` function giving its options, and one entry in COMMANDS.

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
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from faqbot.doors.cli._review import add_eval, add_report, cmd_cross_validate, cmd_eval, cmd_report
from faqbot.doors.cli._shared import EXIT_BELOW_MIN_SCORE, EXIT_ERROR, EXIT_REGRESSION, Subcommands
from faqbot.doors.cli._shared import load_bot as _load_bot
from faqbot.doors.cli._shared import progress as _progress
from faqbot.doors.cli._shared import settings_of as _settings

if TYPE_CHECKING:
    from faqbot.answer.pipeline import FAQBot
    from faqbot.doors.turns import ConversationDesk
    from faqbot.store import AnswerStore

__all__ = [
    "COMMANDS",
    "EXIT_BELOW_MIN_SCORE",
    "EXIT_ERROR",
    "EXIT_REGRESSION",
    "build_parser",
    "cmd_ask",
    "cmd_chat",
    "cmd_cross_validate",
    "cmd_eval",
    "cmd_index",
    "cmd_index_check",
    "cmd_report",
    "cmd_serve",
    "main",
]


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
    from faqbot.search.embed import load_configured_embedder
    from faqbot.search.index import build_index, read_manifest

    settings = _settings(args)
    embedder = load_configured_embedder(settings)
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
    from faqbot.doors.render import plain_text

    settings = _settings(args)
    # A bad question is refused before the model and the index are loaded.
    validate_question(args.question, settings.max_question_chars)
    bot = _load_bot(args, settings)
    answer = bot.ask(args.question, top_k=args.top_k)
    if args.json:
        print(answer.model_dump_json(indent=2))
    else:
        print(plain_text(answer))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """The HTTP API, the widget and the Slack endpoints; the index is built first when needed."""
    from faqbot.answer.pipeline import FAQBot
    from faqbot.doors.http.app import run
    from faqbot.search.embed import load_configured_embedder
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
        embedder = load_configured_embedder(settings)
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
    from faqbot.doors.turns import ConversationDesk
    from faqbot.store import open_store

    bot = _load_bot(args)
    # --log: answers go to the same log as the server's (channel "cli"), for `faqbot report`.
    store = open_store(bot.settings) if args.log else None
    documents = len({p.source for p in bot.index.passages})
    print(
        f"Ask about the FAQ ({len(bot.index.passages)} passages from {documents} documents). "
        f"`{CHAT_RESET}` starts a new conversation; `exit`, `quit` or Ctrl-D quits.\n"
    )
    try:
        return _chat(bot, store, ConversationDesk(bot.settings))
    finally:
        if store is not None:
            store.close()  # the answers' rows still queued are written first


def _chat(bot: FAQBot, store: AnswerStore | None, desk: ConversationDesk) -> int:
    """The questions and answers of `faqbot chat`, until the person quits."""
    from faqbot.core.errors import InvalidQuestion
    from faqbot.doors.render import plain_text
    from faqbot.doors.turns import new_conversation_id

    conversation_id = new_conversation_id()
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
        text = plain_text(turn.answer, handoff=turn.handoff)
        print("bot> " + text.replace("\n", "\n     ") + "\n")


# --------------------------------------------------------------------------- parser


def _common_options() -> argparse.ArgumentParser:
    """The options every command takes: where the corpus and the index are."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--corpus", type=Path, help="folder of FAQ markdown (env FAQBOT_CORPUS_DIR, default ./corpus)")
    common.add_argument("--index", type=Path, help="index folder (env FAQBOT_INDEX_DIR, default ./index)")
    common.add_argument(
        "--no-rebuild",
        action="store_true",
        help="fail instead of building a missing index or rebuilding a stale one",
    )
    return common


def _add_index(commands: Subcommands, common: argparse.ArgumentParser) -> None:
    index = commands.add_parser("index", parents=[common], help="build the index from the corpus")
    index.add_argument(
        "--check",
        action="store_true",
        help="build nothing: say whether the published build is current for the corpus (exit 0) or not (exit 1)",
    )
    index.set_defaults(handler=cmd_index)


def _add_ask(commands: Subcommands, common: argparse.ArgumentParser) -> None:
    ask = commands.add_parser("ask", parents=[common], help="ask one question")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print the Answer record as JSON")
    ask.add_argument("--top-k", type=int, default=3, choices=range(1, 11), metavar="1..10")
    ask.set_defaults(handler=cmd_ask)


def _add_serve(commands: Subcommands, common: argparse.ArgumentParser) -> None:
    serve = commands.add_parser("serve", parents=[common], help="serve the HTTP API, the chat widget and Slack")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="worker processes (they share the cores)")
    serve.set_defaults(handler=cmd_serve)


def _add_chat(commands: Subcommands, common: argparse.ArgumentParser) -> None:
    chat = commands.add_parser("chat", parents=[common], help="ask questions interactively in the terminal")
    chat.add_argument(
        "--log", action="store_true", help="log the answers to the database, as the server does (for `faqbot report`)"
    )
    chat.set_defaults(handler=cmd_chat)


COMMANDS = (_add_index, _add_ask, _add_serve, _add_chat, add_eval, add_report)
"""The commands, in the order `faqbot --help` lists them: a new one is a function and one line here."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="faqbot",
        description="Answers questions about FAQ markdown documents, with citations.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = _common_options()
    for add in COMMANDS:
        add(commands, common)
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
