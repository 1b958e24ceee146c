"""What every command shares: settings from the options, a progress line, loading the bot."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    from faqbot.answer.pipeline import FAQBot
    from faqbot.core.config import Settings

__all__ = [
    "EXIT_BELOW_MIN_SCORE",
    "EXIT_ERROR",
    "EXIT_REGRESSION",
    "Subcommands",
    "load_bot",
    "progress",
    "settings_of",
]

EXIT_ERROR = 1
EXIT_BELOW_MIN_SCORE = 3
EXIT_REGRESSION = 4

Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
"""Where a command adds its parser (`faqbot <command>`)."""


def settings_of(args: argparse.Namespace) -> Settings:
    """The settings, with `--corpus`, `--index` and `--no-rebuild` over the environment."""
    from faqbot.core.config import Settings

    overrides: dict[str, Any] = {}
    if args.corpus is not None:
        overrides["corpus_dir"] = args.corpus
    if args.index is not None:
        overrides["index_dir"] = args.index
    if getattr(args, "no_rebuild", False):
        overrides["auto_rebuild"] = False
    return Settings(**overrides)


def progress() -> Callable[[str, int, int], None]:
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


def load_bot(args: argparse.Namespace, settings: Settings | None = None) -> FAQBot:
    """The bot for the options, its index built first when missing or stale."""
    from faqbot.answer.pipeline import FAQBot

    return FAQBot.load(settings=settings or settings_of(args), progress=progress())
