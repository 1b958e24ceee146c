"""Evaluation reports (HTML, Markdown, JSON, plots), baseline comparison and CI exit codes,
the unanswered-questions report from the log, and the admin page. Fake embedder throughout."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from faqbot import FAQBot
from faqbot.core.config import Settings
from faqbot.core.records import Answer, Citation
from faqbot.doors import cli
from faqbot.doors.report import (
    EmbeddingSimilarity,
    LexicalSimilarity,
    ReportError,
    collect_unanswered,
    group_unanswered,
    load_similarity,
    write_export,
)
from faqbot.evaluate.evaluation import (
    OUT_OF_DOMAIN,
    TABLE_COLUMNS,
    EvalFileError,
    ItemResult,
    Report,
    compare,
    confusions,
    evaluate,
    load_baseline,
    read_eval_file,
    recall_at_k,
    summarize,
    threshold_sweep,
)
from faqbot.evaluate.evaluation import _dash as shown
from faqbot.store import Store

from .conftest import DEV_SET, SHIPPED_CORPUS
from .fakes import HashingEmbedder
from .fakes import item_result as result

PLOT_NAMES = ("confidence_histogram", "threshold_sweep", "recall_at_k")
NASTY = '<script>alert("x")</script> & <b>bold</b> pricing?'


# --------------------------------------------------------------------------- helpers


class _Cells(HTMLParser):
    """Text of the elements that carry a given data- attribute, by its value."""

    def __init__(self, attribute: str) -> None:
        super().__init__()
        self.attribute = attribute
        self.cells: dict[str, str] = {}
        self._open: str | None = None

    def handle_starttag(self, tag, attrs):
        key = dict(attrs).get(self.attribute)
        if key is not None:
            self._open = key
            self.cells[key] = ""

    def handle_endtag(self, tag):
        self._open = None

    def handle_data(self, data):
        if self._open is not None:
            self.cells[self._open] += data


def cells(html: str, attribute: str) -> dict[str, str]:
    parser = _Cells(attribute)
    parser.feed(html)
    return {key: " ".join(value.split()) for key, value in parser.cells.items()}


@pytest.fixture(autouse=True)
def fake_model(monkeypatch):
    """Commands get the fake embedder instead of loading the real model."""
    monkeypatch.setattr("faqbot.search.embed.load_embedder", lambda model=None, **options: HashingEmbedder())


@pytest.fixture(scope="module")
def corpus_and_index(tmp_path_factory) -> tuple[Path, Path]:
    """The shipped corpus and an index built once for the module (fake embedder)."""
    root = tmp_path_factory.mktemp("report")
    shutil.copytree(SHIPPED_CORPUS, root / "corpus")
    settings = Settings(corpus_dir=root / "corpus", index_dir=root / "index", model="fake-hashing-embedder")
    FAQBot.load(settings=settings, embedder=HashingEmbedder())
    return root / "corpus", root / "index"


@pytest.fixture(scope="module")
def eval_file(tmp_path_factory) -> Path:
    """The dev set, plus a question full of markup that fails (so the report shows it)."""
    path = tmp_path_factory.mktemp("eval") / "questions.jsonl"
    expected = [{"doc": "ci-faq.md", "question": "How do you define People Unified?"}]
    extra = {"id": "nasty", "question": NASTY, "expected": expected, "kind": "paraphrase"}
    path.write_text(
        DEV_SET.read_text(encoding="utf-8").rstrip("\n") + "\n" + json.dumps(extra) + "\n", encoding="utf-8"
    )
    return path


@pytest.fixture(scope="module")
def report_dir(corpus_and_index, eval_file, tmp_path_factory) -> Path:
    """`faqbot eval FILE --report DIR` on the dev set, once for the module."""
    corpus, index = corpus_and_index
    folder = tmp_path_factory.mktemp("out") / "dev"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("faqbot.search.embed.load_embedder", lambda model=None, **options: HashingEmbedder())
        code = cli.main(
            ["eval", str(eval_file), "--report", str(folder), "--corpus", str(corpus), "--index", str(index)]
        )
    assert code == 0
    return folder


@pytest.fixture
def paths(corpus_and_index) -> list[str]:
    corpus, index = corpus_and_index
    return ["--corpus", str(corpus), "--index", str(index)]


# --------------------------------------------------------------------------- the report folder


def test_the_report_folder_holds_html_markdown_json_and_plots(report_dir: Path):
    for name in ("report.html", "report.md", "metrics.json"):
        assert (report_dir / name).stat().st_size > 0, name
    for name in PLOT_NAMES:
        png = (report_dir / f"{name}.png").read_bytes()
        assert png.startswith(b"\x89PNG\r\n\x1a\n"), name
        root = ET.parse(report_dir / f"{name}.svg").getroot()
        assert root.tag.endswith("svg"), name


def test_metrics_json_keeps_its_structure_and_adds_the_analyses(report_dir: Path):
    data = json.loads((report_dir / "metrics.json").read_text())
    assert {"metrics", "per_kind", "skipped", "items"} <= set(data)
    metrics = data["metrics"]
    items = [ItemResult(**item) for item in data["items"]]
    assert metrics == summarize(items)
    assert metrics["items"] == len(items) == 57 and data["skipped"]  # the extra documents are not in this corpus
    assert data["recall_at_k"]["1"] == metrics["top1"] and data["recall_at_k"]["3"] == metrics["recall@3"]
    assert list(data["recall_at_k"]) == [str(k) for k in range(1, 11)]
    meta = data["meta"]
    assert meta["model"] == "fake-hashing-embedder" and meta["eval_file"].endswith("questions.jsonl")
    assert meta["corpus"].endswith("corpus") and meta["documents"] == ["ci-faq.md"] and meta["date"]
    sweep = data["threshold_sweep"]
    # Re-deciding at the threshold the bot ran with gives back the bot's own score.
    assert sweep["current_threshold"] == meta["no_answer_threshold"] == 0.35
    assert sweep["current_score"] == metrics["score"]
    assert sweep["best_score"] >= sweep["current_score"]
    assert sweep["best_low"] <= sweep["best_threshold"] <= sweep["best_high"]
    assert len(sweep["points"]) == 101
    assert all(
        abs(sum(p[k] for k in ("answered_correct", "answered_wrong", "abstained_correct", "abstained_wrong")) - 1)
        < 1e-3
        for p in sweep["points"]
    )


def test_the_html_shows_the_numbers_of_metrics_json(report_dir: Path):
    data = json.loads((report_dir / "metrics.json").read_text())
    html = (report_dir / "report.html").read_text()
    shown_metrics = cells(html, "data-metric")
    for kind, metrics in [*data["per_kind"].items(), ("all", data["metrics"])]:
        for key, value in metrics.items():
            if f"{kind}.{key}" in shown_metrics:
                assert shown_metrics[f"{kind}.{key}"] == shown(value), (kind, key)
    assert shown_metrics["all.score"] == shown(data["metrics"]["score"])
    assert shown_metrics["all.top1"] == shown(data["metrics"]["top1"])
    assert len(shown_metrics) == (len(data["per_kind"]) + 1) * len(TABLE_COLUMNS)
    cards = cells(html, "data-card")
    assert cards["score"] == shown(data["metrics"]["score"]) and cards["items"] == "57"
    recall = cells(html, "data-recall")
    assert recall == {k: shown(v) for k, v in data["recall_at_k"].items()}
    sweep = data["threshold_sweep"]
    sentence = cells(html, "data-sweep")["sentence"]
    assert f"{sweep['best_low']:g} to {sweep['best_high']:g}" in sentence and shown(sweep["best_score"]) in sentence
    failures = cells(html, "data-failure")
    assert set(failures) == {item["id"] for item in data["items"] if not item["correct"]}
    meta = data["meta"]
    for text in (meta["model"], meta["eval_file"], meta["corpus"], meta["date"], "ci-faq.md"):
        assert text in html


def test_the_html_is_self_contained_and_escapes_question_text(report_dir: Path):
    html = (report_dir / "report.html").read_text()
    assert "<style>" in html and "<script" not in html.replace("&lt;script", "")
    assert not re.search(r"""<link[^>]+stylesheet|(?:src|href)=["']https?:""", html)
    for source in re.findall(r'<img src="([^"]+)"', html):
        assert (report_dir / source).is_file(), source
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html
    assert "<b>bold</b>" not in html


def test_the_markdown_shows_the_numbers_of_metrics_json(report_dir: Path):
    data = json.loads((report_dir / "metrics.json").read_text())
    markdown = (report_dir / "report.md").read_text()
    assert markdown.startswith("# Evaluation")
    lines = markdown.splitlines()
    header = next(line for line in lines if line.startswith("| kind |"))
    labels = [cell.strip() for cell in header.strip("|").split("|")][1:]
    keys = {label: key for key, label in TABLE_COLUMNS}
    for kind, metrics in [*data["per_kind"].items(), ("**all**", data["metrics"])]:
        row = next(line for line in lines if line.startswith(f"| {kind} |"))
        values = [cell.strip() for cell in row.strip("|").split("|")][1:]
        assert values == [shown(metrics[keys[label]]) for label in labels], kind
    for name in ("confidence_histogram", "threshold_sweep", "recall_at_k"):
        assert f"]({name}.png)" in markdown
    for item in data["items"]:
        if not item["correct"]:
            assert f"| {item['id']} |" in markdown
    assert data["meta"]["model"] in markdown and "questions.jsonl" in markdown


# --------------------------------------------------------------------------- sweep, recall@k, confusions


def hand_made_items() -> list[ItemResult]:
    """Six threshold-decided items and one rule answer; worked out by hand below."""
    return [
        result(id="a", confidence=0.9, top_answer_correct=True),
        result(id="b", confidence=0.8, top_answer_correct=True),
        result(id="c", confidence=0.6, top_answer_correct=False, correct=False, top1=False, rank=2),
        result(id="d", answerable=False, expected=[], confidence=0.5, correct=False, top_answer_correct=False),
        result(id="e", answerable=False, expected=[], confidence=0.3, got_kind="no_answer", top_answer_correct=False),
        result(id="f", confidence=0.4, top_answer_correct=True),
        result(id="g", got_kind="rule", rule="money_lookup", confidence=0.1),
    ]


def test_the_threshold_sweep_finds_the_best_threshold_on_hand_made_items():
    # Right answers at threshold t (answered when confidence >= t), g always right:
    #   t <= 0.3: a b f g           4/7   (d and e answered, wrong)
    #   0.3 < t <= 0.4: a b e f g   5/7
    #   0.4 < t <= 0.5: a b e g     4/7   (f abstains: wrong)
    #   0.5 < t <= 0.8: a b d e g   5/7   (c is wrong answered or not)
    #   0.8 < t <= 0.9: a d e g     4/7;  t > 0.9: d e g  3/7
    # Two runs score 5/7; the wider one, (0.5, 0.8], wins and its middle is 0.65.
    sweep = threshold_sweep(hand_made_items(), current=0.35)
    assert sweep.best is not None and sweep.current is not None
    assert sweep.best_low == 0.501 and sweep.best_high == 0.8
    assert sweep.best_threshold == 0.65 and sweep.best.score == round(5 / 7, 4)
    assert sweep.best_runs == [(0.301, 0.4), (0.501, 0.8)]
    assert sweep.current.score == round(5 / 7, 4)
    by_threshold = {p.threshold: p for p in sweep.points}
    assert by_threshold[0.0].score == round(4 / 7, 4) and by_threshold[0.0].answered_wrong == round(3 / 7, 4)
    assert by_threshold[0.45].score == round(4 / 7, 4) and by_threshold[0.45].abstained_wrong == round(1 / 7, 4)
    # At 1.0 everything threshold-decided abstains, but the rule answer is still given.
    assert by_threshold[1.0].answered_correct == round(1 / 7, 4) and by_threshold[1.0].score == round(3 / 7, 4)
    assert sweep.rule_items == 1


def test_sweep_ties_go_to_the_run_nearest_the_current_threshold():
    items = [
        result(id="hi", confidence=0.8, top_answer_correct=True),
        result(id="ood1", answerable=False, expected=[], confidence=0.2, top_answer_correct=False),
        result(id="ood2", answerable=False, expected=[], confidence=0.5, top_answer_correct=False),
        result(id="mid", confidence=0.3, top_answer_correct=True),
    ]
    # 3/4 on (0.2, 0.3] (ood1 abstains) and on (0.5, 0.8] (both abstain, mid does too): the wider wins.
    assert threshold_sweep(items).best_threshold == 0.65
    # With one more right answer at 0.6, 4/5 on (0.2, 0.3] and on (0.5, 0.6]: equally wide, the nearer wins.
    items.append(result(id="low", confidence=0.6, top_answer_correct=True))
    assert threshold_sweep(items, current=0.9).best_low == 0.501
    assert threshold_sweep(items, current=0.1).best_low == 0.201
    assert threshold_sweep(items).best_low == 0.201
    empty = threshold_sweep([])
    assert empty.best is None and empty.points == []


def test_recall_at_k_counts_ranks_of_answerable_items():
    items = [
        result(rank=1),
        result(rank=3),
        result(rank=None),
        result(rank=10),
        result(answerable=False, expected=[], rank=None),
    ]
    recall = recall_at_k(items)
    assert recall[1] == 0.25 and recall[2] == 0.25 and recall[3] == 0.5 and recall[9] == 0.5 and recall[10] == 0.75
    assert recall_at_k([result(answerable=False, expected=[])])[1] is None


def test_confusions_count_which_question_won_instead():
    items = [
        result(id="1", expected=["Price?"], rank=2, top1=False, top_question="Capacity?"),
        result(id="2", expected=["Price?"], rank=None, top1=False, top_question="Capacity?", got_kind="no_answer"),
        result(id="3", expected=["Trial?"], rank=3, top1=False, top_question="Price?"),
        result(id="4", expected=["Trial?"], rank=1, top_question="Trial?"),
        result(id="5", answerable=False, expected=[], cited_question="Price?", correct=False),
        result(id="6", answerable=False, expected=[], got_kind="no_answer", top_question="Price?"),
    ]
    rows = confusions(items)
    assert [(r.expected, r.won, r.count, r.answered, r.ids) for r in rows] == [
        ("Price?", "Capacity?", 2, 1, ["1", "2"]),
        ("Trial?", "Price?", 1, 1, ["3"]),
        (OUT_OF_DOMAIN, "Price?", 1, 1, ["5"]),
    ]


# --------------------------------------------------------------------------- comparison with a baseline


def test_compare_sorts_items_into_fixed_broken_kind_new_and_gone():
    items = [
        result(id="fixed"),
        result(id="broken", correct=False),
        result(id="kind", got_kind="rule"),
        result(id="same"),
        result(id="new"),
    ]
    report = Report(metrics=summarize(items), per_kind={}, items=items)
    baseline = {
        "metrics": {**report.metrics, "score": 0.5},
        "items": [
            {"id": "fixed", "correct": False, "got_kind": "no_answer", "question": "q"},
            {"id": "broken", "correct": True, "got_kind": "retrieval", "question": "q"},
            {"id": "kind", "correct": True, "got_kind": "retrieval", "question": "q"},
            {"id": "same", "correct": True, "got_kind": "retrieval", "question": "q"},
            {"id": "gone", "correct": True, "got_kind": "retrieval", "question": "old"},
        ],
    }
    comparison = compare(report, baseline, margin=0.02, name="old/metrics.json")
    assert [(c.id, c.change) for c in comparison.changes] == [
        ("broken", "broken"),
        ("fixed", "fixed"),
        ("kind", "kind"),
        ("new", "new"),
        ("gone", "gone"),
    ]
    assert comparison.score.delta == round(report.metrics["score"] - 0.5, 4) and not comparison.regression
    assert "1 item went from correct to wrong: broken" in comparison.verdict()
    with pytest.raises(ValueError, match="margin"):
        compare(report, baseline, margin=-1)


def _baseline(report_dir: Path, tmp_path: Path, name: str, *, score_shift: float, flip: str | None = None) -> Path:
    """A copy of the module's metrics.json with the score moved and one item's verdict flipped."""
    data = json.loads((report_dir / "metrics.json").read_text())
    data["metrics"]["score"] = round(data["metrics"]["score"] + score_shift, 4)
    if flip is not None:
        item = next(item for item in data["items"] if item["correct"] == (flip == "was-wrong"))
        item["correct"] = not item["correct"]
    path = tmp_path / name / "metrics.json"
    path.parent.mkdir()
    path.write_text(json.dumps(data))
    return path


def test_baseline_comparison_and_its_exit_codes(report_dir, eval_file, paths, tmp_path, capsys):
    def run(*extra: str) -> int:
        return cli.main(["eval", str(eval_file), *paths, *extra])

    # Improvement: the baseline scored lower and had one item wrong that is right now.
    better = _baseline(report_dir, tmp_path, "better", score_shift=-0.05, flip="was-wrong")
    out_dir = tmp_path / "with-baseline"
    assert run("--baseline", str(better), "--report", str(out_dir)) == 0
    out = capsys.readouterr().out
    assert "OK: score" in out and "fixed" in out
    html = (out_dir / "report.html").read_text()
    assert "fixed" in cells(html, "data-change")
    assert cells(html, "data-delta")["score"] == "+0.05"
    assert json.loads((out_dir / "metrics.json").read_text())["comparison"]["regression"] is False

    # A regression beyond the margin (and an item that went from correct to wrong): exit 4.
    worse = _baseline(report_dir, tmp_path, "worse", score_shift=+0.05, flip="was-right")
    assert run("--baseline", str(worse)) == cli.EXIT_REGRESSION == 4
    err = capsys.readouterr().err
    assert "REGRESSION: score" in err and "more than the margin 0.02" in err
    assert "1 item went from correct to wrong" in err

    # Within the margin: exit 0, and the broken item is still named.
    slightly = _baseline(report_dir, tmp_path, "slightly", score_shift=+0.01, flip="was-right")
    assert run("--baseline", str(slightly)) == 0
    assert "within the margin 0.02); 1 item went from correct to wrong: " in capsys.readouterr().out
    # ... unless the margin is tighter.
    assert run("--baseline", str(slightly), "--margin", "0.005") == 4
    capsys.readouterr()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read the baseline"),
        ("{not json", "is not valid JSON"),
        ('{"metrics": {}}', "no 'metrics' with a 'score'"),
        ('{"metrics": {"score": 0.5}, "items": [{"id": 1}]}', "'items' are not a list"),
        ("[]", "not a JSON object"),
    ],
)
def test_a_missing_or_broken_baseline_is_one_line_and_exit_1(eval_file, paths, tmp_path, capsys, content, message):
    path = tmp_path / "metrics.json"
    if content is not None:
        path.write_text(content)
    assert cli.main(["eval", str(eval_file), "--baseline", str(path), *paths]) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith("faqbot: error:") and message in captured.err
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err
    assert captured.out == ""  # refused before the evaluation ran
    with pytest.raises(EvalFileError, match=re.escape(message)):
        load_baseline(path)


def test_evaluate_records_what_the_sweep_and_confusions_need(corpus_and_index, eval_file):
    corpus, index = corpus_and_index
    bot = FAQBot.load(
        settings=Settings(corpus_dir=corpus, index_dir=index, model="fake-hashing-embedder"), embedder=HashingEmbedder()
    )
    report = evaluate(bot, read_eval_file(eval_file), eval_file=eval_file)
    for item in report.items:
        if item.rule is None and item.got_kind == "retrieval":
            assert item.top_answer_correct == item.correct
        if item.rank == 1 or item.got_kind != "no_answer":
            assert item.top_question
        if not item.answerable:
            assert item.top_answer_correct is False
    assert any(item.rule for item in report.items)
    assert report.meta["eval_file"] == str(eval_file) and report.meta["top_k"] == 3


# --------------------------------------------------------------------------- unanswered questions from the log


def _no_answer(question: str) -> Answer:
    return Answer(question=question, answer="Sorry.", kind="no_answer", confidence=0.1)


def _answered(question: str) -> Answer:
    citation = Citation(
        passage_id="ci-faq#pricing",
        doc_title="FAQ",
        section=None,
        question="Pricing?",
        quote="q",
        source="ci-faq.md",
        line_start=1,
        line_end=2,
        anchor="pricing",
        url=None,
        score=0.5,
    )
    return Answer(question=question, answer="It costs.", kind="retrieval", confidence=0.8, citations=[citation])


@pytest.fixture
def log_db(tmp_path: Path) -> Path:
    """A log with paraphrases of two missing questions, a one-off, thumbs-down and noise."""
    path = tmp_path / "log.sqlite3"
    with Store(path) as store:
        for question in [
            "How do I cancel my subscription?",
            "how do i cancel my subscription",
            "Cancel my subscription",
            "How can I cancel the subscription?",
        ]:
            store.log_answer(_no_answer(question))
        for question in ["Is there a mobile app for Android?", "Android mobile app available?"]:
            store.log_answer(_no_answer(question))
        store.log_answer(_no_answer(NASTY))
        # A thumbs-down on an answer: counted, with what it cited.
        down = store.log_answer(_answered("Can I cancel my subscription online?"))
        store.add_feedback("down", answer_id=down, comment="that is about pricing")
        # Two thumbs-down on one no_answer: one ask, marked both ways.
        both = store.log_answer(_no_answer("Does it integrate with Salesforce?"))
        store.add_feedback("down", answer_id=both)
        store.add_feedback("down", answer_id=both)
        # Not unanswered: answered, or thumbs up.
        store.log_answer(_answered("What does it cost?"))
        store.add_feedback("up", answer_id=store.log_answer(_answered("What is People Unified?")))
    return path


@pytest.mark.parametrize(
    "similarity",
    [LexicalSimilarity(), EmbeddingSimilarity(HashingEmbedder())],
    ids=["lexical", "embedding"],
)
def test_unanswered_questions_group_by_similarity(log_db, similarity):
    with Store(log_db) as store:
        groups = group_unanswered(store, similarity)
    summary = [(g.question, g.count, g.no_answer, g.thumbs_down) for g in groups]
    cancel = groups[0]
    assert summary[0][1:] == (5, 4, 1)  # four paraphrases and the thumbs-down, most frequent first
    # The wording asked twice (case and "?" aside) leads the group.
    assert cancel.question == "how do i cancel my subscription"
    assert {(w.text, w.count) for w in cancel.wordings[1:]} == {
        ("Can I cancel my subscription online?", 1),
        ("How can I cancel the subscription?", 1),
        ("Cancel my subscription", 1),
    }
    assert cancel.answered_with == ["ci-faq#pricing"] and cancel.comments == ["that is about pricing"]
    assert summary[1][1:] == (2, 2, 0) and "android" in summary[1][0].casefold()
    rest = {g.question: (g.count, g.no_answer, g.thumbs_down) for g in groups[2:]}
    assert rest == {"Does it integrate with Salesforce?": (1, 1, 1), NASTY: (1, 1, 0)}
    assert len({g.id for g in groups}) == len(groups)


def test_collect_unanswered_ignores_answers_and_thumbs_up(log_db):
    with Store(log_db) as store:
        asked = collect_unanswered(store)
    questions = [a.question for a in asked]
    assert len(asked) == 9 and "What does it cost?" not in questions and "What is People Unified?" not in questions
    with pytest.raises(ReportError, match="limit"):
        collect_unanswered(Store(log_db), limit=0)


def test_hedged_answers_are_listed_for_review_once_with_their_thumbs(tmp_path):
    with Store(tmp_path / "log.sqlite3") as store:
        unsure = store.log_answer(_answered("Is there a mobile app?").model_copy(update={"hedged": True}))
        store.log_answer(_answered("Is there a mobile app?").model_copy(update={"hedged": True}))
        store.add_feedback("down", answer_id=unsure)
        store.log_answer(_answered("What does it cost?"))  # given plainly: not for review
        asked = collect_unanswered(store)
        (group,) = group_unanswered(store, LexicalSimilarity())
    assert [(a.question, a.unsure, a.no_answer) for a in asked] == [("Is there a mobile app?", True, False)] * 2
    assert sum(a.thumbs_down for a in asked) == 1  # the thumbs-down joins its hedged answer
    assert (group.count, group.unsure, group.no_answer, group.thumbs_down) == (2, 2, 0, 1)
    assert group.answered_with == ["ci-faq#pricing"]
    assert group.to_json()["unsure"] == 2 and group.to_eval_item()["unsure"] == 2


def test_the_export_is_an_evaluation_file_to_label(log_db, tmp_path):
    with Store(log_db) as store:
        groups = group_unanswered(store, LexicalSimilarity())
    path = tmp_path / "todo" / "unanswered.jsonl"
    write_export(groups, path)
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert (
        [line["count"] for line in lines]
        == [g.count for g in groups]
        == sorted((g.count for g in groups), reverse=True)
    )
    for line in lines:
        assert line["expected"] == [] and line["kind"] == "unlabelled" and line["id"].startswith("u-")
    items = read_eval_file(path)  # the evaluation reads it as is
    assert [item.question for item in items] == [g.question for g in groups]
    with pytest.raises(ReportError, match="cannot write"):
        write_export(groups, tmp_path / "todo")  # a folder


def test_faqbot_report_lists_groups_and_exports(log_db, tmp_path, capsys):
    export = tmp_path / "unanswered.jsonl"
    assert cli.main(["report", "--db", str(log_db), "--no-model", "--export", str(export)]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert "9 unanswered, unsure or thumbs-down questions" in lines[0] and "4 groups" in lines[0]
    assert "shared stemmed words" in lines[0]
    first = next(line for line in lines if line.strip().startswith("5x"))
    assert "cancel" in first.casefold()
    assert export.is_file() and "Wrote 4 questions" in captured.err
    # With the model (the fake one here), grouped by meaning.
    assert cli.main(["report", "--db", str(log_db), "--json"]) == 0
    groups = json.loads(capsys.readouterr().out)
    assert [g["count"] for g in groups] == [5, 2, 1, 1]
    # No database: a clear error, and none is created.
    assert cli.main(["report", "--db", str(tmp_path / "none.sqlite3")]) == 1
    assert "no database at" in capsys.readouterr().err and not (tmp_path / "none.sqlite3").exists()
    assert cli.main(["report", "--db", str(log_db), "--similarity", "1.5"]) == 1
    assert "from 0 to 1" in capsys.readouterr().err


def test_a_model_that_cannot_load_falls_back_to_words(monkeypatch):
    def broken(model=None, **options):
        raise OSError("no such model folder")

    monkeypatch.setattr("faqbot.search.embed.load_embedder", broken)
    similarity = load_similarity(Settings(model="/nowhere"))
    assert isinstance(similarity, LexicalSimilarity) and "could not be loaded" in similarity.description


# --------------------------------------------------------------------------- the admin page


def admin_client(log_db: Path, settings) -> TestClient:
    from faqbot.doors.admin import create_admin_router

    app = FastAPI()
    store = Store(log_db)
    app.include_router(create_admin_router(settings, lambda: store, lambda: None))
    return TestClient(app)


def test_the_admin_page_is_off_without_a_token(log_db):
    for settings in (Settings(), SimpleNamespace()):
        client = admin_client(log_db, settings)
        assert client.get("/admin").status_code == 404
        assert client.get("/admin?token=anything").status_code == 404
        assert client.get("/admin/export.jsonl").status_code == 404


def test_the_admin_page_needs_the_right_token(log_db):
    client = admin_client(log_db, Settings(admin_token="s3cret-token"))
    for request in (
        {},
        {"headers": {"Authorization": "Bearer wrong"}},
        {"headers": {"Authorization": "Basic s3cret-token"}},
        {"headers": {"Authorization": "Bearer s3cret-token-and-more"}},
        {"headers": {"Cookie": "faqbot_admin=s3cret-token"}},  # the cookie holds a keyed hash, not the token
        # A token in the address opens nothing: it would stand in access logs and history.
        {"params": {"token": "s3cret-token"}},
    ):
        client.cookies.clear()
        response = client.get("/admin", **request)
        assert response.status_code == 401, request
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert 'action="/admin/login"' in response.text and "Questions the FAQ did not answer" not in response.text
    assert client.get("/admin/export.jsonl", params={"token": "s3cret-token"}).status_code == 401
    response = client.get("/admin", headers={"Authorization": "Bearer s3cret-token"})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert "Questions the FAQ did not answer" in response.text


def test_the_login_form_sets_an_httponly_strict_cookie_and_logout_clears_it(log_db):
    client = admin_client(log_db, Settings(admin_token="s3cret-token"))
    wrong = client.post("/admin/login", data={"token": "sécret"})
    assert wrong.status_code == 401 and "not right" in wrong.text and not client.cookies
    signed_in = client.post("/admin/login", data={"token": "s3cret-token"}, follow_redirects=False)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/admin"
    cookie = signed_in.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/admin" in cookie
    assert "s3cret-token" not in cookie
    page = client.get("/admin")
    assert page.status_code == 200 and "Questions the FAQ did not answer" in page.text
    assert client.get("/admin/export.jsonl").status_code == 200
    client.post("/admin/logout")
    assert client.get("/admin").status_code == 401
    # A new token ends the old sessions.
    other = admin_client(log_db, Settings(admin_token="another-token"))
    other.cookies.set("faqbot_admin", cookie.split(";")[0].split("=", 1)[1], path="/admin")
    assert other.get("/admin").status_code == 401


def test_the_admin_page_lists_the_groups_escaped_and_offers_the_export(log_db):
    client = admin_client(log_db, Settings(admin_token="s3cret-token"))
    bearer = {"Authorization": "Bearer s3cret-token"}
    page = client.get("/admin", headers=bearer).text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page
    assert "<script" not in page and "<b>bold" not in page
    counts = re.findall(r'<tr id="u-[0-9a-f]+">\s*<td>(\d+)</td>', page)
    assert counts == ["5", "2", "1", "1"]
    # The export link carries no token.
    assert "s3cret-token" not in page and 'href="/admin/export.jsonl"' in page
    download = client.get("/admin/export.jsonl", headers=bearer)
    assert download.status_code == 200 and "attachment" in download.headers["content-disposition"]
    lines = [json.loads(line) for line in download.text.splitlines()]
    assert [line["count"] for line in lines] == [5, 2, 1, 1] and lines[0]["kind"] == "unlabelled"


def test_the_admin_router_works_inside_the_app(log_db, corpus_and_index):
    from faqbot.doors.admin import create_admin_router
    from faqbot.doors.http.app import create_app

    corpus, index = corpus_and_index
    settings = Settings(
        corpus_dir=corpus, index_dir=index, model="fake-hashing-embedder", db_path=log_db, admin_token="s3cret-token"
    )
    bot = FAQBot.load(settings=settings, embedder=HashingEmbedder())
    app = create_app(settings, bot=bot)
    store = Store(log_db)
    app.include_router(create_admin_router(settings, lambda: store, lambda: app.state.bot))
    with TestClient(app) as client:
        assert client.get("/admin", headers={"Accept": "text/html"}).status_code == 401
        response = client.get("/admin", headers={"Authorization": "Bearer s3cret-token"})
        assert response.status_code == 200 and "content-security-policy" in response.headers
        assert "meaning, with the model fake-hashing-embedder" in response.text
