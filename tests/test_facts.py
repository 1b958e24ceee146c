"""Tests for bot.facts: typed figures (money, dates, quantities) with their clause,
subject and qualifiers, on made-up sentences, on the real FAQ text and on
generated sentences (hypothesis)."""

from __future__ import annotations

import datetime as dt
import doctest
import importlib
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faqbot.core.records import Fact, Passage
from faqbot.core.text import split_sentences
from faqbot.ingest.facts import extract_facts, facts_in_sentence, parse_date

EXTRA = Path(__file__).resolve().parent / "data" / "extra"
CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def passage(answer: str, question: str | None = None, passage_id: str = "doc#q") -> Passage:
    return Passage(
        passage_id=passage_id,
        doc_title="Doc",
        section=None,
        question=question,
        answer_markdown=answer,
        answer_text=answer,
        source="doc.md",
        line_start=1,
        line_end=2,
        anchor="q",
    )


def only(sentence: str, kind: str | None = None) -> Fact:
    facts = [f for f in facts_in_sentence(sentence, "doc#q") if kind is None or f.kind == kind]
    assert len(facts) == 1, facts
    return facts[0]


def by_text(facts: list[Fact], text: str) -> Fact:
    matching = [f for f in facts if f.text == text]
    assert len(matching) == 1, [f.text for f in facts]
    return matching[0]


# --- parse_date --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("September 1, 2023", dt.date(2023, 9, 1)),
        ("Sept. 1, 2023", dt.date(2023, 9, 1)),
        ("Sep 1, 2023", dt.date(2023, 9, 1)),
        ("Feb. 29, 2024", dt.date(2024, 2, 29)),
        ("1 September 2023", dt.date(2023, 9, 1)),
        ("September 2023", dt.date(2023, 9, 1)),
        ("2023-09-01", dt.date(2023, 9, 1)),
        ("09/01/2023", dt.date(2023, 9, 1)),
        ("  March 3, 2030 ", dt.date(2030, 3, 3)),
    ],
)
def test_parse_date_formats(text: str, expected: dt.date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text", ["2023", "in 2023", "February 30, 2023", "2023-13-01", "13/01/2023", "september 1, 2023", "1,700", ""]
)
def test_parse_date_rejects_non_dates(text: str) -> None:
    assert parse_date(text) is None


# --- money -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "text", "value", "currency", "period", "per"),
    [
        ("The Pro plan costs €49 per user per month.", "€49", 49.0, "EUR", "month", "user"),
        ("Support is priced at $1,250 per tenant per month (ptpm).", "$1,250", 1250.0, "USD", "month", "tenant"),
        ("The add-on costs $300 ptpm for partners.", "$300", 300.0, "USD", "month", "tenant"),
        ("Seats cost £3 pupm.", "£3", 3.0, "GBP", "month", "user"),
        ("Storage costs USD 20 a month.", "USD 20", 20.0, "USD", "month", None),
        ("The archive tier is 1,500 USD annually.", "1,500 USD", 1500.0, "USD", "year", None),
        ("A seat is €15.50/month.", "€15.50", 15.5, "EUR", "month", None),
        ("The fund holds $2.5 million today.", "$2.5 million", 2_500_000.0, "USD", None, None),
        ("Extra runs cost $0.10 per run per hour.", "$0.10", 0.1, "USD", "hour", "run"),
        ("The license costs $120 per year.", "$120", 120.0, "USD", "year", None),
        ("The fee is $40 weekly.", "$40", 40.0, "USD", "week", None),
        ("Each room is $80 a day.", "$80", 80.0, "USD", "day", None),
    ],
)
def test_money(sentence: str, text: str, value: float, currency: str, period: str | None, per: str | None) -> None:
    fact = only(sentence)
    assert (fact.kind, fact.text, fact.value, fact.currency, fact.period, fact.per) == (
        "money",
        text,
        value,
        currency,
        period,
        per,
    )
    assert sentence[fact.start : fact.end] == text


@pytest.mark.parametrize(
    "sentence",
    [
        "It costs €15,50 in some countries.",  # a decimal comma: no partial "€15"
        "The SKU 20 bundle is new.",  # three capitals that are no currency code
        "Rates are listed per month and per user.",
    ],
)
def test_money_not_guessed(sentence: str) -> None:
    assert [f for f in facts_in_sentence(sentence, "doc#q") if f.kind == "money"] == []


# --- dates -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "text", "date"),
    [
        ("The beta ends on March 3, 2031.", "March 3, 2031", dt.date(2031, 3, 3)),
        ("The offer ends Sept. 30, 2024.", "Sept. 30, 2024", dt.date(2024, 9, 30)),
        ("Billing moves on 1 July 2026 for everyone.", "1 July 2026", dt.date(2026, 7, 1)),
        ("The new portal opens in October 2025.", "October 2025", dt.date(2025, 10, 1)),
        ("Payment is due 2025-01-31.", "2025-01-31", dt.date(2025, 1, 31)),
        ("Payment is due 09/15/2024.", "09/15/2024", dt.date(2024, 9, 15)),
    ],
)
def test_dates(sentence: str, text: str, date: dt.date) -> None:
    fact = only(sentence)
    assert (fact.kind, fact.text, fact.date) == ("date", text, date)
    assert sentence[fact.start : fact.end] == text


@pytest.mark.parametrize(
    "sentence",
    [
        "The program started in 2023 and grew.",  # a bare year: no date, no quantity
        "Since 2019 the team has doubled.",
        "It ships February 30, 2024 at the latest.",  # an impossible date: nothing, not "30"
    ],
)
def test_no_fact_from_years_or_impossible_dates(sentence: str) -> None:
    assert facts_in_sentence(sentence, "doc#q") == []


# --- quantities --------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "text", "value", "unit"),
    [
        ("The trial lasts 30 days.", "30 days", 30.0, "days"),
        ("You can store up to 3 GB of data.", "3 GB", 3.0, "GB"),
        ("About 10 percent of the audience is held back.", "10 percent", 10.0, "percent"),
        ("Prices rose by 12% last quarter.", "12%", 12.0, "percent"),
        ("The plan covers 25,000 Active Contacts each year.", "25,000 Active Contacts", 25000.0, "Active Contacts"),
        ("The old model had three billing meters.", "three billing meters", 3.0, "billing meters"),
        ("Twelve regions host the service.", "Twelve regions", 12.0, "regions"),
        ("Runs retry after 2.5 hours.", "2.5 hours", 2.5, "hours"),
        ("Approximately 40 users signed up.", "40 users", 40.0, "users"),
    ],
)
def test_quantities(sentence: str, text: str, value: float, unit: str) -> None:
    fact = only(sentence)
    assert (fact.kind, fact.text, fact.value, fact.unit) == ("quantity", text, value, unit)
    assert sentence[fact.start : fact.end] == text


def test_unlimited_number_of() -> None:
    sentence = "Each workspace can hold an unlimited number of dashboards or reports in any region."
    fact = only(sentence)
    assert (fact.kind, fact.text, fact.value) == ("quantity", "unlimited", None)
    assert fact.unit == "dashboards or reports"
    assert sentence[fact.start : fact.end] == "unlimited"


def test_quantity_with_a_rate() -> None:
    fact = only("Each seat includes 500 messages per month.")
    assert (fact.text, fact.unit, fact.period) == ("500 messages", "messages", "month")


@pytest.mark.parametrize(
    "sentence",
    [
        "Windows 11 devices are supported.",  # a product name
        "Microsoft 365 admins can add users.",
        "Pass Exam AB-100 first.",  # an identifier
        "The split is 50-50 across both groups.",  # a ratio
        "See question five for the definition.",  # an ordinal reference
        "Follow step 3 to finish.",
        "The inflow is 85, but the split is 63 and 16.",  # bare numbers: no unit, no fact
        "Support is open 24/7 and replies by 10:30 in the morning.",
        "Version 1.2.3 is the latest.",
        "It runs 3x faster.",
        "We combined them into one offering.",  # "one" is read as an article
    ],
)
def test_numbers_that_are_not_quantities(sentence: str) -> None:
    assert facts_in_sentence(sentence, "doc#q") == []


# --- clause, subject, qualifiers ---------------------------------------------


def test_two_prices_keep_their_own_clause_subject_and_qualifiers() -> None:
    sentence = (
        "The Team plan is priced at $40 per user per month for small businesses, "
        "or at $30 per user per month for registered, nonprofit organizations."
    )
    first, second = facts_in_sentence(sentence, "plans#price")
    assert first.clause == "The Team plan is priced at $40 per user per month for small businesses"
    assert second.clause == "or at $30 per user per month for registered, nonprofit organizations"
    assert first.qualifiers == ["for small businesses"]
    assert second.qualifiers == ["for registered, nonprofit organizations"]
    # The second clause has no verb of its own: it shares the first one's subject.
    assert first.subject == second.subject == "Team plan"
    assert first.passage_id == second.passage_id == "plans#price"


def test_two_dates_split_at_with() -> None:
    sentence = (
        "Upgrades are accepted during the grace period that will run through March 31, 2026, "
        "with a hard cutoff that can't move past June 30, 2026."
    )
    first, second = facts_in_sentence(sentence, "doc#q")
    assert first.clause.endswith("grace period that will run through March 31, 2026")
    assert second.clause == "with a hard cutoff that can't move past June 30, 2026"
    assert (first.subject, second.subject) == ("grace period", "hard cutoff")


@pytest.mark.parametrize(
    ("sentence", "subject"),
    [
        ("This premium tier costs $99 per month.", "premium tier"),
        ("The Basic plan costs $10 and the Pro plan costs $20.", "Pro plan"),  # the nearest verb's subject
        ("The new portal will be generally available on May 4, 2026.", "new portal"),
        ("This renewal, however, must be signed before June 1, 2026.", "renewal"),
        ("On May 4, 2026, only the new portal will be open.", "new portal"),
        ("The base plan includes a storage allowance of 20 GB.", "storage allowance"),
        ("You can invite 15 guests.", ""),  # a pronoun is no subject
        ("The pilot lasts 6 weeks and ends on July 31, 2026.", "pilot"),  # coordinated verbs
    ],
)
def test_subject(sentence: str, subject: str) -> None:
    assert facts_in_sentence(sentence, "doc#q")[-1].subject == subject


def test_coordinated_figures_share_the_subject() -> None:
    facts = facts_in_sentence("The bundle holds a minimum of 5 projects and 20 members.", "doc#q")
    assert [(f.text, f.subject) for f in facts] == [("5 projects", "minimum"), ("20 members", "minimum")]


def test_qualifiers_skip_infinitives_and_for_example() -> None:
    fact = only("Guests need to register for example by mail, and pay $5 to the front desk for each visit.")
    assert fact.qualifiers == ["to the front desk", "for each visit"]


def test_clause_is_whole_sentence_without_trailing_period_when_one_figure() -> None:
    sentence = "Orders ship within 2 days from the Berlin, Paris, and Rome warehouses."
    fact = only(sentence)
    assert fact.clause == sentence[:-1]


# --- the real corpus: ci-faq.md ----------------------------------------------

CI_LICENSING = """\
Like the standalone Dynamics 365 Marketing and Dynamics 365 Customers Insights solutions, the new Customer Insights combined offering is sold on a prepaid capacity model, where capacity is pooled at the tenant level.
The previous model had four capacity units, while the new model has only the following two capacity units:
People Interacted (equivalent to the previous "marketable contact" unit in Dynamics 365 Marketing) that powers the use of Customer Insights – Journeys. Refer to question five below for the definition of People Interacted.
People Unified (equivalent to the previous "profile" meter in Dynamics 365 Customers Insights) which powers Customer Insights – Data. Refer to question four for the definition of People Unified.
All customers must start with the base SKU, or a minimum, required quantity of 10,000 People Interacted and 100,000 People Unified. This base SKU is priced at $1,700 per tenant per month (ptpm) for new Dynamics 365 customers, or at a discounted price of $1,000 ptpm for existing, qualifying Dynamics 365 customers. After purchasing the base SKU, customers can then purchase additional capacity SKUs of either capacity unit as needed."""

CI_GA = (
    "The new Customer Insights combined offering will be generally available on September 1, 2023. "
    "At that time, new customers will only be able to purchase the combined offering."
)

CI_CERTIFICATIONS = (
    "The current Exam MB-260: Microsoft Customer Data Platform Specialist and Exam MB-230: Microsoft "
    "Dynamics 365 Marketing Functional Consultant won't be combined at this time, but they're renamed "
    "to reflect the product changes."
)

CI_INSTALLS = (
    "Customer Insights includes rights to install both Customer Insights - Journeys (real-time journeys) "
    "and Customer Insights - Data applications in an unlimited number of production or sandbox Dataverse "
    "environments."
)

CI_RENEWAL = """\
After GA on September 1, 2023, existing customers can choose to remain and renew on the standalone licensing model for another contractual cycle. This renewal must be made during the transitional offer window that will run through September 1, 2025, with a final contract maturity date that can't extend beyond September 1, 2027. At the end of the renewed contractual period, customers will then need to transition to the new Customer Insights licensing."""


@pytest.fixture(scope="module")
def ci_facts() -> list[Fact]:
    passages = [
        passage(CI_LICENSING, "How is the new Customer Insights licensed?", "ci-faq#licensed"),
        passage(CI_GA, "When is the new Customer Insights offering generally available (GA)?", "ci-faq#ga"),
        passage(CI_CERTIFICATIONS, "What current certifications are in place?", "ci-faq#certs"),
        passage(CI_INSTALLS, "How many application installations can I have?", "ci-faq#installs"),
        passage(CI_RENEWAL, "What happens to customers who only have a license?", "ci-faq#renewal"),
    ]
    return extract_facts(passages)


def test_ci_prices(ci_facts: list[Fact]) -> None:
    full = by_text(ci_facts, "$1,700")
    discounted = by_text(ci_facts, "$1,000")
    assert (full.kind, full.value, full.currency, full.period, full.per) == ("money", 1700.0, "USD", "month", "tenant")
    assert (discounted.value, discounted.period, discounted.per) == (1000.0, "month", "tenant")
    assert any("new" in q.split() for q in full.qualifiers)
    assert not any("existing" in q for q in full.qualifiers)
    assert any("existing" in q for q in discounted.qualifiers)
    assert "new Dynamics 365 customers" in full.clause and "existing" not in full.clause
    assert "existing, qualifying Dynamics 365 customers" in discounted.clause and "$1,700" not in discounted.clause
    assert full.subject == discounted.subject == "base SKU"
    assert full.passage_id == "ci-faq#licensed"


def test_ci_quantities(ci_facts: list[Fact]) -> None:
    quantities = {(f.text, f.value, f.unit) for f in ci_facts if f.kind == "quantity"}
    assert quantities == {
        ("four capacity units", 4.0, "capacity units"),
        ("two capacity units", 2.0, "capacity units"),
        ("10,000 People Interacted", 10000.0, "People Interacted"),
        ("100,000 People Unified", 100000.0, "People Unified"),
        ("unlimited", None, "production or sandbox Dataverse environments"),
    }
    four = by_text(ci_facts, "four capacity units")
    two = by_text(ci_facts, "two capacity units")
    assert (four.subject, two.subject) == ("previous model", "new model")


def test_ci_names_and_ordinals_are_no_quantities(ci_facts: list[Fact]) -> None:
    values = {f.value for f in ci_facts if f.kind == "quantity"}
    assert not values & {365.0, 260.0, 230.0, 5.0}
    assert not [f for f in ci_facts if f.passage_id == "ci-faq#certs"]


def test_ci_dates(ci_facts: list[Fact]) -> None:
    dates = [(f.text, f.date) for f in ci_facts if f.kind == "date"]
    assert dates == [
        ("September 1, 2023", dt.date(2023, 9, 1)),
        ("September 1, 2023", dt.date(2023, 9, 1)),
        ("September 1, 2025", dt.date(2025, 9, 1)),
        ("September 1, 2027", dt.date(2027, 9, 1)),
    ]
    ga = next(f for f in ci_facts if f.passage_id == "ci-faq#ga")
    assert ga.subject == "new Customer Insights combined offering"
    window = by_text(ci_facts, "September 1, 2025")
    maturity = by_text(ci_facts, "September 1, 2027")
    assert "transitional offer window that will run through" in window.clause
    assert "maturity" not in window.clause and "2027" not in window.clause
    assert "final contract maturity date that can't extend beyond" in maturity.clause
    assert "window" not in maturity.clause
    assert (window.subject, maturity.subject) == ("transitional offer window", "final contract maturity date")


def test_ci_changed_price_changes_the_fact() -> None:
    facts = extract_facts([passage(CI_LICENSING.replace("$1,700", "$1,850"))])
    assert [f.value for f in facts if f.kind == "money"] == [1850.0, 1000.0]


def test_question_is_read_as_a_sentence_too() -> None:
    facts = extract_facts([passage("Yes, it does.", "Does the plan still cost $12 per month after June 1, 2026?")])
    assert [(f.kind, f.text) for f in facts] == [("money", "$12"), ("date", "June 1, 2026")]
    assert facts[0].sentence == "Does the plan still cost $12 per month after June 1, 2026?"


# --- the real corpus: the extra documents -------------------------------------


def test_trial_days_and_storage() -> None:
    facts = extract_facts(
        [
            passage(
                "The Customer Insights trial lasts 30 days. You can extend the trial once after 23 days when "
                "you sign in to your trial environment."
            ),
            passage(
                "You can store a up to 3 GB of data in the Dataverse environment that gets provisioned "
                "automatically when you start a Customer Insights trial."
            ),
            passage("You can add an unlimited number of users to the trial environment."),
            passage(
                "You can enter a non-work email address and we will create an account and tenant for you.",
                "How do I sign up for the trial without a Microsoft 365 tenant?",
            ),
        ]
    )
    assert [(f.text, f.value, f.unit) for f in facts] == [
        ("30 days", 30.0, "days"),
        ("23 days", 23.0, "days"),
        ("3 GB", 3.0, "GB"),
        ("unlimited", None, "users"),
    ]
    assert facts[0].subject == "Customer Insights trial"
    assert facts[3].qualifiers == ["to the trial environment"]


def test_journeys_percent_and_bare_numbers() -> None:
    facts = extract_facts(
        [
            passage(
                "The default channel acts as a control group, so 10 percent of your audience funnels through "
                "the default channel without any AI applied.",
                "What does the default channel do?",
            ),
            passage(
                "Some audience members may not have proper consent permissions.",
                "I see that the inflow before the A/B test is 85, but the split across version A and B is 63 "
                "and 16. What happened to the rest of the audience?",
            ),
            passage("If your A/B test audience is set to 50-50 across the audience, the split will not be exact."),
        ]
    )
    # Bare numbers (85, 63, 16) have no unit and are skipped by design.
    assert [(f.kind, f.text, f.value, f.unit) for f in facts] == [("quantity", "10 percent", 10.0, "percent")]


def _raw_sentences() -> list[str]:
    sentences = []
    for path in [CORPUS / "ci-faq.md", *sorted(EXTRA.glob("*-faq.md"))]:
        text = re.sub(r"\A---.*?\n---", "", path.read_text(encoding="utf-8"), flags=re.DOTALL)
        for line in text.splitlines():
            line = re.sub(r"\*\*|^\s*#+\s*|^\s*>\s*", "", line)
            sentences.extend(split_sentences(line))
    return sentences


def test_every_fact_in_the_real_files_is_consistent() -> None:
    facts = [f for s in _raw_sentences() for f in facts_in_sentence(s, "doc#q")]
    assert len(facts) >= 15
    for fact in facts:
        assert fact.sentence[fact.start : fact.end] == fact.text
        assert fact.text in fact.clause and fact.clause in fact.sentence
        assert not (fact.kind == "quantity" and fact.value in {365.0, 260.0, 230.0, 50.0, 85.0, 63.0, 16.0})


# --- generated sentences -------------------------------------------------------

FILLER = ["alpha", "bravo", "river", "stone", "cloud", "quiet", "garden", "signal", "the", "and", "with", "orange"]
SPELLED = ["two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
           "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"]  # fmt: skip
UNITS = ["days", "users", "capacity units", "GB", "environments", "percent", "Active Contacts"]
ABBREVIATED = ["Jan.", "Feb.", "Mar.", "Apr.", "May", "Jun.", "Jul.", "Aug.", "Sept.", "Oct.", "Nov.", "Dec."]
RATES = [
    ("", None, None),
    (" per month", "month", None),
    (" per user per month", "month", "user"),
    (" a year", "year", None),
    (" annually", "year", None),
    ("/month", "month", None),
    (" ptpm", "month", "tenant"),
]

# (text to embed, expected (kind, value-or-date, text, period, per))
Figure = tuple[str, tuple[str, object, str, str | None, str | None]]


@st.composite
def money(draw: st.DrawFn) -> Figure:
    whole = draw(st.integers(1, 999_999))
    cents = draw(st.none() | st.integers(0, 99))
    amount = f"{whole:,}" if cents is None else f"{whole:,}.{cents:02d}"
    value = float(amount.replace(",", ""))
    template, currency = draw(
        st.sampled_from([("${}", "USD"), ("€{}", "EUR"), ("£{}", "GBP"), ("USD {}", "USD"), ("{} EUR", "EUR")])
    )
    rate, period, per = draw(st.sampled_from(RATES))
    text = template.format(amount)
    return text + rate, ("money", (value, currency), text, period, per)


@st.composite
def dates(draw: st.DrawFn) -> Figure:
    day = draw(st.dates(dt.date(1990, 1, 1), dt.date(2100, 12, 31)))
    month = day.strftime("%B")
    choices = [
        (f"{month} {day.day}, {day.year}", day),
        (f"{ABBREVIATED[day.month - 1]} {day.day}, {day.year}", day),
        (f"{month[:3]} {day.day}, {day.year}", day),
        (f"{day.day} {month} {day.year}", day),
        (f"{month} {day.year}", day.replace(day=1)),
        (day.isoformat(), day),
        (day.strftime("%m/%d/%Y"), day),
    ]
    text, expected = draw(st.sampled_from(choices))
    return text, ("date", expected, text, None, None)


@st.composite
def quantities(draw: st.DrawFn) -> Figure:
    unit = draw(st.sampled_from(UNITS))
    if unit[0].islower() and draw(st.booleans()):
        number = draw(st.sampled_from(SPELLED))
        value = float(SPELLED.index(number) + 2)
    else:
        whole = draw(st.integers(1, 999_999))
        number, value = f"{whole:,}", float(whole)
    text = f"{number}%" if unit == "percent" and draw(st.booleans()) and number[0].isdigit() else f"{number} {unit}"
    return text, ("quantity", value, text, None, None)


@st.composite
def sentences(draw: st.DrawFn) -> tuple[str, list[tuple[str, object, str, str | None, str | None]]]:
    figures = draw(st.lists(st.one_of(money(), dates(), quantities()), min_size=1, max_size=4))
    words = st.lists(st.sampled_from(FILLER), min_size=1, max_size=4)
    parts = draw(st.lists(st.sampled_from(FILLER), max_size=3))
    for text, _ in figures:
        parts.append(text)
        parts.extend(draw(words))  # at least one filler word between two figures
    return " ".join(parts) + draw(st.sampled_from([".", "", "?"])), [expected for _, expected in figures]


def _observed(fact: Fact) -> tuple[str, object, str, str | None, str | None]:
    if fact.kind == "money":
        return ("money", (fact.value, fact.currency), fact.text, fact.period, fact.per)
    if fact.kind == "date":
        return ("date", fact.date, fact.text, None, None)
    return ("quantity", fact.value, fact.text, None, None)


@settings(max_examples=200, deadline=None)
@given(sentences())
def test_generated_sentences_give_back_exactly_their_figures(
    generated: tuple[str, list[tuple[str, object, str, str | None, str | None]]],
) -> None:
    sentence, expected = generated
    facts = facts_in_sentence(sentence, "gen#q")
    assert [_observed(f) for f in facts] == expected
    for fact in facts:
        assert sentence[fact.start : fact.end] == fact.text
        assert fact.text in fact.clause
        assert fact.passage_id == "gen#q"


@pytest.mark.parametrize("name", ["facts", "figures", "dates", "money", "quantities", "clauses"])
def test_facts_module_doctests_pass(name: str) -> None:
    module = importlib.import_module(f"faqbot.ingest.{name}")
    assert doctest.testmod(module).failed == 0
