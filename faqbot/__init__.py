"""faqbot: answers questions about FAQ documents, with citations, exact numbers and honest no-answers.

    >>> from faqbot import FAQBot
    >>> bot = FAQBot.load("index")                 # doctest: +SKIP
    >>> bot.ask("How do I extend the trial?").answer   # doctest: +SKIP

Names are imported lazily, so `import faqbot.core.config` (and `faqbot --help`) stays
light: faiss, bm25s and the model load only when they are used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "FAQBot": "faqbot.answer.pipeline",
    "Settings": "faqbot.core.config",
    "Answer": "faqbot.core.records",
    "Citation": "faqbot.core.records",
    "Document": "faqbot.core.records",
    "Fact": "faqbot.core.records",
    "Passage": "faqbot.core.records",
    "RelatedQuestion": "faqbot.core.records",
    "RuleTrace": "faqbot.core.records",
    "FAQBotError": "faqbot.core.errors",
    "InvalidQuestion": "faqbot.core.errors",
    "CorpusError": "faqbot.core.errors",
    "IndexMissing": "faqbot.core.errors",
    "IndexCorrupt": "faqbot.core.errors",
    "IndexModelMismatch": "faqbot.core.errors",
    "IndexCorpusMismatch": "faqbot.core.errors",
    "IndexStale": "faqbot.core.errors",
}

__all__ = [
    "Answer",
    "Citation",
    "CorpusError",
    "Document",
    "FAQBot",
    "FAQBotError",
    "Fact",
    "IndexCorpusMismatch",
    "IndexCorrupt",
    "IndexMissing",
    "IndexModelMismatch",
    "IndexStale",
    "InvalidQuestion",
    "Passage",
    "RelatedQuestion",
    "RuleTrace",
    "Settings",
    "__version__",
]

if TYPE_CHECKING:
    from faqbot.answer.pipeline import FAQBot
    from faqbot.core.config import Settings
    from faqbot.core.errors import (
        CorpusError,
        FAQBotError,
        IndexCorpusMismatch,
        IndexCorrupt,
        IndexMissing,
        IndexModelMismatch,
        IndexStale,
        InvalidQuestion,
    )
    from faqbot.core.records import Answer, Citation, Document, Fact, Passage, RelatedQuestion, RuleTrace


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'faqbot' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(__all__)
