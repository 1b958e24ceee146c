"""The way to a human: spotting a request for a person, and the handoff link offered.

With `FAQBOT_HANDOFF_URL` set (and `FAQBOT_HANDOFF_LABEL`, default "Contact support"),
the doors attach `handoff: {"url", "label"}` to a no-answer, to an answer to a request
for a person, and to the reply to a thumbs-down. Without the setting nothing is offered.

    >>> asks_for_person("Can I talk to a human?")
    True
    >>> asks_for_person("What does the Azure VM agent do?")
    False

The detector reads the request's grammar, not a list of example questions: a verb of
contacting ("talk", "speak", "contact", "reach", "connect", "transfer", "get in touch")
whose object is a person or a support desk ("a human", "an agent", "support", "your
team"), a person the asker would contact ("someone I can call", "who do I contact"), a wish for a person ("I want a human", "get me someone"), or a message that is
nothing but such a noun ("agent please"). A question that mentions an agent or support
as a topic ("How does the support agent connect to the VM?") has no contact verb aimed
at a person and is left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from faqbot.core.text import tokens

__all__ = ["DEFAULT_HANDOFF_LABEL", "Handoff", "asks_for_person", "handoff_of"]

DEFAULT_HANDOFF_LABEL = "Contact support"

# Nouns that only ever mean a person (or a desk staffed by people).
_PEOPLE = {
    "human",
    "humans",
    "person",
    "people",
    "someone",
    "somebody",
    "anyone",
    "anybody",
    "representative",
    "rep",
    "operator",
    "staff",
    "employee",
    "consultant",
    "advisor",
    "adviser",
    "colleague",
    "manager",
    "helpdesk",
    "humanbeing",
}
# Nouns that mean a person when they are the object of a contact verb, a topic otherwise.
_DESKS = {"agent", "agents", "support", "service", "team", "desk", "us", "you", "sales", "expert", "experts"}
_CONTACT_VERBS = {
    "talk",
    "talking",
    "speak",
    "speaking",
    "chat",
    "chatting",
    "contact",
    "contacting",
    "reach",
    "call",
    "connect",
    "transfer",
    "escalate",
    "forward",
    "write",
    "put",
}
_WISH_VERBS = {"want", "need", "like", "get", "give", "prefer", "find", "send"}
# Words allowed between the verb and the noun ("talk to a real person", "contact your support team").
_BETWEEN = {
    "to",
    "with",
    "a",
    "an",
    "the",
    "your",
    "some",
    "real",
    "live",
    "actual",
    "human",
    "me",
    "through",
    "customer",
    "technical",
    "tech",
    "support",
    "service",
    "someone",
    "from",
    "in",
    "of",
    "one",
}
# Words allowed around a noun that is the whole message ("agent please", "a human!").
_FILLER = {"a", "an", "the", "please", "pls", "now", "real", "live", "actual", "human", "customer", "hi", "hello"}
# Words between a person and the asker's contact verb ("someone I could talk to", "who do I call").
_ASKER_LINKS = {"i", "we", "can", "could", "may", "should", "do", "to", "shall", "would", "might"}
_MAX_GAP = 4
_GET_IN_TOUCH = re.compile(r"\bget\s+in\s+touch\b|\bget\s+(?:hold|a\s+hold)\s+of\b", re.IGNORECASE)


def asks_for_person(question: str) -> bool:
    """True when the question asks to be put in touch with a person or the support desk."""
    words = [word.replace("-", "") for word in tokens(question)]
    if not words:
        return False
    nouns = _PEOPLE | _DESKS
    if len(words) <= 3 and any(w in nouns for w in words) and all(w in nouns or w in _FILLER for w in words):
        return True
    if _GET_IN_TOUCH.search(question) and _object_after(words, _position_after_touch(words), nouns):
        return True
    for position, word in enumerate(words):
        if word in _CONTACT_VERBS and _object_after(words, position + 1, nouns):
            return True
        if (word in _PEOPLE or word == "who") and _asker_contacts(words[position + 1 : position + 5]):
            return True
        if word in _WISH_VERBS and _object_after(words, position + 1, _PEOPLE):
            return True
    return False


def _asker_contacts(words: list[str]) -> bool:
    """The asker is the one who would contact ("someone I can call", "who do we talk to")."""
    for position, word in enumerate(words):
        if word in _CONTACT_VERBS:
            return any(asker in ("i", "we") for asker in words[:position])
        if word not in _ASKER_LINKS:
            return False
    return False


def _position_after_touch(words: list[str]) -> int:
    for position, word in enumerate(words):
        if word in ("touch", "hold"):
            return position + 1
    return len(words)


def _object_after(words: list[str], start: int, nouns: set[str]) -> bool:
    """A noun of `nouns` follows `start`, with only linking words ("to a real") between."""
    for word in words[start : start + _MAX_GAP + 1]:
        if word in nouns:
            return True
        if word not in _BETWEEN:
            return False
    return False


@dataclass(frozen=True)
class Handoff:
    """Where a visitor reaches a person: the link and the text to show on it."""

    url: str
    label: str

    def as_dict(self) -> dict[str, str]:
        """The JSON form the API returns: `{"url": ..., "label": ...}`."""
        return {"url": self.url, "label": self.label}


def handoff_of(settings: object) -> Handoff | None:
    """The configured handoff (`settings.handoff_url`, `settings.handoff_label`), or None when
    no URL is set."""
    url = (getattr(settings, "handoff_url", None) or "").strip()
    if not url:
        return None
    label = (getattr(settings, "handoff_label", None) or "").strip() or DEFAULT_HANDOFF_LABEL
    return Handoff(url=url, label=label)
