"""Follow-ups measured: how many resolve to the right passage, and how many standalone
questions would be wrongly treated as follow-ups.

    HF_HUB_OFFLINE=1 .venv/bin/python scripts/eval_followups.py [--index-root DIR]

The follow-up pairs are `eval/followup-questions.jsonl` (format in tests/test_conversation.py):
each is asked as the second turn of a conversation whose first turn is `previous`, over
the shipped corpus with the extra documents (`"corpus": "shipped"`) or over
tests/data/dev (`"corpus": "dev"`). A pair counts as resolved when the answer's first
citation is one of `expected` (and every `must_contain` group matches the answer). For
comparison the follow-up is also asked alone, with no conversation.

Standalone questions: every question of eval/dev-questions.jsonl and
eval/dev-general-questions.jsonl is asked right after the question before it in its file;
any that is rewritten counts as wrongly treated as a follow-up.

Nothing here is fitted: the follow-up rules are hand-written and were not tuned on these pairs
beyond what the report says.
"""

from __future__ import annotations

import argparse
import itertools
import json
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from faqbot.answer.conversation import PreviousTurn, resolve
from faqbot.answer.pipeline import FAQBot
from faqbot.core.config import Settings
from faqbot.search.embed import load_embedder

FOLLOWUPS = REPO / "eval" / "followup-questions.jsonl"
STANDALONE = {"shipped": REPO / "eval" / "dev-questions.jsonl", "dev": REPO / "eval" / "dev-general-questions.jsonl"}


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def shipped_corpus(root: Path) -> Path:
    """The shipped corpus plus the three extra documents, in one folder."""
    target = root / "shipped-corpus"
    target.mkdir(parents=True, exist_ok=True)
    for folder in (REPO / "corpus", REPO / "tests" / "data" / "extra"):
        for source in folder.glob("*.md"):
            if source.stem.upper() != source.stem:  # not ATTRIBUTION.md, README.md
                shutil.copy(source, target / source.name)
    return target


def load_bots(root: Path, embedder) -> dict[str, FAQBot]:
    corpora = {"shipped": shipped_corpus(root), "dev": REPO / "tests" / "data" / "dev"}
    return {
        name: FAQBot.load(settings=Settings(corpus_dir=corpus, index_dir=root / f"{name}-index"), embedder=embedder)
        for name, corpus in corpora.items()
    }


def previous_turn(bot: FAQBot, question: str) -> PreviousTurn:
    """The first turn, as the doors remember it."""
    answer = bot.ask(question)
    top = answer.citations[0].question if answer.citations and answer.kind != "no_answer" else None
    return PreviousTurn(question, top)


def hit(answer, item: dict) -> bool:
    """The first citation is an expected passage, and every must_contain group matches."""
    if answer.kind == "no_answer" or not answer.citations:
        return False
    top = answer.citations[0]
    expected = {(e["doc"], e["question"]) for e in item["expected"]}
    if (top.source.rsplit("/", 1)[-1], top.question) not in expected:
        return False
    text = answer.answer.lower()
    return all(any(option.lower() in text for option in group) for group in item.get("must_contain", []))


def evaluate_followups(bots: dict[str, FAQBot]) -> list[dict]:
    rows = []
    for item in read_jsonl(FOLLOWUPS):
        bot = bots[item["corpus"]]
        resolution = resolve(bot, item["question"], previous_turn(bot, item["previous"]))
        alone = bot.ask(item["question"])
        rows.append(
            {
                "id": item["id"],
                "question": item["question"],
                "understood": resolution.understood,
                "resolved": hit(resolution.answer, item),
                "alone": hit(alone, item),
            }
        )
    return rows


def wrongly_followed(bots: dict[str, FAQBot]) -> tuple[int, list[str]]:
    """Standalone questions asked right after the one before them: (asked, rewritten)."""
    asked, rewritten = 0, []
    for corpus, path in STANDALONE.items():
        bot = bots[corpus]
        questions = [item["question"] for item in read_jsonl(path)]
        for before, question in itertools.pairwise(questions):
            asked += 1
            if resolve(bot, question, PreviousTurn(before)).understood is not None:
                rewritten.append(question)
    return asked, rewritten


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-root", type=Path, help="keep the built indexes here (default: a temporary folder)")
    args = parser.parse_args()
    root = args.index_root or Path(tempfile.mkdtemp(prefix="followups-"))
    bots = load_bots(root, load_embedder())
    rows = evaluate_followups(bots)
    print(f"{'id':4} {'resolved':8} {'alone':5}  follow-up -> understood")
    for row in rows:
        understood = row["understood"] or "(asked as typed)"
        print(
            f"{row['id']:4} {'yes' if row['resolved'] else 'NO':8} {'yes' if row['alone'] else 'no':5}  "
            f"{row['question']} -> {understood}"
        )
    resolved = sum(row["resolved"] for row in rows)
    alone = sum(row["alone"] for row in rows)
    print(
        f"\nfollow-ups answered from the right passage: {resolved}/{len(rows)} in a conversation, "
        f"{alone}/{len(rows)} asked alone"
    )
    asked, rewritten = wrongly_followed(bots)
    print(f"standalone questions rewritten when asked after another: {len(rewritten)}/{asked}")
    for question in rewritten:
        print(f"  {question}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
