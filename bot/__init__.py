"""The package's former import name, kept as an alias of `faqbot` for one release.

    >>> from bot import FAQBot
    >>> FAQBot.__module__
    'faqbot.answer.pipeline'

New code imports `faqbot`; the modules moved into packages by role (see the README's
Architecture section), so only the names `faqbot` exports are available here.
"""

from __future__ import annotations

from typing import Any

import faqbot

__version__ = faqbot.__version__
__all__ = list(faqbot.__all__)


def __getattr__(name: str) -> Any:
    return getattr(faqbot, name)


def __dir__() -> list[str]:
    return sorted(__all__)
