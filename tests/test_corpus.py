"""Tests of faqbot/ingest/corpus.py: the real FAQ documents, tricky snippets, and fuzzing."""

from __future__ import annotations

import doctest
import importlib
import logging
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faqbot.core.errors import CorpusError
from faqbot.core.records import Document
from faqbot.ingest.corpus import Corpus, corpus_file_hashes, load_corpus, parse_document

HERE = Path(__file__).parent
CORPUS_DIR = HERE.parent / "corpus"
EXTRA_DIR = HERE / "data" / "extra"
CI_URL = "https://learn.microsoft.com/en-us/dynamics365/customer-insights/journeys/ci-faq"

CI_FAQ_QUESTIONS = [
    ("General", "What is the new Dynamics 365 Customer Insights?"),
    (
        "General",
        "Why are the Dynamics 365 Marketing and current Dynamics 365 Customer Insights apps being combined into one offering?",
    ),
    ("General", "When is the new Customer Insights offering generally available (GA)?"),
    ("General", "What current certifications are in place for the new Customer Insights offering?"),
    ("Availability", "When and how will Customer Insights be available to purchase?"),
    ("Availability", "Is the updated offer available worldwide?"),
    ("Availability", "Is this offer available for US GCC or other sovereign Clouds?"),
    ("Functionality", "Are there any changes to product functionality due to the consolidation of the offer?"),
    (
        "Functionality",
        "Can customers have access to both outbound and real-time marketing with the new Customer Insights offer?",
    ),
    ("Functionality", "Why is there a shift from outbound marketing to a real-time marketing-only experience?"),
    ("Pricing and licensing", "How is the new Customer Insights licensed?"),
    ("Pricing and licensing", "How do customers purchase more capacity?"),
    ("Pricing and licensing", "What license do customers need to use Customer Insights?"),
    (
        "Pricing and licensing",
        "How many application installations can I have for either the Customer Insights - Journeys or Customer Insights - Data apps?",
    ),
    ("Pricing and licensing", "How do you define People Unified?"),
    ("Pricing and licensing", "How do you define People Interacted?"),
    ("Pricing and licensing", "How can I increase or reduce my capacity of People Unified or People Interacted?"),
    (
        "Pricing and licensing",
        "Can you buy just the standalone Dynamics 365 Marketing product or Dynamics 365 Customer Insights product and not the other?",
    ),
    (
        "Pricing and licensing",
        "What happens to customers who only have a Dynamics 365 Marketing or Dynamics 365 Customer Insights license or have licensed both applications?",
    ),
]

EXTRA_QUESTIONS = {
    "data-trial-faq.md": [
        ("Sign-up", "What are the system requirements for the trial?"),
        ("Sign-up", "How do I sign up for the trial without a Microsoft 365 tenant?"),
        ("Sign-up", "Can I sign up for multiple Dynamics 365 apps such as Sales and Customer Service?"),
        ("Trial app", "I didn't receive the trial details email after signing up, what should I do?"),
        ("Trial app", "How do I add more users to a trial?"),
        ("Trial app", "How many users can I add to my trial environment?"),
        ("Trial app", "How do I reset the trial environment?"),
        ("Trial expiration and extension", "How do I extend the trial?"),
        ("Trial expiration and extension", "Can I convert the trial to a paid license?"),
        ("Trial expiration and extension", "What are the trial limits and quotas?"),
        ("Customer Insights-specific questions", "How do I start using the trial?"),
        ("Customer Insights-specific questions", "What features are available in the trial?"),
        ("Customer Insights-specific questions", "How long does the trial last?"),
        ("Customer Insights-specific questions", "How do I remove sample data from the trial?"),
    ],
    "journeys-real-time-marketing-faq.md": [
        ("Channel A/B testing", "Why is the audience split not exactly the same as when I was authoring the A/B test?"),
        (
            "Channel A/B testing",
            "I see that the inflow before the A/B test is 85, but the split across version A and B is 63 and 16. "
            "What happened to the rest of the audience?",
        ),
        ("Channel optimization", "How is channel optimization related to a goal?"),
        ("Channel optimization", "How does channel optimization use AI to determine the best channel?"),
        ("Channel optimization", "What does the default channel do?"),
        ("Channel optimization", "How is the engagement rate determined in channel optimization?"),
    ],
    "data-custom-models-faq.md": [
        (None, "Why can't I see my pipeline when I'm setting up a custom model workflow?"),
        (None, 'What does the error "Couldn\'t save intelligence workflow" mean?'),
        (None, "Can I use a private endpoint with my custom model from Azure Machine Learning?"),
    ],
}


# --------------------------------------------------------------------------- helpers


def line_count(text: str) -> int:
    """Lines as the parser (and markdown-it) counts them: \\r\\n, \\r and \\n end a line."""
    lines = re.sub(r"\r\n?", "\n", text).split("\n")
    if lines[-1] == "":
        lines.pop()
    return len(lines)


def questions(doc: Document) -> list[tuple[str | None, str]]:
    return [(p.section, p.question) for p in doc.passages if p.question is not None]


def by_question(doc: Document, question: str):
    return next(p for p in doc.passages if p.question == question)


def check_invariants(doc: Document, texts: dict[str, str]) -> None:
    """What every parse must guarantee; `texts` maps each passage source to its text."""
    anchors = [p.anchor for p in doc.passages]
    assert len(anchors) == len(set(anchors)), anchors
    stem = doc.source.removesuffix(".md")
    for p in doc.passages:
        assert p.passage_id == f"{stem}#{p.anchor}"
        assert p.anchor and p.anchor == p.anchor.lower()
        assert p.answer_text.strip(), p
        assert 1 <= p.line_start <= p.line_end <= line_count(texts[p.source]), (p, line_count(texts[p.source]))
        assert p.doc_title == doc.title


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="")
    return path


def parse(text: str, source: str = "faq.md", **kwargs) -> Document:
    doc = parse_document(text, source, **kwargs)
    check_invariants(doc, {source: text})
    return doc


@pytest.fixture(scope="module")
def ci_doc() -> Document:
    path = CORPUS_DIR / "ci-faq.md"
    doc = parse_document(path.read_text(encoding="utf-8"), "ci-faq.md", url=CI_URL, base_dir=path.parent)
    check_invariants(doc, {"ci-faq.md": path.read_text(encoding="utf-8")})
    return doc


# --------------------------------------------------------------------------- the real corpus


def test_ci_faq_yields_exactly_its_19_questions_with_sections(ci_doc: Document) -> None:
    assert ci_doc.title == "Dynamics 365 Customer Insights FAQs"
    assert questions(ci_doc) == CI_FAQ_QUESTIONS


def test_ci_faq_numbered_bold_items_that_are_not_questions_stay_in_the_answer(ci_doc: Document) -> None:
    asked = {q for _s, q in questions(ci_doc)}
    assert not any(q.startswith(("People Interacted", "People Unified")) for q in asked)
    licensed = by_question(ci_doc, "How is the new Customer Insights licensed?")
    assert "People Interacted (equivalent to the previous" in licensed.answer_text
    assert "1. **People Unified**" in licensed.answer_markdown
    assert "$1,700 per tenant per month" in licensed.answer_text


def test_ci_faq_unnumbered_bold_question_is_its_own_passage(ci_doc: Document) -> None:
    define = by_question(ci_doc, "How do you define People Interacted?")
    assert "How can I increase" not in define.answer_text
    assert "How can I increase" not in define.answer_markdown
    assert "reductions can only be made" not in define.answer_text
    assert "push notifications" in define.answer_text
    increase = by_question(ci_doc, "How can I increase or reduce my capacity of People Unified or People Interacted?")
    assert increase.answer_text.startswith("Customers can increase their capacity")
    assert increase.answer_text.endswith("Refer to Commercial Licensing for more information.")
    assert "[Commercial Licensing](https://www.microsoft.com/licensing/default)" in increase.answer_markdown
    assert (increase.line_start, increase.line_end) == (112, 116)
    assert (define.line_start, define.line_end) == (106, 110)


def test_ci_faq_div_wrapper_and_image_are_dropped(ci_doc: Document) -> None:
    for p in ci_doc.passages:
        for text in (p.answer_text, p.answer_markdown):
            assert "[!div" not in text
            assert "mx-imgBorder" not in text
            assert "SKU and name change diagram" not in text
            assert "![" not in text
    first = by_question(ci_doc, "What is the new Dynamics 365 Customer Insights?")
    assert first.answer_text.endswith("(formerly the standalone Customer Insights) applications.")
    # Indented under the list item in the file, but not a code block once cut out.
    assert first.answer_markdown.startswith("The new Dynamics 365 Customer Insights offering")


def test_ci_faq_missing_footer_include_is_a_warning(ci_doc: Document) -> None:
    assert len(ci_doc.warnings) == 1
    assert "footer-banner.md" in ci_doc.warnings[0] and "ci-faq.md:128" in ci_doc.warnings[0]
    assert not any("INCLUDE" in p.answer_markdown or "footer" in p.answer_text for p in ci_doc.passages)


def test_ci_faq_line_numbers_point_at_the_question_line(ci_doc: Document) -> None:
    lines = (CORPUS_DIR / "ci-faq.md").read_text(encoding="utf-8").split("\n")
    first = by_question(ci_doc, "What is the new Dynamics 365 Customer Insights?")
    assert (first.line_start, first.line_end) == (21, 23)
    for p in ci_doc.passages:
        if p.question is not None:
            assert p.question in lines[p.line_start - 1]
            assert lines[p.line_end - 1].strip()


def test_ci_faq_intro_ids_and_urls(ci_doc: Document) -> None:
    intro = ci_doc.passages[0]
    assert intro.question is None and intro.section is None
    assert intro.passage_id == "ci-faq#intro"
    assert intro.answer_text == "This FAQ answers questions about the new Customer Insights combined product offering."
    assert intro.line_start == intro.line_end == 17
    # Front matter produces no passage; sections followed by questions produce none either.
    assert [p.question is None for p in ci_doc.passages].count(True) == 1
    first = by_question(ci_doc, "What is the new Dynamics 365 Customer Insights?")
    assert first.passage_id == "ci-faq#what-is-the-new-dynamics-365-customer-insights"
    # Numbered questions have no heading anchor on Learn: they link to the page.
    assert all(p.url == CI_URL for p in ci_doc.passages)


@pytest.mark.parametrize("name", sorted(EXTRA_QUESTIONS))
def test_extra_documents_yield_exactly_their_questions(name: str) -> None:
    text = (EXTRA_DIR / name).read_text(encoding="utf-8")
    doc = parse_document(text, name, url="https://example.test/doc", base_dir=EXTRA_DIR)
    check_invariants(doc, {name: text})
    assert questions(doc) == EXTRA_QUESTIONS[name]
    for p in doc.passages:
        if p.question is not None:
            assert p.url == f"https://example.test/doc#{p.anchor}"
            assert p.question in text.split("\n")[p.line_start - 1]


def test_data_trial_faq_front_matter_and_list_answers() -> None:
    text = (EXTRA_DIR / "data-trial-faq.md").read_text(encoding="utf-8")
    doc = parse(text, "data-trial-faq.md")
    assert doc.title == "Dynamics 365 Customer Insights trial FAQ"  # `---  ` opener, quoted value
    assert len(questions(doc)) == 14
    assert all(p.question is not None for p in doc.passages)
    convert = by_question(doc, "Can I convert the trial to a paid license?")
    assert (convert.line_start, convert.line_end) == (55, 68)
    assert '- Choose the "Copy from existing environment" checkbox' in convert.answer_text
    engagement = by_question(
        parse((EXTRA_DIR / "journeys-real-time-marketing-faq.md").read_text(encoding="utf-8"), "j.md"),
        "How is the engagement rate determined in channel optimization?",
    )
    assert engagement.answer_text.startswith("- Push notifications: Number of unique people")


def test_load_corpus_real_folders() -> None:
    corpus = load_corpus(CORPUS_DIR)
    assert isinstance(corpus, Corpus)
    assert [d.source for d in corpus.documents] == ["ci-faq.md"]  # ATTRIBUTION.md is a meta file
    assert corpus.documents[0].url == CI_URL
    assert corpus.problems == ()
    assert len([p for p in corpus.passages if p.question]) == 19
    extra = load_corpus(EXTRA_DIR)
    assert [d.source for d in extra.documents] == sorted(EXTRA_QUESTIONS)
    assert extra.passages == tuple(p for d in extra.documents for p in d.passages)
    trial = next(d for d in extra.documents if d.source == "data-trial-faq.md")
    assert trial.url == "https://learn.microsoft.com/en-us/dynamics365/customer-insights/data/trial-faq"


# --------------------------------------------------------------------------- tricky snippets


def test_heading_with_html_anchor() -> None:
    doc = parse('# T\n\n## <a name="x"></a>What is X?\n\nX is a thing.\n')
    assert questions(doc) == [(None, "What is X?")]
    assert doc.passages[0].anchor == "what-is-x"


def test_curly_quotes_in_question() -> None:
    doc = parse("## What’s “X” for?\n\nFun.\n\n1. **Isn’t ‘Y’ better?**\n\n    No.\n")
    assert [q for _s, q in questions(doc)] == ["What’s “X” for?", "Isn’t ‘Y’ better?"]
    assert [p.anchor for p in doc.passages] == ["whats-x-for", "isnt-y-better"]


def test_two_questions_in_one_heading_are_one_passage() -> None:
    doc = parse("## What is X? How do I get it?\n\nBuy it.\n")
    assert questions(doc) == [(None, "What is X? How do I get it?")]
    assert doc.passages[0].answer_text == "Buy it."


def test_no_trailing_newline() -> None:
    doc = parse("## Q?\n\nAnswer")
    assert (doc.passages[0].line_start, doc.passages[0].line_end) == (1, 3)
    assert doc.passages[0].answer_text == "Answer"


def test_crlf_line_endings_parse_like_lf() -> None:
    lf = "---\ntitle: T\n---\n# H\n\n## Sec\n\n1. **Q?**\n\n    A line.\n    > [!NOTE]\n    > Careful.\n"
    crlf = lf.replace("\n", "\r\n")
    a, b = parse(lf), parse(crlf)
    assert a == b
    assert a.passages[0].answer_text == "A line.\nNote: Careful."
    assert "\r" not in a.passages[0].answer_markdown


def test_empty_file_and_front_matter_only() -> None:
    empty = parse("", "sub/empty.md")
    assert empty.passages == () and empty.title == "empty" and empty.warnings == ()
    only = parse("---  \ntitle: 'Only front matter'\nurl: https://example.test/only\n---\n")
    assert only.passages == () and only.title == "Only front matter"
    assert only.url == "https://example.test/only"


def test_broken_front_matter_is_a_warning() -> None:
    doc = parse("---\ntitle: [unclosed\nms.date: x: y\n---\n# Heading\n\n## Q?\n\nA.\n")
    assert doc.title == "Heading"
    assert len(doc.warnings) == 1 and "front matter" in doc.warnings[0]
    assert questions(doc) == [(None, "Q?")]
    assert not any("unclosed" in p.answer_text for p in doc.passages)
    bad_date = parse("---\ndate: 2024-13-45\n---\nText.\n")
    assert bad_date.warnings and bad_date.passages[0].answer_text == "Text."


def test_front_matter_url_wins_and_titles_fall_back() -> None:
    doc = parse("---\ncanonical_url: https://a.test/x\n---\n## Q?\n\nA\n", "x.md", url="https://b.test/x")
    assert doc.url == "https://a.test/x" and doc.title == "x"
    assert doc.passages[0].url == "https://a.test/x#q"


def test_alerts_are_kept_as_text() -> None:
    doc = parse("## Q?\n\n> [!NOTE]\n> Foo bar.\n\n> [!TIP]\n>\n> Use **this**.\n\n> [!WARNING] Hot.\n")
    assert doc.passages[0].answer_text == "Note: Foo bar.\nTip: Use this.\nWarning: Hot."
    assert "> [!NOTE]" in doc.passages[0].answer_markdown


def test_bold_that_is_not_a_question() -> None:
    text = (
        "## Sec\n\n"
        "- **Push notifications**: Number of people.\n"
        "- **Email?** maybe\n\n"
        "**A bold statement.**\n\n"
        "Some **bold?** text.\n\n"
        "**First?** and **second?**\n"
    )
    doc = parse(text)
    assert questions(doc) == []
    assert doc.passages[0].section == "Sec" and doc.passages[0].anchor == "sec"
    assert doc.passages[0].answer_text.startswith("- Push notifications: Number of people.")


def test_top_level_bold_questions_and_nested_bold_question() -> None:
    text = (
        "# Title\n\nIntro.\n\n"
        "**First?**  \n\nOne.\n\n"
        "**Second?**\n\nTwo.\n\n"
        "1. **Third?**\n\n    Three.\n\n    **Fourth?**\n\n    Four.\n\n"
        "Trailing note.\n"
    )
    doc = parse(text)
    assert [(p.question, p.answer_text) for p in doc.passages] == [
        (None, "Intro."),
        ("First?", "One."),
        ("Second?", "Two."),
        ("Third?", "Three."),
        ("Fourth?", "Four."),
        (None, "Trailing note."),
    ]
    assert doc.passages[0].anchor == "intro" and doc.passages[-1].anchor == "intro-2"


def test_heading_question_answer_runs_to_next_heading_of_same_level() -> None:
    text = (
        "## Setup\n\nHow to set up.\n\n"
        "### How do I install?\n\nRun it.\n\n#### Step 2\n\nThen this.\n\n"
        "### How do I remove?\n\nDelete it.\n\n"
        "## Other\n\n### Sub\n\n#### Is it done?\n\nYes.\n"
    )
    doc = parse(text)
    assert [(p.section, p.question, p.answer_text) for p in doc.passages] == [
        ("Setup", None, "How to set up."),
        ("Setup", "How do I install?", "Run it.\nStep 2\nThen this."),
        ("Setup", "How do I remove?", "Delete it."),
        ("Sub", "Is it done?", "Yes."),
    ]


def test_question_with_empty_answer_keeps_the_question_as_text() -> None:
    doc = parse("## Q1?\n## Q2?\n\nA2\n")
    assert [(p.question, p.answer_text, p.line_start, p.line_end) for p in doc.passages] == [
        ("Q1?", "Q1?", 1, 1),
        ("Q2?", "A2", 2, 4),
    ]


def test_duplicate_slugs_get_suffixes_and_ids_are_stable() -> None:
    text = "## What is X?\n\nA.\n\n## What is X?\n\nB.\n\n## What is X!?\n\nC.\n"
    doc = parse(text, "sub/x.md")
    assert [p.passage_id for p in doc.passages] == ["sub/x#what-is-x", "sub/x#what-is-x-2", "sub/x#what-is-x-3"]
    assert parse(text, "sub/x.md") == doc


def test_long_question_slug_is_capped() -> None:
    doc = parse("## " + "word " * 60 + "?\n\nA.\n")
    assert 0 < len(doc.passages[0].anchor) <= 80


def test_include_is_resolved_with_its_own_source_and_lines(tmp_path: Path) -> None:
    write(tmp_path, "includes/part.md", "Part intro.\n\n## Part Q?\n\nPart A.\n")
    main = write(
        tmp_path,
        "docs/main.md",
        "# Main\n\n## Sec\n\n1. **Before?**\n\n    B.\n\n[!INCLUDE[x](../includes/part.md)]\n\n## After?\n\nA.\n",
    )
    doc = parse_document(main.read_text(), "docs/main.md", url="https://u.test/main", base_dir=main.parent)
    part = (tmp_path / "includes/part.md").read_text()
    check_invariants(doc, {"docs/main.md": main.read_text(), "includes/part.md": part})
    assert [(p.source, p.section, p.question, p.line_start, p.line_end) for p in doc.passages] == [
        ("docs/main.md", "Sec", "Before?", 5, 7),
        ("includes/part.md", "Sec", None, 1, 1),
        ("includes/part.md", "Sec", "Part Q?", 3, 5),
        ("docs/main.md", "Sec", "After?", 11, 13),
    ]
    assert all(p.doc_title == "Main" and p.passage_id.startswith("docs/main#") for p in doc.passages)
    assert doc.passages[2].url == "https://u.test/main#part-q"
    assert doc.warnings == ()


def test_missing_include_and_include_without_base_dir_warn(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    text = "## Q?\n\nA.\n\n[!INCLUDE [gone](./includes/gone.md)]\n"
    with caplog.at_level(logging.WARNING, logger="faqbot.ingest.corpus"):
        doc = parse(text, base_dir=tmp_path)
    assert len(doc.warnings) == 1 and "gone.md" in doc.warnings[0] and "does not exist" in doc.warnings[0]
    assert "gone.md" in caplog.text
    assert parse(text).warnings[0].endswith("the file's folder is unknown")
    assert doc.passages[0].answer_text == "A."


def test_include_outside_the_corpus_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "secret.md", "## Secret?\n\nHidden.\n")
    main = write(tmp_path, "corpus/main.md", "## Q?\n\nA.\n\n[!INCLUDE [s](../secret.md)]\n")
    doc = load_corpus(tmp_path / "corpus").documents[0]
    assert [p.question for p in doc.passages] == ["Q?"]
    assert "outside the corpus" in doc.warnings[0]
    assert main.exists()


@pytest.mark.parametrize("target", ["a%00.md", "a" * 5000 + ".md", "a/" * 3000 + "x.md", "notes.txt", "%20"])
def test_unusable_include_paths_warn(tmp_path: Path, target: str) -> None:
    doc = parse(f"## Q?\n\nA.\n\n[!INCLUDE [x]({target})]\n", base_dir=tmp_path)
    assert len(doc.warnings) == 1 and "skipped" in doc.warnings[0]
    assert [p.answer_text for p in doc.passages] == ["A."]


def test_self_include_and_cycles_terminate(tmp_path: Path) -> None:
    write(tmp_path, "self.md", "## Self?\n\nMe.\n\n[!INCLUDE [me](self.md)]\n")
    write(tmp_path, "a.md", "## A?\n\nA.\n\n[!INCLUDE [b](b.md)]\n")
    write(tmp_path, "b.md", "## B?\n\nB.\n\n[!INCLUDE [a](./a.md)]\n")
    corpus = load_corpus(tmp_path)
    docs = {d.source: d for d in corpus.documents}
    assert sorted(docs) == ["a.md", "self.md"]  # b.md is only ever included
    assert [p.question for p in docs["self.md"].passages] == ["Self?"]
    assert "includes itself" in docs["self.md"].warnings[0]
    assert [(p.source, p.question) for p in docs["a.md"].passages] == [("a.md", "A?"), ("b.md", "B?")]
    assert "includes itself" in docs["a.md"].warnings[0]
    for doc in corpus.documents:
        check_invariants(doc, {s: (tmp_path / s).read_text() for s in ("a.md", "b.md", "self.md")})


def test_include_fan_out_is_bounded(tmp_path: Path) -> None:
    for i in range(6):
        write(tmp_path, f"inc/l{i}.md", f"## Q{i}?\n\nA.\n\n" + f"[!INCLUDE [n](l{i + 1}.md)]\n\n" * 10)
    write(tmp_path, "inc/l6.md", "Leaf.\n")
    write(tmp_path, "main.md", "[!INCLUDE [n](inc/l0.md)]\n")
    doc = load_corpus(tmp_path).documents[0]
    assert doc.source == "main.md"
    assert any("too many" in w for w in doc.warnings)


def test_included_file_is_not_a_document_of_its_own(tmp_path: Path) -> None:
    write(tmp_path, "main.md", "# Main\n\n[!INCLUDE [p](includes/part.md)]\n")
    write(tmp_path, "includes/part.md", "## Part?\n\nYes.\n")
    write(tmp_path, "includes/unused.md", "## Unused?\n\nStill a document.\n")
    corpus = load_corpus(tmp_path)
    assert [d.source for d in corpus.documents] == ["includes/unused.md", "main.md"]
    assert [(p.source, p.passage_id) for p in corpus.passages] == [
        ("includes/unused.md", "includes/unused#unused"),
        ("includes/part.md", "main#part"),
    ]


def test_meta_files_are_skipped_and_urls_come_from_urls_json(tmp_path: Path) -> None:
    write(tmp_path, "README.md", "## Is this a FAQ?\n\nNo.\n")
    write(tmp_path, "sub/LICENSE.md", "## Licensed?\n\nYes.\n")
    write(tmp_path, "faq.md", "## Q?\n\nA.\n")
    write(tmp_path, "sub/x.md", "---\nurl: https://fm.test/x\n---\n## Q?\n\nA.\n")
    write(tmp_path, "urls.json", '{"faq.md": "https://u.test/faq", "./sub/x.md": "https://u.test/x"}')
    corpus = load_corpus(tmp_path)
    assert [(d.source, d.url) for d in corpus.documents] == [
        ("faq.md", "https://u.test/faq"),
        ("sub/x.md", "https://fm.test/x"),  # the front matter wins over urls.json
    ]
    assert [p.passage_id for p in corpus.passages] == ["faq#q", "sub/x#q"]


def test_bad_utf8_is_a_problem_and_the_rest_still_parses(tmp_path: Path) -> None:
    (tmp_path / "bad.md").write_bytes(b"## Q?\n\n\xff\xfe broken\n")
    (tmp_path / "binary.md").write_bytes(b"\x00\x01\x02")
    write(tmp_path, "good.md", "## Good?\n\nYes.\n")
    write(tmp_path, "urls.json", "{not json")
    corpus = load_corpus(tmp_path)
    assert [d.source for d in corpus.documents] == ["good.md"]
    assert len(corpus.problems) == 3
    assert any(p.startswith("bad.md:") and "UTF-8" in p for p in corpus.problems)
    assert any(p.startswith("binary.md:") for p in corpus.problems)
    assert any(p.startswith("urls.json:") for p in corpus.problems)


def test_missing_or_empty_corpus_raises(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="nowhere"):
        load_corpus(tmp_path / "nowhere")
    with pytest.raises(CorpusError, match="nowhere"):
        corpus_file_hashes(tmp_path / "nowhere")
    write(tmp_path, "README.md", "# Readme\n")
    write(tmp_path, "notes.txt", "not markdown")
    with pytest.raises(CorpusError, match=re.escape(str(tmp_path))):
        load_corpus(tmp_path)
    (tmp_path / "bad.md").write_bytes(b"\xff")
    with pytest.raises(CorpusError, match="bad.md"):
        load_corpus(tmp_path)


def test_deep_nesting_and_huge_lines_do_not_crash(tmp_path: Path) -> None:
    write(tmp_path, "quotes.md", ">" * 500 + " **Deep?**\n" + "> " * 500 + "answer\n")
    write(tmp_path, "lists.md", "".join("  " * i + "1. **Q?**\n" for i in range(500)))
    write(tmp_path, "huge.md", "## Huge?\n\n" + "word " * 200_000 + "\n" + "[" * 20_000 + "\n")
    corpus = load_corpus(tmp_path)
    assert [d.source for d in corpus.documents] == ["huge.md", "lists.md", "quotes.md"]
    for doc in corpus.documents:
        check_invariants(doc, {doc.source: (tmp_path / doc.source).read_text()})


def test_corpus_file_hashes(tmp_path: Path) -> None:
    write(tmp_path, "faq.md", "## Q?\n\nA.\n")
    write(tmp_path, "README.md", "# Readme\n")
    write(tmp_path, "includes/part.md", "Part.\n")
    write(tmp_path, "urls.json", "{}")
    write(tmp_path, "notes.txt", "ignored")
    before = corpus_file_hashes(tmp_path)
    assert sorted(before) == ["README.md", "faq.md", "includes/part.md", "urls.json"]
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in before.values())
    write(tmp_path, "includes/part.md", "Part, edited.\n")
    after = corpus_file_hashes(tmp_path)
    assert [k for k in before if before[k] != after[k]] == ["includes/part.md"]
    assert sorted(corpus_file_hashes(CORPUS_DIR)) == ["ATTRIBUTION.md", "ci-faq.md", "urls.json"]


# --------------------------------------------------------------------------- fuzzing

FRAGMENTS = [
    "#",
    "# ",
    "## ",
    "### ",
    "#### ",
    "1. **",
    "1. ",
    "- ",
    "**",
    "*",
    "`",
    "```",
    "?",
    "Q?",
    "**Q?**",
    "**Why?**",
    ">",
    "> ",
    "> [!NOTE]",
    '> [!div class="x"]',
    "![img](a.png)",
    "[!INCLUDE [x](inc.md)]",
    "[!INCLUDE[s](self.md)]",
    "[!INCLUDE [m](missing.md)]",
    "[!INCLUDE [z](%00.md)]",
    "[!INCLUDE [o](../out.md)]",
    "[link](u)",
    '<a name="x"></a>',
    "<!-- c -->",
    "---",
    "title: T",
    "’",
    "\n",
    "\n",
    "\n\n",
    "\r\n",
    "\r",
    "    ",
    "  ",
    "\t",
    "word",
    "| a | b |\n|---|---|\n",
]


@pytest.fixture(scope="module")
def include_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fuzz")
    write(root, "inc.md", "## Included?\n\nYes.\n\n[!INCLUDE [s](self.md)]\n")
    write(root, "self.md", "**Self?**\n\n[!INCLUDE[s](self.md)]\n")
    return root


def _check_fuzzed(text: str, root: Path) -> None:
    doc = parse_document(text, "fuzz.md", url="https://f.test/fuzz", base_dir=root)
    texts = {"fuzz.md": text, "inc.md": (root / "inc.md").read_text(), "self.md": (root / "self.md").read_text()}
    check_invariants(doc, texts)
    for p in doc.passages:
        if p.source == "fuzz.md" and p.question is not None:
            assert p.question.rstrip().endswith("?")


@settings(max_examples=200, deadline=None)
@given(text=st.text())
def test_fuzz_arbitrary_text(text: str, include_dir: Path) -> None:
    _check_fuzzed(text, include_dir)


@settings(max_examples=200, deadline=None)
@given(parts=st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=5)), max_size=60))
def test_fuzz_markdownish_fragments(parts: list[str], include_dir: Path) -> None:
    _check_fuzzed("".join(parts), include_dir)


def test_a_document_named_in_capitals_is_still_a_document(tmp_path):
    write(tmp_path, "FAQ.md", "# FAQ\n\n## Is this indexed?\n\nYes.\n")
    write(tmp_path, "ATTRIBUTION.md", "## Is this indexed?\n\nNo.\n")
    corpus = load_corpus(tmp_path)
    assert [d.source for d in corpus.documents] == ["FAQ.md"]


@pytest.mark.parametrize("name", ["corpus", "folder", "markdown", "mslearn", "passages", "crossref"])
def test_ingest_module_doctests_pass(name: str) -> None:
    module = importlib.import_module(f"faqbot.ingest.{name}")
    assert doctest.testmod(module).failed == 0
