"""Numeric questions -> exact answers from facts (being written)."""

from __future__ import annotations


class RuleEngine:
    def __init__(self, facts, today):
        self.facts = facts
        self.today = today

    def answer(self, question, retrieval):
        return None
