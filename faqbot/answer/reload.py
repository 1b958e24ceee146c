"""Live FAQ updates: a running server swaps in a newly published index build.

`faqbot index` writes a new build folder and then points the index folder's
`CURRENT` file at it (an atomic rename). `BuildWatcher` reads `CURRENT` every
`interval_s` seconds; when it names another build than the one in use, it
loads that build with the embedder already in memory, makes a new `FAQBot`
and hands it to `swap` (the server replaces `app.state.bot` in one assignment).
Requests in flight keep the bot object they started with; the new bot starts
with empty caches, so nothing keyed to the old build survives.

    >>> watcher = BuildWatcher(lambda: app.state.bot, swap, interval_s=2.0)  # doctest: +SKIP
    >>> watcher.start()                                                      # doctest: +SKIP

A build that fails to load (removed by a newer publish while being read, or
broken) is logged and tried again on the next poll; the bot in use keeps serving.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from faqbot.answer.pipeline import FAQBot
from faqbot.core.errors import FAQBotError
from faqbot.search.index import POINTER_FILE, load_index

__all__ = ["BuildWatcher", "published_build", "watched_folder"]

log = logging.getLogger(__name__)


def watched_folder(bot: FAQBot) -> Path | None:
    """The index folder whose `CURRENT` pointer chose this bot's build, or None when the bot
    was loaded from a build folder directly (nothing to watch)."""
    folder = Path(bot.index.folder)
    parent = folder.parent
    return parent if (parent / POINTER_FILE).is_file() else None


def published_build(index_dir: Path) -> str | None:
    """The build id `CURRENT` names in `index_dir`, or None when there is no pointer."""
    try:
        return (Path(index_dir) / POINTER_FILE).read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def reload_bot(bot: FAQBot, index_dir: Path) -> FAQBot:
    """A new FAQBot on the build now published in `index_dir`, with `bot`'s embedder and settings."""
    embedder = bot.embedder
    encoder = getattr(embedder, "encoder", None) or {}
    index = load_index(index_dir, model=embedder.name, model_sha256=encoder.get("model_sha256"))
    return FAQBot(index, embedder, bot.settings)


class BuildWatcher:
    """A daemon thread that swaps in newly published builds (see the module docstring).

    `get_bot` returns the bot in use (None while loading: nothing to do yet); `swap`
    receives the new bot. `reloads` counts the swaps, `failures` the builds that failed to load.
    """

    def __init__(
        self,
        get_bot: Callable[[], FAQBot | None],
        swap: Callable[[FAQBot], None],
        *,
        interval_s: float = 2.0,
    ) -> None:
        if not interval_s > 0:
            raise ValueError(f"interval_s must be positive, got {interval_s!r}")
        self.get_bot = get_bot
        self.swap = swap
        self.interval_s = interval_s
        self.reloads = 0
        self.failures = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._reported: str | None = None

    def start(self) -> None:
        """Start polling in a daemon thread."""
        self._thread = threading.Thread(target=self._run, name="faqbot-build-watcher", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop polling (waits for a reload under way, up to `timeout_s`)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.check()
            except Exception:
                log.exception("checking for a new index build failed")

    def check(self) -> bool:
        """One poll: swap in the published build if it is not the one in use. True if swapped."""
        bot = self.get_bot()
        if bot is None:
            return False
        folder = watched_folder(bot)
        if folder is None:
            return False
        published = published_build(folder)
        in_use = Path(bot.index.folder).name
        if published is None or published == in_use:
            return False
        started = time.perf_counter()
        try:
            new_bot = reload_bot(bot, folder)
        except (FAQBotError, OSError) as error:
            self.failures += 1
            if self._reported != published:  # once per build, not every poll
                self._reported = published
                log.warning("new index build %s not loaded yet (%s); still serving %s", published, error, in_use)
            return False
        self.swap(new_bot)
        self.reloads += 1
        log.info(
            "index build %s is live (was %s): %d passages, loaded in %.1f s",
            new_bot.index.folder.name,
            in_use,
            len(new_bot.index.passages),
            time.perf_counter() - started,
        )
        return True
