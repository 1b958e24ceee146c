"""The owner's dashboard in a real browser (issue 17, item 4): Debian's headless Chromium
driven by Playwright, against the real app (fake-embedder bot) with a log of a month of
made-up traffic. Also makes the README screenshot:

    .venv/bin/python -m tests.test_dashboard_browser docs/dashboard.png
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
from pathlib import Path

import pytest

from faqbot.answer.pipeline import FAQBot
from faqbot.core.config import Settings
from faqbot.core.records import Answer, Citation
from faqbot.doors.http.app import create_app
from faqbot.store import Store

from .browser_util import CHROMIUM, CHROMIUM_ARGS, LiveServer
from .fakes import HashingEmbedder

REPO = Path(__file__).resolve().parent.parent
TOKEN = "dashboard-test-token"
DEV_SET = REPO / "eval" / "dev-questions.jsonl"


def seed_traffic(db_path: Path, *, days: int = 30, seed: int = 17) -> dict[str, int]:
    """A log of `days` days of traffic made up from the dev set's questions: questions the
    FAQ cannot answer logged as no_answer, the others answered; latencies and votes drawn
    from a seeded generator. Returns what was logged in the last 7 days and in all."""
    rng = random.Random(seed)
    items = [json.loads(line) for line in DEV_SET.read_text(encoding="utf-8").splitlines() if line.strip()]
    now = dt.datetime.now(dt.UTC)
    clock_at = [now]
    counts = {"week": 0, "all": 0}
    with Store(db_path, clock=lambda: clock_at[0].timestamp()) as store:
        for day in range(days - 1, -1, -1):
            for _ in range(rng.randint(4, 14) + (days - day) // 3):  # traffic grows over the month
                clock_at[0] = now - dt.timedelta(days=day, minutes=rng.randint(1, 600))
                item = rng.choice(items)
                answer = _answer(item, rng)
                handoff = answer.kind == "no_answer" and rng.random() < 0.4  # some visitors take the link
                latency = rng.lognormvariate(3.0, 0.8)
                answer_id = store.log_answer(answer, latency_ms=latency, channel="web", handoff=handoff)
                counts["all"] += 1
                counts["week"] += clock_at[0] > now - dt.timedelta(days=7)
                if rng.random() < 0.3:
                    good = answer.kind != "no_answer" and rng.random() < 0.8
                    store.add_feedback("up" if good else "down", answer_id=answer_id)
                    if not good:
                        store.mark_handoff(answer_id)
    return counts


def _answer(item: dict, rng: random.Random) -> Answer:
    if not item["expected"] or rng.random() < 0.1:
        return Answer(question=item["question"], answer="I couldn't find that.", kind="no_answer", confidence=0.2)
    expected = item["expected"][0]
    citation = Citation(
        passage_id=f"{expected['doc']}#q",
        doc_title=expected["doc"],
        section=None,
        question=expected["question"],
        quote="…",
        source=f"{expected['doc']}.md",
        line_start=1,
        line_end=2,
        anchor="q",
        score=0.8,
    )
    return Answer(question=item["question"], answer="…", kind="retrieval", confidence=0.8, citations=[citation])


def dashboard_app(folder: Path, *, bot: FAQBot | None = None):
    settings = Settings(
        corpus_dir=REPO / "corpus",
        index_dir=folder / "index",
        model="fake-hashing-embedder",
        db_path=folder / "faqbot.sqlite3",
        admin_token=TOKEN,
    )
    bot = bot or FAQBot.load(settings=settings, embedder=HashingEmbedder())
    return create_app(settings, bot=bot)


def sign_in(page, url: str) -> None:
    page.goto(url + "/admin")
    page.fill("input[name=token]", TOKEN)
    page.keyboard.press("Enter")
    page.wait_for_selector("h1:has-text('Dashboard')")


# --------------------------------------------------------------------------- the tests

if "pytest" in sys.modules:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)", allow_module_level=True)
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dashboard")
    counts = seed_traffic(folder / "faqbot.sqlite3")
    server = LiveServer(dashboard_app(folder))
    server.counts = counts
    with server:
        yield server


@pytest.fixture
def page(live):
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(15_000)
        problems: list[str] = []
        page.on("pageerror", lambda error: problems.append(str(error)))
        # The sign-in page itself answers 401 (the browser logs that); anything else is a problem.
        page.on(
            "console",
            lambda message: (
                message.type == "error" and "status of 401" not in message.text and problems.append(message.text)
            ),
        )
        yield page
        browser.close()
        assert problems == [], "no errors and no CSP violations on the page"


def plots_drawn(page) -> list[dict]:
    return page.eval_on_selector_all(
        ".plot img",
        "imgs => imgs.map(img => ({src: img.getAttribute('src'), width: img.naturalWidth, shown: img.clientWidth,"
        " alt: img.alt, done: img.complete}))",
    )


def test_the_dashboard_shows_its_figures_and_plots_after_signing_in(live, page):
    sign_in(page, live.url)
    figures = dict(
        page.eval_on_selector_all(
            "[data-figure]", "items => items.map(li => [li.dataset.figure, li.querySelector('.value').textContent])"
        )
    )
    assert figures["questions"] == str(live.counts["all"]) and figures["answer-rate"].endswith("%")
    page.wait_for_load_state("load")  # the load event waits for the images
    plots = plots_drawn(page)
    assert [plot["src"].split("?")[0] for plot in plots] == [
        "/admin/plots/volume.svg",
        "/admin/plots/outcomes.svg",
        "/admin/plots/clusters.svg",
        "/admin/plots/slowest.svg",
    ]
    # Each image loaded (an SVG the browser could draw), fills its card, and says what it shows.
    assert all(plot["width"] > 300 and plot["shown"] > 600 and plot["alt"] for plot in plots), plots
    assert page.locator(".slowest tbody tr").count() > 0
    assert "figure>" not in page.inner_text("main")  # markup never shows as text


def test_choosing_a_week_redraws_for_the_week(live, page):
    sign_in(page, live.url)
    page.click("nav.period a:has-text('7 days')")
    page.wait_for_url("**/admin?days=7")
    assert page.get_attribute("nav.period a[aria-current=page]", "href") == "/admin?days=7"
    assert page.text_content("[data-figure=questions] .value") == str(live.counts["week"])
    page.wait_for_load_state("load")  # the load event waits for the images
    assert all(plot["src"].endswith("?days=7") and plot["width"] > 300 for plot in plots_drawn(page))


def test_signed_out_the_plots_are_not_served(live, page):
    response = page.goto(live.url + "/admin/plots/volume.svg?days=30")
    assert response is not None and response.status == 401


# --------------------------------------------------------------------------- the screenshot


def screenshot(target: Path) -> None:
    """The dashboard over a month of made-up traffic, with the real model grouping the questions."""
    import os
    import tempfile

    from playwright.sync_api import sync_playwright

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        seed_traffic(folder / "faqbot.sqlite3")
        settings = Settings(index_dir=folder / "index", db_path=folder / "faqbot.sqlite3", admin_token=TOKEN)
        app = create_app(settings.model_copy(), bot=FAQBot.load(settings=settings))
        with LiveServer(app) as server, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1000, "height": 1500}, device_scale_factor=1)
            sign_in(page, server.url)
            page.wait_for_load_state("load")  # the load event waits for the images
            target.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(target))  # the figures and plots; the tables follow below
            browser.close()


if __name__ == "__main__":
    screenshot(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "dashboard.png")
