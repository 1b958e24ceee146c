"""The render layer: one answer in each door's format (terminal text, HTML, Slack, Mattermost).

The Slack and Mattermost shapes are tested through their door in test_slack.py; here the
plain text and HTML renderers, the pieces a new door reuses, and the doctests of the layer."""

from __future__ import annotations

import ast
import doctest
import importlib
from pathlib import Path

import pytest

from faqbot.answer.handoff import Handoff
from faqbot.core.records import Answer, Citation, RelatedQuestion, RuleTrace
from faqbot.doors import render

RENDER = Path(render.__file__).parent
CITATION = Citation(
    passage_id="ci-faq#how-is-it-licensed",
    doc_title="Customer Insights FAQ",
    section="Licensing",
    question="How is it licensed?",
    quote="It is licensed per tenant.",
    source="ci-faq.md",
    line_start=10,
    line_end=12,
    anchor="how-is-it-licensed",
    url="https://learn.example/ci-faq#how-is-it-licensed",
    score=0.8,
)
HANDOFF = Handoff(url="https://help.example/contact", label="Contact support")


def answer(**fields) -> Answer:
    defaults = {
        "question": "How is it licensed?",
        "answer": "It is **licensed** per tenant.",
        "kind": "retrieval",
        "confidence": 0.8,
        "citations": [CITATION],
        "related": [RelatedQuestion(passage_id="ci-faq#what-is-it", question="What is it?")],
    }
    return Answer(**{**defaults, **fields})


def test_plain_text_shows_answer_source_quote_confidence_and_related():
    assert render.plain_text(answer()) == "\n".join(
        [
            "It is licensed per tenant.",
            "",
            "Source: Customer Insights FAQ > Licensing > How is it licensed?",
            "        ci-faq.md, lines 10-12  https://learn.example/ci-faq#how-is-it-licensed",
            '        "It is licensed per tenant."',
            "Confidence: 0.80 (retrieval)",
            "Related questions:",
            "  - What is it?",
        ]
    )


def test_plain_text_says_when_the_bot_is_not_sure():
    text = render.plain_text(answer(confidence=0.45, hedged=True))
    assert "Confidence: 0.45 (retrieval, not sure)" in text.split("\n")


def test_plain_text_shows_the_working_of_a_rule_and_ends_with_the_handoff():
    rule = RuleTrace(name="yearly", steps=["$100 × 12 = $1,200"])
    text = render.plain_text(answer(kind="rule", rule=rule, related=[]), handoff=HANDOFF)
    lines = text.split("\n")
    assert "Working: $100 × 12 = $1,200" in lines
    assert lines[-2:] == ["Confidence: 0.80 (rule)", "Contact support: https://help.example/contact"]


def test_a_no_answer_in_plain_text_lists_no_related_questions():
    text = render.plain_text(answer(kind="no_answer", answer="The FAQ does not say.", citations=[]))
    assert "Related questions" not in text and "What is it?" not in text


@pytest.mark.parametrize(
    ("markdown", "doc_url", "html"),
    [
        (
            "See [the guide](guide.md#setup).",
            "https://learn.example/docs/ci-faq",
            '<p>See <a href="https://learn.example/docs/guide#setup" rel="noopener noreferrer">the guide</a>.</p>\n',
        ),
        ("[top](#top)", "https://learn.example/docs/ci-faq", '<p><a href="#top">top</a></p>\n'),
        ("[here](guide.md)", None, '<p><a href="guide.md">here</a></p>\n'),
        ("> [!NOTE]\n> Read this.", None, "<blockquote>\n<p><strong>Note:</strong>\nRead this.</p>\n</blockquote>\n"),
        (
            "<b>bold</b> & [x](javascript:alert(1))",
            None,
            "<p>&lt;b&gt;bold&lt;/b&gt; &amp; [x](javascript:alert(1))</p>\n",
        ),
    ],
)
def test_markdown_to_html(markdown, doc_url, html):
    assert render.markdown_to_html(markdown, doc_url) == html


def test_links_to_sources():
    assert render.citation_url(CITATION) == CITATION.url
    own_page = CITATION.model_copy(update={"url": None})
    assert render.citation_url(own_page) is None
    assert render.citation_url(own_page, "https://faq.example/") == "https://faq.example/faq/ci-faq#how-is-it-licensed"
    assert render.citation_label(CITATION) == "Customer Insights FAQ › How is it licensed?"
    assert render.document_base([own_page, CITATION]) == "https://learn.example/ci-faq"


def test_trim_cuts_at_a_word_and_closes_a_code_fence():
    assert render.trim("short", 10) == "short"
    cut = render.trim("```\n" + "word " * 100, 60, tail="!")
    assert len(cut) <= 60 and cut.endswith(" …\n```!")


def test_the_slack_door_re_exports_the_render_layer():
    from faqbot.doors import slack

    for name in ("slack_blocks", "mattermost_reply", "markdown_to_mrkdwn", "slack_link", "citation_url"):
        assert getattr(slack, name) is getattr(render, name)


def test_the_render_layer_needs_no_door():
    """A new door imports the render layer; the render layer imports no door (nor the web stack)."""
    for path in RENDER.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom | ast.Import):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                for name in names:
                    assert not name.startswith(("faqbot.doors.", "fastapi", "starlette", "slack_sdk")) or (
                        name.startswith("faqbot.doors.render")
                    ), f"{path.name} imports {name}"


@pytest.mark.parametrize(
    "module",
    [
        "faqbot.doors.render",
        "faqbot.doors.render._common",
        "faqbot.doors.render._html",
        "faqbot.doors.render._mattermost",
        "faqbot.doors.render._mrkdwn",
        "faqbot.doors.slack",
        "faqbot.doors.slack._dedupe",
        "faqbot.doors.slack._messages",
    ],
)
def test_doctests(module):
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted and not result.failed
