"""Typed errors raised by the bot's domain code.

The edges translate them: the CLI into a one-line message and an exit code,
the HTTP server into a 4xx JSON body.

    FAQBotError
    ├── InvalidQuestion        empty, whitespace-only or over-long question
    ├── CorpusError            no corpus folder, or no FAQ documents in it
    └── IndexError_            base of the index problems below
        ├── IndexMissing       no index folder or no manifest in it
        ├── IndexCorrupt       manifest or files unreadable / inconsistent
        ├── IndexModelMismatch built with another embedding model
        ├── IndexCorpusMismatch built from another corpus folder than the one named
        └── IndexStale         the corpus changed since the index was built
"""

from __future__ import annotations


class FAQBotError(Exception):
    """Base class of every error the bot raises on purpose."""


class InvalidQuestion(FAQBotError, ValueError):
    """The question cannot be asked (empty, whitespace-only, too long)."""


class CorpusError(FAQBotError):
    """The corpus folder is missing or holds no FAQ markdown."""


class IndexError_(FAQBotError):
    """Base of the problems with the index folder."""


class IndexMissing(IndexError_):
    """The index folder or its manifest does not exist."""


class IndexCorrupt(IndexError_):
    """The index folder exists but cannot be read."""


class IndexModelMismatch(IndexError_):
    """The index was built with a different embedding model."""


class IndexCorpusMismatch(IndexError_):
    """The index was built from another corpus folder than the one named explicitly."""


class IndexStale(IndexError_):
    """The corpus changed since the index was built."""
