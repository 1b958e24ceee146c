"""Cross-references between questions (issue 17, item 6): linked when they resolve,
dropped from the answer and its quote when they do not."""

from __future__ import annotations

import re
import textwrap

import pytest

from faqbot.ingest.corpus import parse_document

from .conftest import SHIPPED_CORPUS


def parse(markdown: str):
    return {p.question: p for p in parse_document(textwrap.dedent(markdown), "faq.md").passages if p.question}


SECTION = """\
    # Product FAQ

    ## Billing

    1. **How am I billed?**

        Monthly. Refer to question three below for the price of storage.

    1. **Can I pay by invoice?**

        Yes. See the previous question.

    1. **What does storage cost?**

        $2 per GB.

    1. **Can I get a refund?**

        Within 30 days. See "Can I pay by invoice?" for the payment options.

    1. **Who do I ask about billing?**

        Refer to question nine below for the contact. Write to billing@example.com.

    ## Accounts

    ### How do I delete my account?

    Open the settings. Refer to the next question first.

    ### How do I export my data?

    Use the export button. The question above tells you how to delete the account afterwards.
"""


def link_to(question: str) -> str:
    slug = re.sub(r"[\W_]+", "-", question.lower()).strip("-")
    return f"[“{question}”](#{slug})"


def test_resolved_references_link_to_the_question_and_name_it_in_the_text():
    passages = parse(SECTION)
    billed = passages["How am I billed?"]
    # "question three below": the third of the section, or the third after this one (the
    # fourth of the section)? The rest of the sentence ("the price of storage") decides.
    assert link_to("What does storage cost?") in billed.answer_markdown
    assert "“What does storage cost?”" in billed.answer_text and "question three" not in billed.answer_text
    invoice = passages["Can I pay by invoice?"]
    assert invoice.answer_markdown == f"Yes. See {link_to('How am I billed?')}."
    assert invoice.answer_text == "Yes. See “How am I billed?”."
    refund = passages["Can I get a refund?"]
    assert link_to("Can I pay by invoice?") in refund.answer_markdown
    # Across sections and with headings: next and "the question above".
    assert link_to("How do I export my data?") in passages["How do I delete my account?"].answer_markdown
    export = passages["How do I export my data?"]
    assert link_to("How do I delete my account?") in export.answer_markdown
    assert "The question above" not in export.answer_text


def test_an_unresolvable_reference_is_dropped_with_its_sentence_only():
    contact = parse(SECTION)["Who do I ask about billing?"]  # there is no ninth question
    assert contact.answer_markdown == "Write to billing@example.com."
    assert contact.answer_text == "Write to billing@example.com."


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        # Counted in the section (2nd = B) and from here (A + 2 = C) differ and no word decides.
        ("See question two. Plain.", "Plain."),
        # A quoted question that the document does not ask is not a reference: kept as written.
        ('Some call it "Why not?" in the forums.', 'Some call it "Why not?" in the forums.'),
        # "The previous model", "a question" are not references.
        ("The previous model had two questions.", "The previous model had two questions."),
    ],
)
def test_ambiguous_and_non_references(answer, expected):
    passages = parse(
        f"""\
        # F

        ## A?

        {answer}

        ## B?

        Bee.

        ## C?

        Sea.
        """
    )
    assert passages["A?"].answer_text == expected


def test_a_passage_that_is_only_an_unresolvable_pointer_keeps_its_words():
    passages = parse("# F\n\n## A?\n\nSee question seven.\n\n## B?\n\nBee.\n")
    assert passages["A?"].answer_text == "See question seven."


def test_links_already_in_the_text_are_left_alone():
    passages = parse("# F\n\n## A?\n\nSee [the next question](#b) or the next question.\n\n## B?\n\nBee.\n")
    assert passages["A?"].answer_markdown == f"See [the next question](#b) or {link_to('B?')}."


def test_the_shipped_faq_references_resolve_to_the_questions_they_mean():
    document = parse_document((SHIPPED_CORPUS / "ci-faq.md").read_text(encoding="utf-8"), "ci-faq.md")
    by_question = {p.question: p for p in document.passages}
    licensed = by_question["How is the new Customer Insights licensed?"]
    # "Refer to question five below for the definition of People Interacted" / "question four ... People Unified".
    assert link_to("How do you define People Interacted?") in licensed.answer_markdown
    assert link_to("How do you define People Unified?") in licensed.answer_markdown
    functionality = by_question["Are there any changes to product functionality due to the consolidation of the offer?"]
    assert "(#can-customers-have-access-to-both-outbound-and-real-time-marketing" in functionality.answer_markdown
    for passage in document.passages:
        assert not re.search(r"question (?:four|five)|the next question", passage.answer_text, re.IGNORECASE)
        # Every link made points at an anchor of this document.
        anchors = {p.anchor for p in document.passages}
        for anchor in re.findall(r"\]\(#([^)]+)\)", passage.answer_markdown):
            assert anchor in anchors


def test_the_faq_page_links_each_reference_to_an_anchor_on_the_page(settings):
    from fastapi.testclient import TestClient

    from faqbot.answer.pipeline import FAQBot
    from faqbot.doors.http.app import create_app

    from .fakes import HashingEmbedder

    app = create_app(settings, bot=FAQBot.load(settings=settings, embedder=HashingEmbedder()))
    with TestClient(app) as client:
        page = client.get("/faq/ci-faq").text
    targets = re.findall(r'<a href="#(how-do-you-define-people-[a-z]+|can-customers-have-access[^"]*)">', page)
    assert len(targets) == 3  # both definitions and "the next question"
    assert all(f'id="{anchor}"' in page for anchor in targets)
    assert "question five" not in page and "Refer to the next question" not in page
