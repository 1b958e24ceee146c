"""The way to a person: the request detector on varied phrasings, and on questions that
name agents or support as FAQ topics (which must not hand off); the handoff payload."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from faqbot.answer.handoff import DEFAULT_HANDOFF_LABEL, Handoff, asks_for_person, handoff_of
from faqbot.core.config import Settings

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "question",
    [
        "Can I talk to a person?",
        "talk to a human",
        "contact support",
        "Can I speak to an agent?",
        "I want to speak with a real person, please",
        "Is there someone I can call?",
        "agent please",
        "Human!",
        "How do I get in touch with your support team?",
        "Transfer me to customer service",
        "I need a person",
        "Could you connect me with a live agent?",
        "Who do I contact about billing?",
        "Can I chat with someone from sales?",
        "Is there a representative I could talk to?",
        "I'd like to reach your helpdesk",
    ],
)
def test_requests_for_a_person_are_recognised(question: str):
    assert asks_for_person(question)


@pytest.mark.parametrize(
    "question",
    [
        "What does the Azure VM agent do?",
        "Do I need an agent running in the Azure virtual machine?",
        "How does the support agent connect to the VM?",
        "Does Customer Insights support SMS?",
        "What is the support lifecycle for Azure Linux?",
        "Can the agent talk to the server behind the firewall?",
        "How many people can use the trial?",
        "Does the trial include phone support?",
        "Is customer service included in the license?",
        "Can people talk to each other in the app?",
        "Who can contact customers through real-time marketing?",
        "Do you support staging environments?",
        "How can I get help with Azure Linux?",
        "",
    ],
)
def test_questions_about_agents_or_support_as_topics_do_not_hand_off(question: str):
    assert not asks_for_person(question)


# Labelled questions that, besides their FAQ question, also ask whom to contact
# ("... and who do we talk to if not?"): the detector is right to see a request there.
ALSO_ASK_FOR_A_PERSON = {"loose-064"}


def test_no_labelled_dev_question_is_taken_for_a_request_for_a_person():
    items = [
        json.loads(line)
        for path in sorted((REPO / "eval").glob("*.jsonl"))
        if path.name != "followup-questions.jsonl"
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    assert len(items) > 400
    assert {item["id"] for item in items if asks_for_person(item["question"])} == ALSO_ASK_FOR_A_PERSON


def test_the_handoff_comes_from_the_settings():
    assert handoff_of(Settings()) is None
    assert handoff_of(Settings(handoff_url="  ")) is None  # an empty setting is no setting
    handoff = handoff_of(Settings(handoff_url="mailto:help@example.com"))
    assert handoff == Handoff("mailto:help@example.com", DEFAULT_HANDOFF_LABEL)
    custom = handoff_of(Settings(handoff_url="https://example.com/help", handoff_label="Kontakt"))
    assert custom.as_dict() == {"url": "https://example.com/help", "label": "Kontakt"}


def test_the_handoff_settings_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("FAQBOT_HANDOFF_URL", "https://example.com/contact")
    monkeypatch.setenv("FAQBOT_HANDOFF_LABEL", "Contact us")
    assert handoff_of(Settings()) == Handoff("https://example.com/contact", "Contact us")


@pytest.mark.parametrize("url", ["javascript:alert(1)", "support.example.com", "ftp://example.com/", "https://"])
def test_a_handoff_url_a_visitor_cannot_follow_is_refused(url: str):
    with pytest.raises(ValueError, match="FAQBOT_HANDOFF_URL"):
        Settings(handoff_url=url)
