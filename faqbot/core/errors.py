"""Typed errors raised by the bot's domain code: one tree, one module.

The edges translate them: the CLI into a one-line message and an exit code,
the HTTP server into a 4xx JSON body (a StoreError into degraded service).

    FAQBotError
    ├── InvalidQuestion        empty, whitespace-only or over-long question (also a ValueError)
    ├── CorpusError            no corpus folder, or no FAQ documents in it
    ├── IndexError_            base of the index problems below
    │   ├── IndexMissing       no index folder or no manifest in it
    │   ├── IndexCorrupt       manifest or files unreadable / inconsistent
    │   ├── IndexModelMismatch built with another embedding model
    │   ├── IndexCorpusMismatch built from another corpus folder than the one named
    │   └── IndexStale         the corpus changed since the index was built
    ├── ExportRefused          the ONNX export was refused (also a RuntimeError): use torch
    ├── FusionModelError       the fusion weights file is unusable (also a ValueError)
    ├── StoreError             the database failed: degrade, don't 5xx
    ├── UnknownAnswer          feedback for an answer id the log does not hold (also a LookupError)
    ├── EvalFileError          the evaluation file cannot be read
    └── ReportError            the unanswered-questions report cannot be made as asked

Each class is also importable from the module that raises it (`faqbot.store`,
`faqbot.search.onnx_export`, ...), as before this tree held them.
"""

from __future__ import annotations


class FAQBotError(Exception):
    """Base class of every error the bot raises on purpose."""


class InvalidQuestion(FAQBotError, ValueError):
    """The question cannot be asked (empty, whitespace-only, too long)."""


class CorpusError(FAQBotError):
    """The corpus folder is missing or holds no FAQ markdown."""


# --------------------------------------------------------------------------- the index


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


# --------------------------------------------------------------------------- search


class ExportRefused(FAQBotError, RuntimeError):
    """The model was not exported, or its export does not reproduce the torch vectors."""


class FusionModelError(FAQBotError, ValueError):
    """The fusion weights file is missing, malformed or does not fit the features."""


# --------------------------------------------------------------------------- the store


class StoreError(FAQBotError):
    """The database failed (down, unreachable, full, locked too long, closed). Callers on a
    request path degrade instead: answer without logging, fall back to process memory."""


class UnknownAnswer(FAQBotError, LookupError):
    """Feedback named an answer id that the log does not hold."""


# --------------------------------------------------------------------------- evaluation and reports


class EvalFileError(FAQBotError):
    """The evaluation file cannot be read."""


class ReportError(FAQBotError):
    """The unanswered-questions report cannot be made as asked."""
