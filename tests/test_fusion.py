"""The learned fusion and abstention models: the shipped weights load and fit the
features, bad files fail clearly, and leave-one-document-out folds are what they say."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from faqbot.evaluate.crossval import (
    Rankers,
    choose_cut,
    collect,
    cross_validate,
    fit_models,
    metrics,
    read_near_domain_ids,
)
from faqbot.evaluate.evaluation import EvalItem
from faqbot.search.fusion import (
    DEFAULT_MODEL_PATH,
    FusionModel,
    FusionModelError,
    LinearModel,
    shift_to_threshold,
    shifted_probability,
)
from faqbot.search.index import build_index, load_index
from faqbot.search.retrieve import ABSTENTION_FEATURES, RANKING_FEATURES, Retriever


def test_the_shipped_model_loads_and_fits_the_features():
    model = FusionModel.load()
    assert model.ranking.features == RANKING_FEATURES
    assert model.abstention.features == ABSTENTION_FEATURES
    # It says how it was fitted, and the cross-validated figures are recorded beside it.
    assert model.meta["how"] and model.meta["cross_validated"]["n"] > 200
    probability = model.ranking.probability(np.zeros((3, len(RANKING_FEATURES))))
    assert probability.shape == (3,) and np.all((probability > 0) & (probability < 1))


def test_the_abstention_model_reads_no_corpus_relative_or_lexical_signal():
    # Chosen leave-one-document-out (issue 13): these mean the same on any corpus and
    # any wording; a scale set by the corpus's other documents or word overlap does not.
    assert set(ABSTENTION_FEATURES) == {"top_probability", "margin", "top_similarity", "dense_agrees"}
    weights = dict(zip(ABSTENTION_FEATURES, FusionModel.load().abstention.weights, strict=True))
    assert all(weight > 0 for weight in weights.values())  # more evidence, more confidence


def test_an_untrained_model_fits_the_features_and_says_one_half():
    model = FusionModel.untrained()
    assert model.ranking.features == RANKING_FEATURES and model.abstention.features == ABSTENTION_FEATURES
    assert model.abstention.probability(np.ones((1, len(ABSTENTION_FEATURES))))[0] == pytest.approx(0.5)


def test_the_ranking_model_prefers_a_closer_passage():
    model = FusionModel.load().ranking
    row = np.zeros(len(RANKING_FEATURES))
    closer = row.copy()
    for name in ("dense_question_answer", "dense_question", "bm25_all", "coverage"):
        closer[RANKING_FEATURES.index(name)] = 1.0
    assert model.logit(closer[None, :])[0] > model.logit(row[None, :])[0]


def _write(tmp_path, data) -> str:
    path = tmp_path / "fusion.json"
    path.write_text(json.dumps(data))
    return str(path)


def test_a_weights_file_missing_a_feature_is_refused(tmp_path):
    data = json.loads(DEFAULT_MODEL_PATH.read_text())
    del data["ranking"]["weights"]["coverage"]
    with pytest.raises(FusionModelError, match="missing \\['coverage'\\]"):
        FusionModel.load(_write(tmp_path, data))


@pytest.mark.parametrize(
    "content", ["not json", "[]", '{"ranking": {}, "abstention": {}}', '{"ranking": 1, "abstention": 2}']
)
def test_malformed_weights_files_are_refused(tmp_path, content):
    path = tmp_path / "fusion.json"
    path.write_text(content)
    with pytest.raises(FusionModelError):
        FusionModel.load(path)


def test_a_missing_weights_file_is_refused(tmp_path):
    with pytest.raises(FusionModelError, match="cannot read"):
        FusionModel.load(tmp_path / "absent.json")


def test_a_model_round_trips_through_json(tmp_path):
    model = FusionModel.load()
    model.save(tmp_path / "copy.json")
    again = FusionModel.load(tmp_path / "copy.json")
    assert np.allclose(again.ranking.weights, model.ranking.weights, atol=1e-6)
    assert again.abstention.bias == pytest.approx(model.abstention.bias, abs=1e-6)
    assert again.sure_threshold == pytest.approx(model.sure_threshold, abs=1e-6)


def test_the_shipped_sure_threshold_lies_above_the_no_answer_threshold():
    # Between the two the bot gives the closest entry and says it is not sure.
    from faqbot.core.config import Settings

    sure = FusionModel.load().sure_threshold
    assert sure is not None and Settings().no_answer_threshold < sure < 1.0


def test_a_weights_file_without_a_sure_threshold_hedges_nothing(tmp_path):
    data = json.loads(DEFAULT_MODEL_PATH.read_text())
    data.pop("sure_threshold", None)
    path = _write(tmp_path, data)
    assert FusionModel.load(path).sure_threshold is None
    assert FusionModel.load(path).sure_cut(0.35) == 0.35  # hedging off: sure from the no-answer threshold
    assert FusionModel.load().sure_cut(0.35) == FusionModel.load().sure_threshold


@pytest.mark.parametrize("sure", [0, 1.5, "high", -0.2])
def test_a_sure_threshold_outside_0_1_is_refused(tmp_path, sure):
    data = json.loads(DEFAULT_MODEL_PATH.read_text())
    data["sure_threshold"] = sure
    with pytest.raises(FusionModelError, match="sure_threshold"):
        FusionModel.load(_write(tmp_path, data))


def test_a_shifted_probability_lands_where_the_shifted_model_puts_it():
    model = LinearModel(("x",), np.array([2.0]), -1.0)
    shifted = shift_to_threshold(model, cut=0.2, threshold=0.35)
    x = np.array([[0.9]])
    before = float(model.probability(x)[0])
    assert shifted_probability(before, cut=0.2, threshold=0.35) == pytest.approx(float(shifted.probability(x)[0]))


def test_shifting_moves_the_cut_to_the_threshold():
    model = LinearModel(("x",), np.array([2.0]), -1.0)
    shifted = shift_to_threshold(model, cut=0.2, threshold=0.35)
    x = (math.log(0.2 / 0.8) + 1.0) / 2.0  # where the original model says 0.2
    assert model.probability(np.array([[x]]))[0] == pytest.approx(0.2)
    assert shifted.probability(np.array([[x]]))[0] == pytest.approx(0.35)


def test_the_cut_keeps_false_no_answers_within_the_target():
    probability = np.array([0.05, 0.1, 0.2, 0.6, 0.7, 0.8, 0.9, 0.95] + [0.99] * 92)
    answerable = np.array([False, False, False] + [True] * 97)
    cut = choose_cut(probability, answerable, max_false=0.03)
    declined = probability < cut
    assert declined[~answerable].all()
    assert declined[answerable].mean() <= 0.03


def test_near_domain_ids_are_read_with_comments(tmp_path):
    (tmp_path / "near-domain-ids.txt").write_text("# comment\nq1\n\n q2  # why\n")
    assert read_near_domain_ids(tmp_path) == {"q1", "q2"}
    assert read_near_domain_ids(tmp_path / "nowhere") == frozenset()


FAQ = """# {product} FAQ

## Basics

### How do I install {product}?

Download the {product} installer and run it; {product} needs {need}.

### How do I uninstall {product}?

Remove {product} from the control panel; your {data} stays on disk.

### Does {product} work offline?

Yes, {product} keeps working offline and syncs {data} later.
"""


def test_leave_one_document_out_folds(tmp_path, fake_embedder):
    """Each question is judged by models fitted without its document."""
    pytest.importorskip("sklearn")
    from faqbot.core.config import Settings

    corpus = tmp_path / "corpus"
    products = {
        "alpha": ("Alpha", "a licence key", "notes"),
        "beta": ("Beta", "a webcam", "recordings"),
        "gamma": ("Gamma", "a printer", "invoices"),
    }
    for stem, (product, need, data) in products.items():
        (corpus / stem).mkdir(parents=True)
        (corpus / stem / f"{stem}.md").write_text(FAQ.format(product=product, need=need, data=data))
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    build_index(settings, fake_embedder)
    retriever = Retriever(load_index(settings.index_dir), fake_embedder)
    items = []
    for stem, (product, _, _) in products.items():
        for question, asked in (
            ("How do I install {p}?", "Installing {p}: what do I do?"),
            ("How do I uninstall {p}?", "remove {p} from my computer"),
            ("Does {p} work offline?", "{p} without internet"),
        ):
            items.append(
                EvalItem(
                    id=f"{stem}-{len(items)}",
                    question=asked.format(p=product),
                    kind="paraphrase",
                    expected=[{"doc": f"{stem}.md", "question": question.format(p=product)}],
                )
            )
        items.append(
            EvalItem(
                id=f"{stem}-ood",
                question=f"What colour is the {product} logo?",
                kind="ood",
                fold=f"{stem}.md",
                near_domain=True,
            )
        )
    items.append(EvalItem(id="far", question="banana bread recipe", kind="ood"))
    questions = collect(retriever, items)
    assert len(questions) == len(items)
    assert {q.group for q in questions} == set(products)
    assert {q.fold for q in questions if q.item.id.endswith("-ood")} == {f"{s}.md" for s in products}
    assert sum(q.near_domain for q in questions) == 3
    result = cross_validate(retriever, questions, threshold=0.35)
    assert len(result.held_out) == len(questions) and set(result.cuts) == {f"{s}.md" for s in products}
    # The abstention model learns from ranking probabilities of questions the ranking model
    # never saw: for each training document, a ranking model fitted without it.
    rankers = Rankers(questions)
    train = [q for q in questions if q.fold != "alpha.md"]
    model, _ = fit_models(retriever, train, 0.35, rankers)
    assert model.sure_threshold is not None and model.sure_threshold >= 0.35  # hedging starts above declining
    assert set(rankers._fitted) == {frozenset({"beta.md", "gamma.md"}), frozenset({"beta.md"}), frozenset({"gamma.md"})}
    table = metrics(result.questions, result.held_out)
    assert table["n"] == len(items) and 0.0 <= table["top-1"] <= 1.0
    # An answer is declined, hedged or given as sure, never two of them.
    assert not any(o.hedged and o.declined_end_to_end for o in result.held_out)
    ood = [o for q, o in zip(result.questions, result.held_out, strict=True) if not q.answerable]
    assert table["OOD answered as sure"] == pytest.approx(
        sum(not (o.declined_end_to_end or o.hedged) for o in ood) / len(ood), abs=1e-3
    )
