"""faqbot: answers questions about FAQ documents, with citations, exact numbers and honest no-answers.

    >>> from bot import FAQBot
    >>> bot = FAQBot.load("index")                 # doctest: +SKIP
    >>> bot.ask("How do I extend the trial?").answer   # doctest: +SKIP

Names are imported lazily, so `import bot.config` (and `faqbot --help`) stays
light: faiss, bm25s and the model load only when they are used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "FAQBot": "bot.answer",
    "Settings": "bot.config",
    "Answer": "bot.records",
    "Citation": "bot.records",
    "Document": "bot.records",
    "Fact": "bot.records",
    "Passage": "bot.records",
    "RelatedQuestion": "bot.records",
    "RuleTrace": "bot.records",
    "FAQBotError": "bot.errors",
    "InvalidQuestion": "bot.errors",
    "CorpusError": "bot.errors",
    "IndexMissing": "bot.errors",
    "IndexCorrupt": "bot.errors",
    "IndexModelMismatch": "bot.errors",
    "IndexCorpusMismatch": "bot.errors",
    "IndexStale": "bot.errors",
}

__all__ = ["__version__", *_EXPORTS]

if TYPE_CHECKING:
    from .answer import FAQBot
    from .config import Settings
    from .errors import (
        CorpusError,
        FAQBotError,
        IndexCorpusMismatch,
        IndexCorrupt,
        IndexMissing,
        IndexModelMismatch,
        IndexStale,
        InvalidQuestion,
    )
    from .records import Answer, Citation, Document, Fact, Passage, RelatedQuestion, RuleTrace


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'bot' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(__all__)
