"""Retrieval with the deterministic fake embedder: ranking mechanics, not model quality."""

from __future__ import annotations

import numpy as np
import pytest

from faqbot.search.index import build_index, load_index
from faqbot.search.retrieve import ABSTENTION_FEATURES, RANKING_FEATURES, SIGNALS, Retriever


@pytest.fixture
def retriever(settings, fake_embedder) -> Retriever:
    build_index(settings, fake_embedder)
    return Retriever(load_index(settings.index_dir), fake_embedder)


TOPICS_FAQ = """# Garden FAQ

## Watering

### How often should I water tomatoes?

Water tomatoes deeply twice a week, more often in a heat wave.

### Can I use rainwater for seedlings?

Rainwater is fine for seedlings if the barrel is clean.

## Pests

### How do I keep slugs away from lettuce?

Copper tape and beer traps keep slugs away from lettuce beds.

### Are ladybirds good for roses?

Ladybirds eat aphids, so they are good for roses.
"""


def test_a_question_asked_verbatim_ranks_its_passage_first(tmp_path, fake_embedder):
    from faqbot.core.config import Settings

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "garden.md").write_text(TOPICS_FAQ)
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    build_index(settings, fake_embedder)
    retriever = Retriever(load_index(settings.index_dir), fake_embedder)
    questions = [p for p in retriever.index.passages if p.question]
    assert len(questions) == 4
    for passage in questions:
        assert retriever.search(passage.question).hits[0].passage == passage


def test_hits_are_sorted_and_carry_their_evidence(retriever):
    result = retriever.search("How do customers purchase more capacity?", k=5)
    scores = [hit.score for hit in result.hits]
    assert scores == sorted(scores, reverse=True)
    assert len(result.hits) == 5
    top = result.hits[0]
    assert top.lexical > 0 and -1.0 <= top.dense <= 1.0
    assert set(top.views) == {"question_answer", "question", "sentence", "heading"}
    assert 0.0 <= top.score <= 1.0
    assert result.timings_ms["encode"] >= 0 and result.timings_ms["search"] >= 0


def test_spelling_is_corrected_against_the_corpus_vocabulary(retriever):
    assert retriever.correct_spelling("capcity reduction rules") == "capacity reduction rules"
    # Another form of a known word is left alone; so are words far from any known word.
    assert retriever.correct_spelling("Cloud Solution Provider") == "Cloud Solution Provider"
    assert retriever.correct_spelling("sourdough bread") == "sourdough bread"


def test_spelling_fixes_a_wrong_first_letter(retriever):
    assert retriever.correct_spelling("bapacity reduction") == "capacity reduction"


def test_spelled_out_phrases_are_searched_by_the_corpus_acronym(retriever):
    assert retriever.acronyms("Can I buy through a Cloud Solution Provider?") == {"Cloud Solution Provider": "CSP"}
    assert retriever.acronyms("Can I buy through CSP?") == {}
    result = retriever.search("Can I buy through a Cloud Solution Provider?")
    assert result.searched.endswith("(CSP)")


def test_out_of_domain_questions_get_lower_confidence(retriever):
    inside = retriever.search("How do you define People Unified?")
    outside = retriever.search("How do I bake sourdough bread?")
    assert inside.signals["unknown_terms"] == 0.0
    assert outside.signals["unknown_terms"] > 0.5
    assert inside.confidence > outside.confidence


def test_signals_hold_the_abstention_features_and_confidence_is_a_probability(retriever):
    result = retriever.search("How do customers purchase more capacity?")
    assert set(result.signals) == set(SIGNALS) and set(ABSTENTION_FEATURES) <= set(SIGNALS)
    # No corpus-relative scale: the top similarity is the raw cosine of the top hit.
    assert result.signals["top_similarity"] == pytest.approx(result.hits[0].dense)
    assert 0.0 < result.confidence < 1.0
    candidates = retriever.candidates("How do customers purchase more capacity?")
    assert candidates.features.shape == (len(candidates.rows), len(RANKING_FEATURES))
    assert np.all(np.isfinite(candidates.features))


def test_an_empty_index_returns_no_hits(tmp_path, fake_embedder):
    from faqbot.core.config import Settings

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "faq.md").write_text("# Empty FAQ\n")
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    build_index(settings, fake_embedder)
    result = Retriever(load_index(settings.index_dir), fake_embedder).search("anything at all")
    assert result.hits == [] and result.confidence < 0.01


SIBLING_TEMPLATE = """# {product} FAQ

## Overview

### What is {product}?

It is a {what}.

### What can {product} do?

It can {does}.
"""
SIBLINGS = {
    "lumen": ("Lumen", "lighting controller for greenhouses", "dim grow lights on a schedule"),
    "tessel": ("Tessel", "tiling engine for map servers", "cut satellite images into map tiles"),
    "corvid": ("Corvid", "bird-song recorder for field biologists", "record and label bird calls at dawn"),
}


def test_near_identical_sibling_documents_are_told_apart_by_their_title(tmp_path, fake_embedder):
    """In a family of documents that all ask "What is X? What can X do?" (answers that do not
    name X), the question naming X finds X's document, not a sibling's. (The fake embedder
    cannot tell "what is" from "what can ... do": tests/test_integration.py checks the
    question too, with the real model.)"""
    from faqbot.core.config import Settings

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for stem, (product, what, does) in SIBLINGS.items():
        (corpus / f"{stem}-faq.md").write_text(SIBLING_TEMPLATE.format(product=product, what=what, does=does))
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    build_index(settings, fake_embedder)
    retriever = Retriever(load_index(settings.index_dir), fake_embedder)
    for stem, (product, _, _) in SIBLINGS.items():
        for question in (f"What is {product}?", f"What can {product} do?"):
            top = retriever.search(question).hits[0].passage
            assert top.source == f"{stem}-faq.md", question


def test_query_vectors_are_cached_and_a_zero_cache_is_off(retriever, fake_embedder, monkeypatch):
    calls = []
    original = fake_embedder.encode

    def counting(texts):
        calls.append(list(texts))
        return original(texts)

    monkeypatch.setattr(fake_embedder, "encode", counting)
    retriever.candidates("How is capacity measured?")
    retriever.candidates("How is capacity measured?")
    assert len(calls) == 1
    uncached = Retriever(retriever.index, fake_embedder, cache_size=0)
    calls.clear()
    uncached.candidates("How is capacity measured?")
    uncached.candidates("How is capacity measured?")
    assert len(calls) == 2
