"""The owner's dashboard (issue 17, item 4): the period's figures, its plots, and
`GET /api/admin/stats` behind the admin token. Fake clock and lexical grouping throughout."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from xml.etree import ElementTree

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from faqbot.core.config import Settings
from faqbot.core.records import Answer, Citation
from faqbot.doors.dashboard import PLOTS, build_dashboard, check_days, render_plot, stats_payload
from faqbot.doors.report import LexicalSimilarity
from faqbot.store import Store, StoreStats

TOKEN = "s3cret-token"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
# A few minutes ago, but still today (in the first minutes after midnight, today's start).
RECENT = max(NOW - dt.timedelta(minutes=5), NOW.replace(hour=0, minute=0, second=0))


def no_answer(question: str) -> Answer:
    return Answer(question=question, answer="Sorry.", kind="no_answer", confidence=0.1)


def answered(question: str) -> Answer:
    citation = Citation(
        passage_id="faq#pricing",
        doc_title="FAQ",
        section=None,
        question="Pricing?",
        quote="It costs.",
        source="faq.md",
        line_start=1,
        line_end=2,
        anchor="pricing",
        score=0.5,
    )
    return Answer(question=question, answer="It costs.", kind="retrieval", confidence=0.8, citations=[citation])


class Clock:
    """A settable clock for the store, so log rows land on chosen days."""

    def __init__(self) -> None:
        self.at = NOW

    def __call__(self) -> float:
        return self.at.timestamp()


@pytest.fixture
def traffic(tmp_path: Path) -> Path:
    """Ten days of traffic: today 3 answered + 2 unanswered (one asked twice), 3 days ago
    1 answered, 40 days ago 4 answered (outside a week and a month); votes; latencies."""
    path = tmp_path / "log.sqlite3"
    clock = Clock()
    with Store(path, clock=clock) as store:
        clock.at = NOW - dt.timedelta(days=40)
        for n in range(4):
            store.log_answer(answered(f"Old question {n}?"), latency_ms=900.0)
        store.log_answer(no_answer("Is there an old fax number?"), latency_ms=5.0)
        clock.at = NOW - dt.timedelta(days=3)
        store.log_answer(answered("What does it cost?"), latency_ms=40.0)
        clock.at = RECENT
        up = store.log_answer(answered("How do I renew?"), latency_ms=12.0)
        down = store.log_answer(answered("Can I pay by invoice?"), latency_ms=250.0)
        store.log_answer(answered("Where is the <b>price</b> list?"), latency_ms=None)
        store.log_answer(no_answer("How do I cancel my subscription?"), latency_ms=30.0, handoff=True)
        store.log_answer(no_answer("how do I cancel my subscription"), latency_ms=31.0)
        store.add_feedback("up", answer_id=up)
        store.add_feedback("down", answer_id=down, comment="not what I asked")
        store.mark_handoff(down)  # the thumbs-down offered a way to a person
    return path


def test_the_dashboard_counts_the_period_only(traffic):
    with Store(traffic) as store:
        week = build_dashboard(store, 7, LexicalSimilarity())
        quarter = build_dashboard(store, 90, LexicalSimilarity())
    assert (week.questions, week.answered, week.no_answer) == (6, 4, 2)
    assert (week.thumbs_up, week.thumbs_down, week.handoffs) == (1, 1, 2)
    assert week.answer_rate == pytest.approx(4 / 6) and week.thumbs_up_share == pytest.approx(0.5)
    # Every day of the week is there, quiet days as zeros; today holds the split.
    assert len(week.by_day) >= 7 and week.by_day[-1].day == NOW.date().isoformat()
    assert (week.by_day[-1].questions, week.by_day[-1].answered, week.by_day[-1].no_answer) == (5, 3, 2)
    assert sum(day.questions for day in week.by_day) == 6
    three_days_ago = (NOW - dt.timedelta(days=3)).date().isoformat()
    assert {day.day: day.questions for day in week.by_day}[three_days_ago] == 1
    # Slowest first; an answer without a timing is left out; older rows are out of the week.
    assert [slow.latency_ms for slow in week.slowest] == [250.0, 40.0, 31.0, 30.0, 12.0]
    # The unanswered cluster of the week: the two cancel wordings and the thumbs-down, not the old fax.
    assert [(group.count, group.no_answer) for group in week.clusters][:1] == [(2, 2)]
    assert all("fax" not in group.question for group in week.clusters)
    assert quarter.questions == 11 and quarter.slowest[0].latency_ms == 900.0
    assert any("fax" in group.question for group in quarter.clusters)


def test_an_empty_log_gives_an_empty_dashboard_and_plots(tmp_path):
    with Store(tmp_path / "empty.sqlite3") as store:
        board = build_dashboard(store, 30, LexicalSimilarity())
    assert board.questions == 0 and board.answer_rate is None and board.thumbs_up_share is None
    assert len(board.by_day) == 30 and all(day.questions == 0 for day in board.by_day)
    for name in PLOTS:
        ElementTree.fromstring(render_plot(board, name))  # well-formed SVG even with nothing to show


@pytest.mark.parametrize("days", [0, -1, 367, 7.0, True, "7"])
def test_a_bad_period_is_refused(days):
    with pytest.raises(ValueError, match="days must be"):
        check_days(days)


def test_plots_are_svg_that_show_the_data(traffic):
    with Store(traffic) as store:
        board = build_dashboard(store, 7, LexicalSimilarity())
    svgs = {name: render_plot(board, name) for name in PLOTS}
    for svg in svgs.values():
        root = ElementTree.fromstring(svg)
        assert root.tag.endswith("svg")
        assert "<script" not in svg and not re.search(r'href="(?:https?:)?//', svg)  # loads nothing
    # matplotlib writes text as paths with the string in a comment: the labels stand in the SVG.
    assert "67% (4)" in svgs["outcomes"] and "50% (1)" in svgs["outcomes"]
    assert "250 ms" in svgs["slowest"]
    assert "cancel my subscription" in svgs["clusters"]
    with pytest.raises(ValueError, match="no plot named"):
        render_plot(board, "pie")


def test_the_stats_payload_has_the_contract_keys():
    stats = StoreStats(
        questions=3, answered=2, no_answer=1, thumbs_up=1, thumbs_down=0, handoffs=1, by_day={"2026-11-30": 3}
    )
    payload = stats_payload(stats, 2, now=dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC))
    assert set(payload) >= {"questions", "answered", "no_answer", "thumbs_up", "thumbs_down", "handoffs", "by_day"}
    assert payload["handoffs"] == 1
    assert payload["by_day"] == [{"day": "2026-11-30", "questions": 3}, {"day": "2026-12-01", "questions": 0}]


# --------------------------------------------------------------------------- the routes


def client_for(log_db: Path, settings: Settings) -> TestClient:
    from faqbot.doors.admin import create_admin_router

    app = FastAPI()
    store = Store(log_db)
    app.include_router(create_admin_router(settings, lambda: store, lambda: None))
    return TestClient(app)


def test_stats_api_needs_the_token_and_is_off_without_one(traffic):
    off = client_for(traffic, Settings())
    assert off.get("/api/admin/stats", headers=BEARER).status_code == 404
    client = client_for(traffic, Settings(admin_token=TOKEN))
    assert client.get("/api/admin/stats").status_code == 401
    assert client.get("/api/admin/stats", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/api/admin/stats", params={"token": TOKEN}).status_code == 401  # never in the URL
    response = client.get("/api/admin/stats", params={"days": 7}, headers=BEARER)
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    body = response.json()
    assert {
        key: body[key] for key in ("questions", "answered", "no_answer", "thumbs_up", "thumbs_down", "handoffs")
    } == {
        "questions": 6,
        "answered": 4,
        "no_answer": 2,
        "thumbs_up": 1,
        "thumbs_down": 1,
        "handoffs": 2,
    }
    assert sum(day["questions"] for day in body["by_day"]) == 6 and body["by_day"][-1]["questions"] == 5
    assert client.get("/api/admin/stats", headers=BEARER).json()["questions"] == 6  # 30 days by default
    assert client.get("/api/admin/stats", params={"days": 90}, headers=BEARER).json()["questions"] == 11
    for bad in ("0", "400", "week"):
        assert client.get("/api/admin/stats", params={"days": bad}, headers=BEARER).status_code == 422


def test_the_admin_page_shows_the_period_figures_and_plots(traffic):
    client = client_for(traffic, Settings(admin_token=TOKEN))
    page = client.get("/admin", params={"days": 7}, headers=BEARER)
    assert page.status_code == 200
    html = page.text
    assert '<a href="/admin?days=7" aria-current="page">7 days</a>' in html
    figures = dict(re.findall(r'data-figure="([a-z-]+)"><span class="value">([^<]+)</span>', html))
    assert figures == {"questions": "6", "answer-rate": "67%", "thumbs": "50%", "handoffs": "2"}
    plots = re.findall(r'<img src="(/admin/plots/[a-z]+\.svg\?days=7)" alt="([^"]+)"', html)
    assert [src for src, _ in plots] == [f"/admin/plots/{name}.svg?days=7" for name in PLOTS]
    assert all(alt for _, alt in plots)
    assert html.count('<figure class="plot"') == html.count("</figure>") == len(PLOTS)
    assert "<b>price" not in html  # questions are text
    # The images need the token too, and are SVG.
    for src, _ in plots:
        assert client.get(src).status_code == 401
        image = client.get(src, headers=BEARER)
        assert image.status_code == 200 and image.headers["content-type"].startswith("image/svg+xml")
    assert client.get("/admin/plots/pie.svg", headers=BEARER).status_code == 404
    # A month: the old traffic is still out; a quarter takes it in.
    assert 'data-figure="questions"><span class="value">6<' in client.get("/admin", headers=BEARER).text
    assert 'data-figure="questions"><span class="value">11<' in client.get("/admin?days=90", headers=BEARER).text


def test_answers_the_bot_was_not_sure_of_are_counted_and_listed_for_review(tmp_path):
    log_db = tmp_path / "log.sqlite3"
    with Store(log_db) as store:
        store.log_answer(answered("Is there a mobile app?").model_copy(update={"hedged": True}))
        store.log_answer(answered("What does it cost?"))
    client = client_for(log_db, Settings(admin_token=TOKEN))
    assert client.get("/api/admin/stats", headers=BEARER).json()["hedged"] == 1
    html = client.get("/admin", headers=BEARER).text
    assert "(2 answered, 1 of them not sure; 0 no answer)" in html
    assert "<th>not sure</th>" in html
    (row,) = re.findall(r'<tr id="u-[0-9a-f]+">(.*?)</tr>', html, flags=re.DOTALL)
    assert "Is there a mobile app?" in row and "What does it cost?" not in html.split("<th>not sure</th>")[1]
    assert re.findall(r"<td>(\d+)</td>", row) == ["1", "0", "1", "0"]  # asked, no answer, not sure, thumbs down
