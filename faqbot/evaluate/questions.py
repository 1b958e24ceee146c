"""The evaluation file: JSONL, one labelled question a line.

    {"id": "d012", "question": "What is the base SKU price for new customers?",
     "expected": [{"doc": "ci-faq.md", "question": "How is the new Customer Insights licensed?"}],
     "must_contain": [["$1,700"]], "kind": "numeric"}

`expected` lists the passages that answer the question (an empty list: the
bot must say it does not know); `must_contain` lists groups of alternatives,
every group must appear in the answer text. Expected passages are matched by
`match_key` of the document (file name or corpus path) and of the question.

    >>> match_key("What’s  NEW?")
    "what's new?"
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from faqbot.core.errors import EvalFileError
from faqbot.core.records import Passage

__all__ = ["EvalFileError", "EvalItem", "ExpectedPassage", "match_key", "passage_keys", "read_eval_file"]


class ExpectedPassage(BaseModel):
    model_config = ConfigDict(frozen=True)
    doc: str
    question: str


class EvalItem(BaseModel):
    """One labelled question."""

    model_config = ConfigDict(frozen=True, extra="allow")
    id: str
    question: str
    expected: list[ExpectedPassage] = Field(default_factory=list)
    must_contain: list[list[str]] = Field(default_factory=list)
    kind: str = "unlabelled"

    @property
    def answerable(self) -> bool:
        return bool(self.expected)


def read_eval_file(path: Path) -> list[EvalItem]:
    """Parse a JSONL evaluation file; a bad line is reported with its number."""
    items: list[EvalItem] = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise EvalFileError(f"cannot read {path}: {error}") from error
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            items.append(EvalItem.model_validate_json(line))
        except ValidationError as error:
            first = error.errors()[0]
            raise EvalFileError(f"{path}:{number}: {first['msg']} at {first['loc']}") from error
    if not items:
        raise EvalFileError(f"{path} holds no questions")
    return items


def match_key(text: str) -> str:
    """Text as eval files and passages are matched: NFKC, curly quotes straightened,
    whitespace squashed, casefolded."""
    text = unicodedata.normalize("NFKC", text).replace("’", "'").replace("“", '"').replace("”", '"')
    return " ".join(text.split()).casefold()


def passage_keys(passage: Passage) -> set[tuple[str, str]]:
    """The (doc, question) keys an eval file may use for this passage: by file name or by path."""
    if passage.question is None:
        return set()
    question = match_key(passage.question)
    return {(match_key(Path(passage.source).name), question), (match_key(passage.source), question)}
