"""Leave-one-document-out evaluation of the learned ranking and abstention models.

Every labelled question belongs to one document (its fold): an answerable
question to the document of its expected passage; an out-of-domain question
to the document named by its optional `fold` field, else to the document of
the passage nearest to it by dense similarity (an untrained signal, so the
assignment is deterministic and does not depend on the models). For each
document, the models are fitted on the questions of all other documents and
measured on that document's questions; the corpus searched is always the
whole corpus (every document, so a held-out document is searched next to its
siblings, the hard case for declining near-domain questions).

Everything inside a fold mirrors the deployed bot, which meets questions no
model was fitted on. The abstention model is fitted on abstention features
computed with *out-of-fold* ranking probabilities (for the questions of each
training document, a ranking model fitted without that document): features
from the in-sample ranking model are kinder than any new question will see, so
an abstention model fitted on them refuses new answerable questions. The
no-answer cut of each fold is chosen on the training documents only, from
their out-of-fold abstention probabilities (an inner leave-one-document-out),
as the highest cut that keeps false no-answers at or below `MAX_FALSE_NO_ANSWER`.
The same probabilities give the sure cut: the highest that hedges at most
`MAX_HEDGED` of the answerable questions (between the two cuts the bot gives the
closest entry and says it is not sure).

    >>> data = collect(retriever, items)                     # doctest: +SKIP
    >>> result = cross_validate(data)                        # doctest: +SKIP
    >>> print(cv_table(result))                              # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from faqbot.answer.pipeline import SEARCH_DEPTH, strip_pleasantries
from faqbot.answer.rules import RuleEngine
from faqbot.evaluate.evaluation import EvalItem, _key, passage_keys
from faqbot.search.fusion import FusionModel, LinearModel, fit_logistic, shift_to_threshold, shifted_probability
from faqbot.search.retrieve import ABSTENTION_FEATURES, RANKING_FEATURES, Candidates, Retrieval, Retriever

# The share of answerable training questions the chosen no-answer cut may decline.
MAX_FALSE_NO_ANSWER = 0.04
# The share of answerable training questions the sure cut may hedge ("I'm not sure ... closest entry").
MAX_HEDGED = 0.2
# Inverse L2 strength of both logistic models (scikit-learn's C).
RANKING_C = 1.0
ABSTENTION_C = 0.01
NEAR_DOMAIN_IDS = "near-domain-ids.txt"
# Kinds whose answers the numeric rules layer decides: their top-1 is reported apart.
RULE_KINDS = frozenset({"numeric", "arithmetic", "temporal", "check", "multi", "partial"})
# Date questions are judged against a fixed day, as `make eval` pins FAQBOT_TODAY.
_TODAY = dt.date(2026, 11, 28)


@dataclass
class Question:
    """One labelled question with its retrieval candidates (model-independent)."""

    item: EvalItem
    searched: str  # the question as the bot searches it (greetings and thanks stripped)
    candidates: Candidates
    expected_rows: set[int]
    fold: str  # the document (file name) it belongs to
    group: str  # the corpus folder the document stands in
    near_domain: bool = False  # out of domain, but in the corpus's own words (see `collect`)

    @property
    def answerable(self) -> bool:
        return bool(self.expected_rows)

    def labels(self) -> np.ndarray:
        return np.isin(self.candidates.rows, list(self.expected_rows)).astype(int)


@dataclass
class Outcome:
    """How one question went under a model: the top passage right; declined by the
    no-answer model (confidence below the threshold); declined end to end (the numeric
    rules layer first, as `FAQBot.ask` decides); hedged end to end (a retrieval answer
    below the sure cut: given as the closest entry, said to be uncertain)."""

    top1: bool
    declined: bool
    declined_end_to_end: bool
    confidence: float
    hedged: bool = False


@dataclass
class CrossValidation:
    """Per-question outcomes, cross-validated and in-sample, and the models fitted per fold."""

    questions: list[Question]
    held_out: list[Outcome]
    in_sample: list[Outcome]
    cuts: dict[str, float] = field(default_factory=dict)


def collect(
    retriever: Retriever, items: list[EvalItem], near_domain_ids: frozenset[str] = frozenset()
) -> list[Question]:
    """The candidates and features of every item whose documents are in the index
    (the others are skipped). Out-of-domain items are near-domain when they say so
    (`near_domain: true`) or their id is in `near_domain_ids`."""
    passages = retriever.index.passages
    key_to_row: dict[tuple[str, str], int] = {}
    for row, passage in enumerate(passages):
        for key in passage_keys(passage):
            key_to_row.setdefault(key, row)
    file_names = {_key(Path(p.source).name): Path(p.source).name for p in passages}
    questions = []
    for item in items:
        wanted = {(_key(e.doc), _key(e.question)) for e in item.expected}
        if any(key not in key_to_row for key in wanted):
            continue
        searched = strip_pleasantries(item.question)
        candidates = retriever.candidates(searched)
        if len(candidates.rows) == 0:
            continue
        expected = {key_to_row[key] for key in wanted}
        named = getattr(item, "fold", None)
        if expected:
            row = min(expected)
        elif named and _key(named) in file_names:
            row = next(i for i, p in enumerate(passages) if _key(Path(p.source).name) == _key(named))
        else:
            row = int(candidates.rows[np.argmax(candidates.column("dense_question_answer"))])
        source = passages[row].source
        near = bool(getattr(item, "near_domain", False)) or item.id in near_domain_ids
        questions.append(
            Question(
                item, searched, candidates, expected, Path(source).name, _group(source), not expected and bool(near)
            )
        )
    return questions


def read_near_domain_ids(folder: Path) -> frozenset[str]:
    """The ids listed in `folder/near-domain-ids.txt` (one a line, `#` comments), if any."""
    path = Path(folder) / NEAR_DOMAIN_IDS
    if not path.is_file():
        return frozenset()
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return frozenset(line for line in lines if line)


def _group(source: str) -> str:
    parts = Path(source).parts
    return parts[0] if len(parts) > 1 else "corpus"


def fit_ranking(questions: list[Question]) -> LinearModel:
    """Pointwise logistic regression over the candidates of answerable questions."""
    answerable = [q for q in questions if q.answerable]
    matrix = np.vstack([q.candidates.features for q in answerable])
    labels = np.concatenate([q.labels() for q in answerable])
    return fit_logistic(matrix, labels, RANKING_FEATURES, c=RANKING_C)


class Rankers:
    """Ranking models fitted on the questions of a set of documents, each set fitted
    once (nested leave-one-document-out asks for the same sets many times)."""

    def __init__(self, questions: list[Question]) -> None:
        self.questions = questions
        self._fitted: dict[frozenset[str], LinearModel] = {}

    def fitted_on(self, documents: frozenset[str]) -> LinearModel | None:
        """The model fitted on `documents`' questions (None if none is answerable)."""
        if documents not in self._fitted:
            chosen = [q for q in self.questions if q.fold in documents]
            if not any(q.answerable for q in chosen):
                return None
            self._fitted[documents] = fit_ranking(chosen)
        return self._fitted[documents]


def abstention_rows(retriever: Retriever, questions: list[Question], ranking: LinearModel) -> np.ndarray:
    """The abstention features of each question under `ranking`."""
    rows = []
    for q in questions:
        signals = retriever.abstention_signals(q.candidates, ranking.probability(q.candidates.features))
        rows.append([signals[name] for name in ABSTENTION_FEATURES])
    return np.array(rows).reshape(len(questions), len(ABSTENTION_FEATURES))


def out_of_fold_rows(retriever: Retriever, questions: list[Question], rankers: Rankers) -> np.ndarray:
    """The abstention features of each question with ranking probabilities from a model
    fitted without its document: what the ranking model gives a question it never saw."""
    documents = frozenset(q.fold for q in questions)
    matrix = np.zeros((len(questions), len(ABSTENTION_FEATURES)))
    for fold in sorted(documents):
        members = [i for i, q in enumerate(questions) if q.fold == fold]
        ranking = rankers.fitted_on(documents - {fold}) or rankers.fitted_on(documents)
        assert ranking is not None  # fit_models checked that some question is answerable
        matrix[members] = abstention_rows(retriever, [questions[i] for i in members], ranking)
    return matrix


def fit_models(
    retriever: Retriever, questions: list[Question], threshold: float, rankers: Rankers | None = None
) -> tuple[FusionModel, float]:
    """Fit both models on `questions`; the abstention bias is shifted so that
    `probability >= threshold` reproduces the chosen cut. Returns the model and the cut.
    `rankers` (the questions' own by default) spares refitting shared ranking models."""
    rankers = rankers or Rankers(questions)
    ranking = rankers.fitted_on(frozenset(q.fold for q in questions))
    if ranking is None:
        raise ValueError("no answerable question to fit the ranking model on")
    matrix = out_of_fold_rows(retriever, questions, rankers)
    labels = np.array([q.answerable for q in questions], dtype=int)
    abstention = fit_logistic(matrix, labels, ABSTENTION_FEATURES, c=ABSTENTION_C)
    # The cut is chosen on out-of-fold probabilities: in-sample ones are too kind.
    folds = np.array([q.fold for q in questions])
    out_of_fold = np.zeros(len(questions))
    for fold in sorted(set(folds)):
        test = folds == fold
        if labels[~test].min() == labels[~test].max():
            out_of_fold[test] = abstention.probability(matrix[test])
            continue
        inner = fit_logistic(matrix[~test], labels[~test], ABSTENTION_FEATURES, c=ABSTENTION_C)
        out_of_fold[test] = inner.probability(matrix[test])
    cut = choose_cut(out_of_fold, labels.astype(bool), MAX_FALSE_NO_ANSWER)
    sure = max(cut, choose_cut(out_of_fold, labels.astype(bool), MAX_HEDGED))
    model = FusionModel(
        ranking=ranking,
        abstention=shift_to_threshold(abstention, cut, threshold),
        sure_threshold=shifted_probability(sure, cut, threshold),
    )
    return model, cut


def choose_cut(probability: np.ndarray, answerable: np.ndarray, max_false: float = MAX_FALSE_NO_ANSWER) -> float:
    """The highest cut (decline below it) that declines at most `max_false` of the answerable."""
    scores = np.sort(probability[answerable])
    allowed = int(np.floor(max_false * len(scores)))
    cut = float(scores[allowed]) if len(scores) > allowed else 0.5
    return float(np.clip(cut - 1e-6, 1e-4, 1 - 1e-4))


def outcomes(retriever: Retriever, questions: list[Question], model: FusionModel, threshold: float) -> list[Outcome]:
    """What the bot does on each question under `model`: whether the top passage is right,
    whether the no-answer model declines (confidence below `threshold`), and whether the
    bot declines end to end, as `FAQBot.ask` decides: the numeric rules layer first (it may
    answer with a figure or refuse), then the no-answer model."""
    rules = RuleEngine(retriever, today=lambda: _TODAY)
    result = []
    for q in questions:
        hits, signals, confidence = retriever.rank(q.candidates, SEARCH_DEPTH, model)
        retrieval = Retrieval(
            q.item.question, q.candidates.searched, q.candidates.query_vector, hits, signals, confidence, {}
        )
        ruled = rules.answer(q.searched, retrieval)
        declined = confidence < threshold
        end_to_end = declined if ruled is None else ruled.kind == "no_answer"
        hedged = ruled is None and threshold <= confidence < model.sure_cut(threshold)
        result.append(Outcome(hits[0].passage_index in q.expected_rows, declined, end_to_end, confidence, hedged))
    return result


def cross_validate(retriever: Retriever, questions: list[Question], threshold: float) -> CrossValidation:
    """Leave-one-document-out outcomes, and the in-sample outcomes of the model fitted on all."""
    held_out: list[Outcome | None] = [None] * len(questions)
    cuts = {}
    rankers = Rankers(questions)
    for fold in sorted({q.fold for q in questions}):
        train = [q for q in questions if q.fold != fold]
        model, cuts[fold] = fit_models(retriever, train, threshold, rankers)
        test = [i for i, q in enumerate(questions) if q.fold == fold]
        for i, outcome in zip(test, outcomes(retriever, [questions[i] for i in test], model, threshold), strict=False):
            held_out[i] = outcome
    full, _ = fit_models(retriever, questions, threshold, rankers)
    return CrossValidation(
        questions, [o for o in held_out if o is not None], outcomes(retriever, questions, full, threshold), cuts
    )


# --------------------------------------------------------------------------- tables

COLUMNS = (
    "n",
    "top-1",
    "numeric top-1",
    "OOD declined",
    "near-domain declined",
    "false no-answer",
    "with rules: OOD declined",
    "with rules: false no-answer",
    "OOD answered as sure",
    "answerable hedged",
)


def metrics(questions: list[Question], results: list[Outcome]) -> dict[str, float | int | None]:
    """top-1 of answerable retrieval items (numeric apart), declined shares by the no-answer
    model alone and end to end with the numeric rules layer, the out-of-domain questions
    answered without a hedge, and the answerable ones hedged."""

    def share(selected: list[bool]) -> float | None:
        return round(sum(selected) / len(selected), 3) if selected else None

    pairs = list(zip(questions, results, strict=False))
    return {
        "n": len(pairs),
        "top-1": share([o.top1 for q, o in pairs if q.answerable and q.item.kind not in RULE_KINDS]),
        "numeric top-1": share([o.top1 for q, o in pairs if q.answerable and q.item.kind in RULE_KINDS]),
        "OOD declined": share([o.declined for q, o in pairs if not q.answerable]),
        "near-domain declined": share([o.declined for q, o in pairs if not q.answerable and _near(q)]),
        "false no-answer": share([o.declined for q, o in pairs if q.answerable]),
        "with rules: OOD declined": share([o.declined_end_to_end for q, o in pairs if not q.answerable]),
        "with rules: false no-answer": share([o.declined_end_to_end for q, o in pairs if q.answerable]),
        "OOD answered as sure": share([not (o.declined_end_to_end or o.hedged) for q, o in pairs if not q.answerable]),
        "answerable hedged": share([o.hedged for q, o in pairs if q.answerable]),
    }


def _near(question: Question) -> bool:
    return question.near_domain


def cv_table(result: CrossValidation) -> str:
    """Markdown: per group and overall, cross-validated with the in-sample figure beside."""
    by_group: dict[str, list[int]] = defaultdict(list)
    by_doc: dict[str, list[int]] = defaultdict(list)
    for i, q in enumerate(result.questions):
        by_group[q.group].append(i)
        by_doc[f"{q.group}/{q.fold}"].append(i)
    lines = [
        "| set | " + " | ".join(COLUMNS) + " |",
        "|---|" + "---|" * len(COLUMNS),
    ]

    def row(name: str, indexes: list[int]) -> str:
        questions = [result.questions[i] for i in indexes]
        cv = metrics(questions, [result.held_out[i] for i in indexes])
        fitted = metrics(questions, [result.in_sample[i] for i in indexes])
        cells = [str(cv["n"])] + [f"{_fmt(cv[c])} ({_fmt(fitted[c])})" for c in COLUMNS[1:]]
        return f"| {name} | " + " | ".join(cells) + " |"

    for group in sorted(by_group):
        lines.append(row(f"**{group}**", by_group[group]))
    lines.append(row("**all**", list(range(len(result.questions)))))
    lines.append("")
    lines.append("| document | " + " | ".join(COLUMNS) + " |")
    lines.append("|---|" + "---|" * len(COLUMNS))
    for doc in sorted(by_doc):
        lines.append(row(doc, by_doc[doc]))
    return "\n".join(lines)


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}" if isinstance(value, float) else str(value)


# --------------------------------------------------------------------------- the corpus of all groups


def assemble_corpus(groups: dict[str, Path], target: Path) -> Path:
    """Copy each group's corpus folder into `target/<group>/` (replacing what was there),
    so one index holds every document and each document's group is its first folder."""
    import shutil

    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for name, folder in groups.items():
        if not Path(folder).is_dir():
            raise FileNotFoundError(f"corpus folder {str(folder)!r} of group {name!r} does not exist")
        shutil.copytree(folder, target / name, ignore=shutil.ignore_patterns(".*", "__pycache__"))
    return target
