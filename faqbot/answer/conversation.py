"""Follow-ups: an elliptical question is read against the previous turn of its conversation.

    >>> is_follow_up("and for existing ones?")
    True
    >>> is_follow_up("How is the new Customer Insights licensed?")
    False
    >>> rewrite("and for existing ones?", PreviousTurn("How much is it for new customers?"))
    'How much is it for existing customers?'
    >>> rewrite("what about the yearly price?", PreviousTurn("What is the monthly price for new customers?"))
    'What is the yearly price for new customers?'

A question is a follow-up only on general signals of ellipsis, never on its topic:

- it opens like a continuation: "and ...", "what about ...", "how about ...", "also ...";
- it is a bare qualifier, a prepositional phrase with no question of its own ("for
  existing ones?", "in Germany?");
- it has no word of its own that names a topic: "how do I do that?", "why?", "how much?";
- it points back with a pronoun or demonstrative ("it", "that", "those") and its other
  words are generic verbs and adjectives ("how do I enable it?", "is that free?"), or it
  points back after a continuation opener ("and how do I reset it?").

A question with a subject of its own ("And how much is the base SKU?") stands on its
own and is never changed.

Resolution (`rewrite`) merges the follow-up into the previous question, as the previous
turn understood it: a qualifier replaces the previous qualifier with the same preposition
("for new customers" -> "for existing customers", "ones" taking the replaced noun) or is
added to it; a noun phrase replaces the previous phrase with the same head noun ("the
monthly price" -> "the yearly price"); a pronoun takes the previous question's noun phrase
("and can I skip one?" -> "can I skip an approval?"); a question that only points back to
an action ("how do I do that?") is asked together with the previous question. `resolve` then asks the bot both the merged question and the
follow-up as typed and keeps the merged one unless it scores worse (a no-answer, or a
lower confidence): a wrong merge never beats what the visitor typed.

The answer says what it understood: `Resolution.understood` holds the merged question,
and `Resolution.answer.answer` starts with the line `Understood as: <merged question>`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from faqbot.core.text import STOP_WORDS, content_terms, tokens

if TYPE_CHECKING:
    from faqbot.answer.pipeline import FAQBot
    from faqbot.core.records import Answer

__all__ = [
    "UNDERSTOOD_PREFIX",
    "PreviousTurn",
    "Resolution",
    "is_follow_up",
    "resolve",
    "rewrite",
]

UNDERSTOOD_PREFIX = "Understood as: "

# Openers of a continuation; "what if ..." is left out: it usually asks a question of its own.
_OPENERS = re.compile(
    r"^\s*(?:(?:and|but|or|also|so)\s+)?(?:(?:what|how)\s+about|and\s+also|and|also|same\s+(?:for|with))\b[\s,]*",
    re.IGNORECASE,
)
_PREPOSITIONS = {
    "for",
    "in",
    "on",
    "at",
    "with",
    "without",
    "during",
    "after",
    "before",
    "to",
    "from",
    "by",
    "under",
    "over",
    "per",
    "within",
    "outside",
    "inside",
    "via",
    "through",
    "into",
}
_REFERRING = {"it", "its", "that", "this", "these", "those", "them", "they", "there", "one", "ones", "same", "such"}
# Verbs and adjectives that say nothing about the topic: "how do I enable it?", "is that free?".
_GENERIC = {
    "work",
    "works",
    "cost",
    "costs",
    "mean",
    "means",
    "happen",
    "happens",
    "apply",
    "applies",
    "take",
    "takes",
    "last",
    "change",
    "include",
    "includes",
    "included",
    "available",
    "free",
    "possible",
    "required",
    "needed",
    "necessary",
    "supported",
    "support",
    "enable",
    "enabled",
    "use",
    "used",
    "start",
    "stop",
    "set",
    "turn",
    "find",
    "done",
    "allowed",
    "charged",
    "paid",
    "long",
    "often",
    "many",
    "true",
    "right",
    "correct",
    "also",
    "too",
    "instead",
    "well",
    "else",
    "again",
}
_DETERMINERS = {"the", "a", "an", "my", "our", "your", "their", "its", "this", "that", "these", "those"}
_JOINERS = {"and", "or", "but", "if", "when", "while"}
_PUNCTUATION = "?!.,;:"


@dataclass(frozen=True)
class PreviousTurn:
    """What the last turn of a conversation asked (as understood, after any resolution),
    and the question of the passage it was answered from (None for a no-answer)."""

    question: str
    passage_question: str | None = None


@dataclass(frozen=True)
class Resolution:
    """The answer to a question in a conversation; `understood` is the merged question when
    the question was resolved as a follow-up (None when it was answered as typed)."""

    answer: Answer
    understood: str | None = None

    @property
    def question(self) -> str:
        """The question as the bot answered it: the merged one, or the one typed."""
        return self.understood or self.answer.question


def _strip_opener(question: str) -> tuple[str, bool]:
    match = _OPENERS.match(question)
    if match is None or match.end() == 0:
        return question.strip(), False
    return question[match.end() :].strip(), True


def _words(text: str) -> list[str]:
    return text.strip().rstrip(_PUNCTUATION).split()


def _bare(word: str) -> str:
    token = tokens(word)
    return token[0] if token else ""


def _is_bare_qualifier(rest: str) -> bool:
    """A prepositional phrase with no question word or verb of its own: "for existing ones"."""
    words = [_bare(word) for word in _words(rest)]
    if not words or words[0] not in _PREPOSITIONS:
        return False
    # Function words other than prepositions, determiners and referring words would be a
    # question's own verb or question word ("in which regions is it sold?").
    own = [w for w in words[1:] if w in STOP_WORDS and w not in _PREPOSITIONS | _DETERMINERS | _REFERRING]
    return not own


def is_follow_up(question: str) -> bool:
    """True when the question leans on the previous turn instead of standing on its own."""
    rest, opened = _strip_opener(question)
    terms = content_terms(rest)
    if not terms:
        return True  # nothing of its own to ask about: "why?", "how do I do that?", "and?"
    if _is_bare_qualifier(rest):
        return True
    words = set(tokens(rest))
    if words & _REFERRING and (opened or all(term in _GENERIC for term in terms)):
        return True  # "is that free?", "and how do I reset it?"
    if opened:
        # "and for existing ones?", "what about the yearly price?": a fragment, not a question.
        first = _bare(_words(rest)[0]) if _words(rest) else ""
        return not _starts_question(first)
    return False


def _starts_question(word: str) -> bool:
    """Does a question of its own start with this word ("how", "is", "can", ...)?"""
    return word in {
        "how",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "whose",
        "whom",
        "is",
        "are",
        "was",
        "were",
        "do",
        "does",
        "did",
        "can",
        "could",
        "will",
        "would",
        "should",
        "shall",
        "may",
        "might",
        "must",
        "has",
        "have",
        "had",
    }


def _head(words: list[str]) -> str:
    """The last word of a phrase, bare (the noun it is about)."""
    return _bare(words[-1]) if words else ""


def _same_noun(a: str, b: str) -> bool:
    return bool(a) and (a == b or a.rstrip("s") == b.rstrip("s"))


def _replace_qualifier(previous: list[str], fragment: list[str]) -> list[str]:
    """Put a prepositional fragment in place of the previous phrase with the same
    preposition (the last one), or add it at the end."""
    preposition = _bare(fragment[0])
    starts = [i for i, word in enumerate(previous) if _bare(word) == preposition]
    if not starts:
        return previous + fragment
    start = starts[-1]
    end = start + 1
    while end < len(previous) and _bare(previous[end]) not in _PREPOSITIONS | _JOINERS:
        if previous[end - 1].endswith(","):
            break
        end += 1
    head = _head(previous[start:end]).rstrip(",")
    replaced = [head if _bare(word) in ("one", "ones") and end - start > 1 else word for word in fragment]
    return previous[:start] + replaced + previous[end:]


def _replace_noun_phrase(previous: list[str], fragment: list[str]) -> list[str] | None:
    """Put a noun phrase in place of the previous phrase with the same head noun, or None."""
    head = _head(fragment)
    positions = [i for i, word in enumerate(previous) if _same_noun(_bare(word), head)]
    if not positions:
        return None
    end = positions[-1]
    start = end
    while start > 0:
        word = _bare(previous[start - 1])
        if word in _DETERMINERS:
            start -= 1
            break
        if word in STOP_WORDS or not word or previous[start - 1].endswith(","):
            break
        start -= 1
    if _bare(fragment[0]) not in _DETERMINERS and start < end and _bare(previous[start]) in _DETERMINERS:
        start += 1  # keep the previous determiner: "the monthly price" + "yearly price"
    return previous[:start] + fragment + previous[end + 1 :]


def rewrite(question: str, previous: PreviousTurn, *, context: str | None = None) -> str:
    """The follow-up merged with the previous question (`context`, default
    `previous.question`), as a question that stands on its own."""
    base = (context or previous.question).strip()
    rest, _ = _strip_opener(question)
    fragment = _words(rest)
    previous_words = _words(base)
    if fragment and previous_words and content_terms(rest):
        merged: list[str] | None = None
        if _is_bare_qualifier(rest):
            merged = _replace_qualifier(previous_words, fragment)
        elif not _starts_question(_bare(fragment[0])) and not set(tokens(rest)) & _REFERRING:
            merged = _replace_noun_phrase(previous_words, fragment) or previous_words + ["-", *fragment]
        if merged is not None:
            return " ".join(merged) + "?"
        substituted = _substitute_referent(fragment, previous_words)
        if substituted is not None:
            return " ".join(substituted) + "?"
    # It only points back ("how do I do that?"): ask it together with what it points to.
    return f"{base.rstrip()} {question.strip()}"


_PRONOUNS = {"it", "its", "one", "them", "they", "this", "these", "those"}


def _referent(previous: list[str]) -> list[str] | None:
    """The noun phrase a pronoun most likely points to: the first phrase of the previous
    question that starts with a determiner ("an approval", "the new Customer Insights"),
    else its longest run of content words ("Azure Linux")."""
    runs: list[list[str]] = []
    current: list[str] = []
    for word in previous:
        bare = _bare(word)
        if bare and bare not in STOP_WORDS:
            current.append(word.rstrip(","))
            continue
        if current:
            runs.append(current)
        current = [word] if bare in _DETERMINERS - _REFERRING else []
    if current and (len(current) > 1 or _bare(current[0]) not in _DETERMINERS):
        runs.append(current)
    runs = [run for run in runs if any(_bare(w) not in _DETERMINERS for w in run)]
    if not runs:
        return None
    led = [_noun_part(run) for run in runs if _bare(run[0]) in _DETERMINERS]
    return led[0] if led else max(runs, key=len)


def _after_verb_do(words: list[str], position: int) -> bool:
    """ "do" as the main verb before the pronoun ("how do I do that", "how to do it"), not the
    auxiliary ("does it stop")."""
    if position < 2 or _bare(words[position - 1]) not in ("do", "does", "did", "doing"):
        return False
    return _bare(words[position - 2]) in ("i", "you", "we", "they", "to", "can", "could", "should", "will")


def _noun_part(run: list[str]) -> list[str]:
    """A phrase ends before an adverb or a generic verb or adjective: "the new Customer
    Insights generally available" -> "the new Customer Insights", "the ACI meter start
    running" -> "the ACI meter"."""
    for i, word in enumerate(run[1:], start=1):
        bare = _bare(word)
        if bare.endswith("ly") or bare in _GENERIC:
            return run[:i]
    return run


def _substitute_referent(fragment: list[str], previous: list[str]) -> list[str] | None:
    """The follow-up with its pronoun replaced by the previous question's noun phrase
    ("can I skip one?" -> "can I skip an approval?"); None when there is none to replace.
    "do that" / "do it" points to an action, not a thing: left to the caller."""
    referent = _referent(previous)
    if referent is None:
        return None
    for position, word in enumerate(fragment):
        bare = _bare(word)
        if bare not in _PRONOUNS or _after_verb_do(fragment, position):
            continue
        phrase = list(referent)
        if bare == "its":
            phrase = [*phrase[:-1], phrase[-1] + "'s"]
            if _bare(phrase[0]) in _DETERMINERS:
                phrase = phrase[1:]
        return fragment[:position] + phrase + fragment[position + 1 :]
    return None


def _better(candidate: Answer, incumbent: Answer) -> bool:
    if (candidate.kind == "no_answer") != (incumbent.kind == "no_answer"):
        return incumbent.kind == "no_answer"
    return candidate.confidence > incumbent.confidence


def resolve(bot: FAQBot, question: str, previous: PreviousTurn | None, *, top_k: int = 3) -> Resolution:
    """Answer `question`, resolved against the previous turn when it is a follow-up.

    A question that stands on its own (or has no previous turn) is asked as typed. A
    follow-up is merged with the previous question (or, when that finds nothing, with the
    question of the passage the previous turn was answered from); the merge is kept
    unless the question as typed scores better.
    """
    if previous is None or not is_follow_up(question):
        return Resolution(bot.ask(question, top_k=top_k))
    as_typed = bot.ask(question, top_k=top_k)
    contexts = [previous.question]
    if previous.passage_question and previous.passage_question.strip() != previous.question.strip():
        contexts.append(previous.passage_question)
    # The previous question as the visitor put it comes first; the passage it was answered
    # from is tried only when that merge finds nothing.
    for context in contexts:
        merged = rewrite(question, previous, context=context)
        answer = bot.ask(merged, top_k=top_k)
        if answer.kind != "no_answer":
            break
    if _better(as_typed, answer):
        return Resolution(as_typed)
    text = f"{UNDERSTOOD_PREFIX}{merged}\n\n{answer.answer}"
    return Resolution(answer.model_copy(update={"question": question, "answer": text}), understood=merged)
