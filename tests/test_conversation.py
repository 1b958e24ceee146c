"""Follow-ups (faqbot/answer/conversation.py): which questions lean on the previous turn, how they are
merged with it, and that a question standing on its own is never changed.

The follow-up pairs are eval/followup-questions.jsonl, one JSON object a line:

    {"id": "f01", "corpus": "shipped" | "dev",
     "previous": "What is the base SKU price for new customers?",   # the first turn
     "question": "and for existing ones?",                          # the follow-up
     "expected": [{"doc": "ci-faq.md", "question": "How is the new Customer Insights licensed?"}],
     "must_contain": [["$1,000"]]}                                  # optional, as in the dev sets

`corpus` "shipped" is corpus/ plus tests/data/extra/, "dev" is tests/data/dev/. A pair is
resolved when the follow-up, asked right after `previous` in one conversation, is answered
from an `expected` passage (and every `must_contain` group matches). The measurement is
`scripts/eval_followups.py`; the slow test below holds the shipped half to a bar.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from faqbot.answer.conversation import (
    UNDERSTOOD_PREFIX,
    PreviousTurn,
    is_follow_up,
    resolve,
    rewrite,
)
from faqbot.core.config import Settings
from faqbot.core.records import Answer
from faqbot.ingest.corpus import load_corpus

REPO = Path(__file__).resolve().parent.parent
FOLLOWUPS = REPO / "eval" / "followup-questions.jsonl"


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize(
    "question",
    [
        "and for existing ones?",
        "what about the yearly price?",
        "how do I do that?",
        "and in Germany?",
        "How about for partners?",
        "for existing customers?",
        "why?",
        "until when?",
        "is that free?",
        "how do I enable it?",
        "and how do I reset it?",
        "And Virtual WAN?",
        "Also for sandbox environments?",
    ],
)
def test_elliptical_questions_are_follow_ups(question: str):
    assert is_follow_up(question)


@pytest.mark.parametrize(
    "question",
    [
        "How is the new Customer Insights licensed?",
        "And how much is the base SKU?",
        "What if I cancel my subscription?",
        "In which regions is the offer available?",
        "For how long can I renew on standalone licensing?",
        "Can I convert it to a paid license?",
        "What does the Azure VM agent do?",
        "Is there a trial?",
    ],
)
def test_questions_with_a_subject_of_their_own_stand_alone(question: str):
    assert not is_follow_up(question)


def _corpus_questions(folder: Path) -> list[str]:
    return [p.question for d in load_corpus(folder).documents for p in d.passages if p.question]


@pytest.mark.parametrize(
    "source",
    [
        "corpus",
        "tests/data/extra",
        "tests/data/dev",
        "eval/dev-questions.jsonl",
        "eval/dev-general-questions.jsonl",
        "eval/near-domain-questions.jsonl",
    ],
)
def test_ordinary_questions_are_never_taken_for_follow_ups(source: str):
    path = REPO / source
    questions = [item["question"] for item in read_jsonl(path)] if path.is_file() else _corpus_questions(path)
    assert len(questions) >= 10
    assert [q for q in questions if is_follow_up(q)] == []


@pytest.mark.parametrize(
    ("previous", "follow_up", "merged"),
    [
        ("How much is it for new customers?", "and for existing ones?", "How much is it for existing customers?"),
        (
            "What is the monthly price for new customers?",
            "what about the yearly price?",
            "What is the yearly price for new customers?",
        ),
        ("How much is it for new customers?", "and in Germany?", "How much is it for new customers in Germany?"),
        ("How much is it for customers in Germany?", "and in France?", "How much is it for customers in France?"),
        ("Can I preapprove an approval in Fleet Manager?", "and can I skip one?", "can I skip an approval?"),
        ("What is Azure Linux?", "and what is its pricing?", "what is Azure Linux's pricing?"),
        (
            "How do customers purchase more capacity?",
            "how do I do that?",
            "How do customers purchase more capacity? how do I do that?",
        ),
    ],
)
def test_a_follow_up_is_merged_into_the_previous_question(previous: str, follow_up: str, merged: str):
    assert rewrite(follow_up, PreviousTurn(previous)) == merged


class ScriptedBot:
    """A stand-in for FAQBot.ask: answers from a table of question -> (kind, confidence)."""

    def __init__(self, table: dict[str, tuple[str, float]]) -> None:
        self.table = table
        self.asked: list[str] = []

    def ask(self, question: str, top_k: int = 3) -> Answer:
        self.asked.append(question)
        kind, confidence = self.table.get(question, ("no_answer", 0.1))
        return Answer(question=question, answer=f"answer to {question}", kind=kind, confidence=confidence)


def test_the_merged_question_is_answered_and_says_what_it_understood():
    bot = ScriptedBot(
        {"How much is it for existing customers?": ("rule", 0.95), "and for existing ones?": ("retrieval", 0.7)}
    )
    resolution = resolve(bot, "and for existing ones?", PreviousTurn("How much is it for new customers?"))
    assert resolution.understood == "How much is it for existing customers?"
    assert resolution.answer.question == "and for existing ones?"
    assert resolution.answer.answer == (
        f"{UNDERSTOOD_PREFIX}How much is it for existing customers?\n\nanswer to How much is it for existing customers?"
    )


def test_a_merge_that_scores_worse_than_the_follow_up_alone_is_dropped():
    bot = ScriptedBot(
        {"How much is it for existing customers?": ("retrieval", 0.4), "and for existing ones?": ("retrieval", 0.8)}
    )
    resolution = resolve(bot, "and for existing ones?", PreviousTurn("How much is it for new customers?"))
    assert resolution.understood is None
    assert resolution.answer.answer == "answer to and for existing ones?"


def test_the_previous_passage_is_tried_when_the_previous_question_finds_nothing():
    bot = ScriptedBot({"What is the price for existing customers?": ("rule", 0.9)})
    previous = PreviousTurn("How much is it for new folks?", passage_question="What is the price for new customers?")
    resolution = resolve(bot, "and for existing customers?", previous)
    assert resolution.understood == "What is the price for existing customers?"


def test_standalone_questions_and_first_turns_are_asked_once_as_typed():
    bot = ScriptedBot({})
    assert resolve(bot, "How is it licensed?", None).understood is None
    assert resolve(bot, "How do customers purchase more capacity?", PreviousTurn("Why?")).understood is None
    assert bot.asked == ["How is it licensed?", "How do customers purchase more capacity?"]


def test_the_desks_memory_of_turns_is_bounded_and_forgets_the_least_recently_used():
    from faqbot.doors.turns import ConversationDesk

    desk = ConversationDesk(Settings(), memory_limit=2)
    recall = lambda conversation_id: desk.previous_turn(None, None, conversation_id)  # noqa: E731 (no store: memory)
    desk.remember("a", PreviousTurn("A?"))
    desk.remember("b", PreviousTurn("B?"))
    assert recall("a") == PreviousTurn("A?")  # now the most recent
    desk.remember("c", PreviousTurn("C?"))
    assert (recall("a"), recall("b"), recall("c")) == (PreviousTurn("A?"), None, PreviousTurn("C?"))
    with pytest.raises(ValueError, match="0"):
        ConversationDesk(Settings(), memory_limit=0)


@pytest.mark.slow
def test_follow_ups_on_the_shipped_corpus_resolve_to_their_passage(real_embedder, combined_corpus, tmp_path_factory):
    from faqbot.answer.pipeline import FAQBot

    settings = Settings(corpus_dir=combined_corpus, index_dir=tmp_path_factory.mktemp("followup-index"))
    bot = FAQBot.load(settings=settings, embedder=real_embedder)
    pairs = [item for item in read_jsonl(FOLLOWUPS) if item["corpus"] == "shipped"]
    assert len(pairs) >= 10
    resolved = alone = 0
    for item in pairs:
        first = bot.ask(item["previous"])
        top = first.citations[0].question if first.citations and first.kind != "no_answer" else None
        expected = {(e["doc"], e["question"]) for e in item["expected"]}

        def hit(answer: Answer, item=item, expected=expected) -> bool:
            if answer.kind == "no_answer" or not answer.citations:
                return False
            top_citation = answer.citations[0]
            text = answer.answer.lower()
            return (top_citation.source, top_citation.question) in expected and all(
                any(option.lower() in text for option in group) for group in item.get("must_contain", [])
            )

        resolved += hit(resolve(bot, item["question"], PreviousTurn(item["previous"], top)).answer)
        alone += hit(bot.ask(item["question"]))
    # Measured 10/12 in a conversation, 7/12 alone (scripts/eval_followups.py); the bar leaves one.
    assert resolved >= len(pairs) - 3
    assert resolved > alone
