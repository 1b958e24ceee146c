"""Writing a rule answer from the facts the engine chose: the figure as written, its
sentence as the citation, and any arithmetic (conversions, differences, discounts, spans from
today, a stated figure checked) shown step by step in `Answer.rule.steps`.

`FigureAnswers` is the base of `RuleEngine` (faqbot/answer/rules/engine.py): the engine
chooses, this writes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from faqbot.answer.rules.formatting import (
    _describe,
    _rate,
    _same_noun,
    _span_name,
    format_amount,
    format_count,
    format_date,
)
from faqbot.answer.rules.intent import (
    _CAPABILITY,
    _CURRENCY_NAMES,
    _DEADLINE_WORDS,
    _LOWER_LIMIT,
    _UPPER_LIMIT,
    _YES_NO,
    Intent,
    Stated,
)
from faqbot.core.datemath import describe_span, span_between
from faqbot.core.records import Answer, Citation, Fact, RuleTrace
from faqbot.search.index import Index
from faqbot.search.retrieve import Retrieval


@dataclass(frozen=True)
class _Scored:
    fact: Fact
    score: float
    passage_index: int


class FigureAnswers:
    """Rule answers from chosen facts; the state it reads is set up by `RuleEngine`."""

    # How close to the top retrieval score a passage must be for its facts to be candidates.
    RELEVANT_MARGIN = 0.15
    RELEVANT_HITS = 3

    index: Index
    today: Callable[[], dt.date]
    _row_of: dict[str, int]
    _facts_by_row: dict[int, list[Fact]]

    def _relevant_rows(self, retrieval: Retrieval) -> list[int]:
        top = retrieval.hits[0].score
        return [
            hit.passage_index for hit in retrieval.hits[: self.RELEVANT_HITS] if hit.score >= top - self.RELEVANT_MARGIN
        ]

    def _candidate_dates(self, retrieval: Retrieval) -> list[Fact]:
        return [
            f for row in self._relevant_rows(retrieval) for f in self._facts_by_row.get(row, []) if f.kind == "date"
        ]

    def _check(self, question, retrieval, intent: Intent, chosen: list[_Scored], confidence) -> Answer:
        """ "Yes: ..." when the FAQ's figure is the one stated, "No: ..." with the FAQ's figure otherwise."""
        stated = intent.stated
        assert stated is not None
        capability = bool(_CAPABILITY.match(question))
        unique: dict[object, Fact] = {}
        for candidate in chosen:  # the same figure stated twice is one figure here
            unique.setdefault(
                candidate.fact.date or (candidate.fact.value, candidate.fact.period, candidate.fact.per), candidate.fact
            )
        verdicts = [(fact, _agrees(fact, stated, capability)) for fact in unique.values()]
        facts = [f for f, _ in verdicts]
        agreeing = [f for f, ok in verdicts if ok]
        if agreeing:
            first = agreeing[0]
            text = f"Yes: {_describe(first)}" + (f" (“{first.clause}”)." if first.kind == "date" else ".")
            others = [f for f in facts if f not in agreeing]
            if others:
                text += " The FAQ also gives:\n" + "\n".join(f"- {_describe(f)}" for f in others)
        elif len(facts) == 1:
            text = f"No: the FAQ gives {_describe(facts[0])}, not {stated.fact.text}."
        else:
            text = f"No: the FAQ doesn't give {stated.fact.text}. It gives:\n" + "\n".join(
                f"- {_describe(f)}" for f in facts
            )
        name = "figure_check_yes" if agreeing else "figure_check_no"
        # The comparison is the step shown: the question's figure against the FAQ's.
        steps = [f"{stated.fact.text} {_relation(fact, stated, capability, ok)} {fact.text}" for fact, ok in verdicts]
        answer = self._rule_answer(question, retrieval, name, agreeing or facts, text, steps, confidence)
        return answer.model_copy(
            update={"citations": self._citations(agreeing + [f for f in facts if f not in agreeing], retrieval)}
        )

    def _money(self, question, retrieval, intent: Intent, chosen: list[_Scored], confidence) -> Answer:
        facts = [c.fact for c in chosen]
        currencies = {f.currency for f in facts if f.currency}
        if intent.currency and currencies and intent.currency not in currencies:
            given = ", ".join(sorted(_CURRENCY_NAMES.get(c, c) for c in currencies))
            text = (
                f"The FAQ gives prices in {given} only; it gives no {_CURRENCY_NAMES.get(intent.currency, intent.currency)} price:\n"
                + "\n".join(f"- {_describe(f)}" for f in facts)
            )
            return self._rule_answer(question, retrieval, "price_other_currency", facts, text, [], confidence)
        steps: list[str] = []
        if intent.difference:
            best = max(chosen, key=lambda c: c.score).fact
            siblings = [
                f
                for f in self._facts_by_row.get(self._row_of[best.passage_id], [])
                if f.kind == "money" and (f.sentence == best.sentence or (best.subject and f.subject == best.subject))
            ]
            if len({f.value for f in siblings}) >= 2:
                facts = siblings
        if intent.difference and len({f.value for f in facts}) >= 2:
            return self._difference(question, retrieval, intent, facts, confidence)
        conversions = [self._convert(fact, intent) for fact in facts]
        if any(conversion is not None for conversion in conversions):
            lines = []
            for fact, conversion in zip(facts, conversions, strict=False):
                if conversion is None:
                    lines.append(f"- {_describe(fact)}")
                    continue
                step, figure, tail = conversion
                steps.append(step)
                lines.append(" ".join([f"**{figure}**{tail}", *fact.qualifiers]) + f" ({step})")
            text = (
                lines[0] + "."
                if len(lines) == 1
                else "\n".join(f"- {line}" if not line.startswith("- ") else line for line in lines)
            )
            return self._rule_answer(question, retrieval, "price_conversion", facts, text, steps, confidence)
        answer = self._listing(question, retrieval, "money", chosen, confidence)
        if (intent.months or intent.per_month) and not any(f.period for f in facts):
            # Asked per year (or per month), but the FAQ states no period to convert from.
            note = "The FAQ gives no billing period for this price, so I can't convert it:\n"
            answer = answer.model_copy(update={"answer": note + answer.answer.removeprefix("The FAQ gives:\n")})
        return answer

    def _difference(self, question, retrieval, intent: Intent, facts: list[Fact], confidence) -> Answer:
        high, low = max(facts, key=lambda f: f.value or 0), min(facts, key=lambda f: f.value or 0)
        difference = (high.value or 0) - (low.value or 0)
        rate = f" {_rate(high)}" if _rate(high) else ""
        shown = format_amount(difference, high.text)
        steps = [f"{high.text} − {low.text} = {shown}{rate}"]
        listing = "\n".join(f"- {_describe(f)}" for f in (high, low))
        if intent.percent and high.value:
            share = difference / high.value * 100
            percent = f"{share:.1f}%".replace(".0%", "%")
            steps.append(f"{shown} ÷ {high.text} = {percent}")
            text = f"The discount is **{percent}** of {high.text} ({'; '.join(steps)}):\n{listing}"
            return self._rule_answer(question, retrieval, "price_discount", [high, low], text, steps, confidence)
        text = f"The difference is **{shown}**{rate}"
        months = intent.months if high.period == "month" else None
        if months:
            total = difference * months
            per = f" per {high.per}" if high.per else ""
            span = _span_name(months)
            steps.append(f"{shown} × {months} = {format_amount(total, high.text)}{per} {span}")
            text = f"The difference is **{format_amount(total, high.text)}**{per} {span}"
        text += f" ({'; '.join(steps)}):\n{listing}"
        return self._rule_answer(question, retrieval, "price_difference", [high, low], text, steps, confidence)

    @staticmethod
    def _convert(fact: Fact, intent: Intent) -> tuple[str, str, str] | None:
        """(the step shown, the converted figure, what it is per) or None when nothing to convert."""
        value = fact.value or 0.0
        factors: list[str] = []
        per = f" per {fact.per}" if fact.per else ""
        tail = f" per {fact.period}" if fact.period else ""
        if intent.count and fact.per and _same_noun(intent.count[1], fact.per):
            count, noun = intent.count
            value *= count
            factors.append(f"{format_count(count)} {noun}")
            per = f" for {format_count(count)} {noun}"
        if intent.months and fact.period == "month":
            value *= intent.months
            factors.append(str(intent.months))
            tail = f" {_span_name(intent.months)}"
        elif intent.months and fact.period == "year" and intent.months % 12 == 0 and intent.months > 12:
            years = intent.months // 12
            value *= years
            factors.append(str(years))
            tail = f" {_span_name(intent.months)}"
        elif intent.per_month and fact.period == "year":
            figure = format_amount(value / 12, fact.text)
            shown = " × ".join([fact.text, *factors])
            return f"{shown} ÷ 12 = {figure}{per} per month", figure, f"{per} per month"
        if not factors:
            return None
        figure = format_amount(value, fact.text)
        return f"{' × '.join([fact.text, *factors])} = {figure}{per}{tail}", figure, f"{per}{tail}"

    def _date(self, question, retrieval, intent: Intent, chosen: list[_Scored], confidence) -> Answer:
        facts = [c.fact for c in chosen if c.fact.date is not None]
        if intent.stated is not None and facts:
            # "Has the March 2026 call taken place?": the stated month picks the event.
            wanted = intent.stated.fact.date
            assert wanted is not None
            same = [
                f
                for f in self._candidate_dates(retrieval)
                if f.date and (f.date.year, f.date.month) == (wanted.year, wanted.month)
            ]
            facts = same or facts
        if not intent.now or not facts:
            return self._listing(question, retrieval, "date", chosen, confidence)
        today = self.today()
        unit = intent.span_unit or "days"
        lines, steps = [], []
        for fact in facts:
            assert fact.date is not None
            days = (fact.date - today).days
            deadline = bool(_DEADLINE_WORDS.search(fact.clause.casefold()))
            count = span_between(fact.date, today, unit)
            span = describe_span(count, unit)
            if unit == "days":
                if intent.days_left or days >= 0:
                    steps.append(f"{format_date(fact.date)} − {format_date(today)} = {days:,} days")
                else:
                    steps.append(f"{format_date(today)} − {format_date(fact.date)} = {-days:,} days")
            else:
                earlier, later = sorted([fact.date, today])
                steps.append(f"from {format_date(earlier)} to {format_date(later)}: {span} (whole {unit})")
            if days > 0:
                lines.append(f"**{fact.text}** is {span} from today ({format_date(today)}).")
            elif days == 0:
                lines.append(f"**{fact.text}** is today.")
            elif deadline and not intent.span_unit:
                lines.append(f"The deadline of **{fact.text}** has passed (today is {format_date(today)}).")
            else:
                lines.append(f"**{fact.text}** has passed (today is {format_date(today)}): it was {span} ago.")
        text = " ".join(lines)
        if intent.still and len(facts) == 1 and _YES_NO.match(question):
            # "Is it still possible ...?" / "Can it still be running?": the date decides.
            ahead = facts[0].date is not None and facts[0].date >= today
            text = ("Yes: " if ahead else "No: ") + text[:1].lower() + text[1:]
        return self._rule_answer(question, retrieval, "date_vs_today", facts, text, steps, confidence)

    def _quantity(self, question, retrieval, intent: Intent, chosen: list[_Scored], confidence) -> Answer:
        facts = [c.fact for c in chosen]
        shares = [f for f in facts if (f.unit or "").casefold() == "percent" and f.value is not None]
        if intent.count and shares and not intent.percent:
            # "If my audience is 5,000 people, how many ...": the FAQ's share of the stated number.
            count, noun = intent.count
            share = shares[0]
            result = count * (share.value or 0) / 100
            step = f"{format_count(count)} × {share.text} = {format_count(result)} {noun}"
            text = f"**{format_count(result)}** {noun} ({step}): {_describe(share)} of them."
            return self._rule_answer(question, retrieval, "share_of_count", [share], text, [step], confidence)
        return self._listing(question, retrieval, "quantity", chosen, confidence)

    def _listing(self, question, retrieval, kind: str, chosen: list[_Scored], confidence) -> Answer:
        facts = [c.fact for c in chosen]
        if len(facts) == 1:
            described = _describe(facts[0])
            text = f"{described[:1].upper()}{described[1:]}."  # the sentence is the citation's quote
        else:
            # Figures about different things are told apart by the corpus's own words for them.
            distinct = len({f.subject for f in facts}) > 1
            lines = [f"- {_describe(f)}: “{f.clause}”" if distinct else f"- {_describe(f)}" for f in facts]
            text = "The FAQ gives:\n" + "\n".join(lines)
        return self._rule_answer(question, retrieval, f"{kind}_lookup", facts, text, [], confidence)

    def _rule_answer(
        self, question, retrieval, name: str, facts: list[Fact], text: str, steps: list[str], confidence
    ) -> Answer:
        return Answer(
            question=question,
            answer=text,
            kind="rule",
            confidence=round(confidence, 4),
            citations=self._citations(facts, retrieval),
            rule=RuleTrace(
                name=name,
                inputs={f"{fact.kind} {i + 1}": f"{fact.text} ({fact.passage_id})" for i, fact in enumerate(facts)},
                steps=steps,
            ),
        )

    def _refuse(self, question, retrieval, terms, kind: str) -> Answer:
        """The passages found state figures of this kind, none about what is asked: say so, list none."""
        noun = {"money": "a price", "date": "a date", "quantity": "a figure"}[kind]
        text = f"The FAQ doesn't give {noun} for that, and I won't guess one."
        return Answer(
            question=question,
            answer=text,
            kind="no_answer",
            confidence=round(min(retrieval.confidence, 0.3), 4),
            citations=[],
            rule=RuleTrace(name="no_matching_figure", inputs={"asked": kind, "about": " ".join(terms)}),
        )

    def _citations(self, facts: list[Fact], retrieval: Retrieval) -> list[Citation]:
        """One citation per sentence that states a figure, quoting that sentence."""
        scores = {hit.passage_index: hit.score for hit in retrieval.hits}
        citations: list[Citation] = []
        seen: set[tuple[str, str]] = set()
        for fact in facts:
            if (fact.passage_id, fact.sentence) in seen:
                continue
            seen.add((fact.passage_id, fact.sentence))
            row = self._row_of[fact.passage_id]
            citations.append(Citation.of(self.index.passages[row], fact.sentence, scores.get(row, 0.0)))
        return citations


def _relation(fact: Fact, stated: Stated, capability: bool, agrees: bool) -> str:
    """How the stated figure compares with the FAQ's, as shown in the steps."""
    if (
        fact.kind == "quantity"
        and capability
        and (_UPPER_LIMIT.search(fact.clause) or _LOWER_LIMIT.search(fact.clause))
    ):
        upper = bool(_UPPER_LIMIT.search(fact.clause))
        return ("≤ (up to)" if agrees else "> (up to)") if upper else ("≥ (at least)" if agrees else "< (at least)")
    if agrees:
        return "is within" if stated.month_only else "="
    return "is not" if stated.month_only else "≠"


def _agrees(fact: Fact, stated: Stated, capability: bool) -> bool:
    """Whether the FAQ's `fact` says what the question states."""
    said = stated.fact
    if fact.kind == "date":
        if fact.date is None or said.date is None:
            return False
        if stated.month_only:
            return (fact.date.year, fact.date.month) == (said.date.year, said.date.month)
        return fact.date == said.date
    if fact.value is None or said.value is None:
        return False
    if fact.kind == "money":
        if said.currency and fact.currency and said.currency != fact.currency:
            return False
        value = fact.value
        if said.period and fact.period and said.period != fact.period:
            factor = {("month", "year"): 12.0, ("year", "month"): 1 / 12}.get((fact.period, said.period))
            if factor is None:
                return False
            value *= factor
        return abs(value - said.value) < 0.005
    if span := re.match(r"([\d,.]+)\s*(?:to|-|–)\s*([\d,.]+)", fact.text):
        low, high = (float(n.replace(",", "")) for n in span.groups())
        return low <= said.value <= high  # "Does it take 20 minutes?" against "15 to 30 minutes"
    if capability and _UPPER_LIMIT.search(fact.clause):
        return said.value <= fact.value  # "Can I join 500 clusters?" against "up to 1,000"
    if capability and _LOWER_LIMIT.search(fact.clause):
        return said.value >= fact.value
    return abs(fact.value - said.value) < 1e-9
