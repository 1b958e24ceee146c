"""The widget in a real browser: Debian's headless Chromium driven by Playwright, against the
real app served by uvicorn (fake-embedder bot) on a free 127.0.0.1 port."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from bot.answer import FAQBot
from bot.config import Settings
from bot.server import create_app
from bot.store import Store

from .browser_util import CHROMIUM, CHROMIUM_ARGS, LiveServer, shadow_js
from .fakes import HashingEmbedder

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")

REPO = Path(__file__).resolve().parent.parent
QUESTION = "How do customers purchase more capacity?"
ANCHOR = "how-do-customers-purchase-more-capacity"
XSS = "<img src=x onerror=alert(1)>"
SHOP_PAGE = """<!doctype html><html><head><title>Shop</title>
<style>button { background: hotpink !important; font-size: 40px !important; }</style></head>
<body><h1>Another company's shop</h1>
<script src="{bot}/widget.js" data-title="Shop helper" data-color="#aa3300" data-position="left" defer></script>
</body></html>"""


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """The bot's server, and `live.shop`: another site that embeds the widget.

    The shop is served for real on 127.0.0.1 (a page faked by request interception
    would count as a public page, and Chromium refuses its requests to loopback).
    """
    folder = tmp_path_factory.mktemp("browser")
    server, shop = LiveServer(), LiveServer()
    settings = Settings(
        corpus_dir=REPO / "corpus",
        index_dir=folder / "index",
        model="fake-hashing-embedder",
        db_path=folder / "faqbot.sqlite3",
        # The shop's origin is allowed; the same shop reached as "localhost" is another origin, refused.
        cors_origins=[shop.url],
    )
    bot = FAQBot.load(settings=settings, embedder=HashingEmbedder())
    server.app = create_app(settings, bot=bot)
    server.settings = settings
    shop.app = Starlette(
        routes=[Route("/shop.html", lambda request: HTMLResponse(SHOP_PAGE.replace("{bot}", server.url)))]
    )
    server.shop = shop
    with server, shop:
        yield server


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Watched:
    """A page plus every JS dialog and page error it produced."""

    def __init__(self, page) -> None:
        self.page = page
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()


@pytest.fixture
def watched(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(10_000)
    watched = Watched(page)
    yield watched
    context.close()
    assert watched.errors == [], "no JavaScript errors on the page"


def open_widget(page, url: str):
    page.goto(url)
    launcher = page.locator("[data-faqbot-launcher]")
    sync_api.expect(launcher).to_be_visible()
    assert "chat" in launcher.get_attribute("aria-label").lower()
    launcher.click()
    dialog = page.get_by_role("dialog")
    sync_api.expect(dialog).to_be_visible()
    return dialog


def send(page, question: str) -> None:
    box = page.locator("[role=dialog] textarea")
    box.fill(question)
    box.press("Enter")


def bot_answers(page):
    return page.locator("[role=dialog] .msg.bot:not(.greeting):not(.typing)")


def focused(page) -> str:
    """What has the focus inside the widget: 'launcher', 'textarea', ... or '' when outside it."""
    return page.evaluate(
        shadow_js(
            "const a = root.activeElement; if (!a) return '';"
            "return a.hasAttribute('data-faqbot-launcher') ? 'launcher' : a.tagName.toLowerCase();"
        )
    )


def test_ask_see_the_answer_and_follow_the_citation(live, watched):
    page = watched.page
    dialog = open_widget(page, live.url + "/")
    assert focused(page) == "textarea", "focus moves into the panel when it opens"
    sync_api.expect(page.locator("[role=log]")).to_have_attribute("aria-live", "polite")
    send(page, QUESTION)

    answer = bot_answers(page).last
    sync_api.expect(answer.locator(".bubble")).to_contain_text("People Unified")
    citation = dialog.locator(f'a.citation[href$="#{ANCHOR}"]')
    sync_api.expect(citation).to_have_count(1)
    sync_api.expect(citation).to_contain_text("How do customers purchase more capacity?")
    sync_api.expect(citation).to_contain_text("Dynamics 365 Customer Insights FAQs")
    href = citation.get_attribute("href")
    assert href == f"{live.url}/faq/ci-faq#{ANCHOR}"

    page.goto(href)
    target = page.locator(f"[id='{ANCHOR}']")
    sync_api.expect(target).to_have_count(1)
    sync_api.expect(target).to_contain_text(QUESTION)
    assert page.evaluate("() => document.querySelector(':target').id") == ANCHOR


def test_related_question_chip_asks_it(live, watched):
    page = watched.page
    open_widget(page, live.url + "/")
    send(page, QUESTION)
    sync_api.expect(bot_answers(page)).to_have_count(1)
    chip = bot_answers(page).last.locator(".chip").first
    related = chip.inner_text()
    assert related.endswith("?")
    chip.click()
    sync_api.expect(page.locator("[role=dialog] .msg.user").last).to_have_text(related)
    sync_api.expect(bot_answers(page)).to_have_count(2)
    sync_api.expect(bot_answers(page).last.locator(".bubble")).not_to_be_empty()


def test_no_answer_shows_suggestions_as_chips(live, watched):
    page = watched.page
    open_widget(page, live.url + "/")
    send(page, "What is the weather like on Mars tonight?")
    answer = bot_answers(page).last
    sync_api.expect(answer).to_have_attribute("data-kind", "no_answer")
    sync_api.expect(answer.locator(".bubble")).to_contain_text("couldn't find an answer")
    sync_api.expect(answer.locator(".chip")).not_to_have_count(0)
    # The suggestions are chips, not repeated as a list in the text.
    assert answer.locator(".bubble li").count() == 0


def test_thumbs_up_is_recorded_in_the_database(live, watched):
    page = watched.page
    open_widget(page, live.url + "/")
    send(page, QUESTION)
    answer = bot_answers(page).last
    answer.get_by_role("button", name="Helpful", exact=True).click()
    sync_api.expect(answer.locator(".feedback")).to_contain_text("recorded")
    sync_api.expect(answer.get_by_role("button", name="Helpful", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    with Store(live.settings.db_path) as store:
        entries = store.feedback(rating="up")
        assert entries and entries[0].question == QUESTION
        assert entries[0].answer_id in {row.id for row in store.conversations()}


def test_markup_in_a_question_is_shown_as_text(live, watched):
    page = watched.page
    open_widget(page, live.url + "/")
    send(page, XSS)
    sync_api.expect(bot_answers(page)).to_have_count(1)
    sync_api.expect(page.locator("[role=dialog] .msg.user .bubble")).to_have_text(XSS)
    assert page.evaluate(shadow_js("return root.querySelectorAll('img').length")) == 0
    assert page.evaluate("() => document.querySelectorAll('img[src=x]').length") == 0
    page.wait_for_timeout(200)  # an onerror handler would have fired by now
    assert watched.dialogs == []


def test_conversation_survives_a_reload(live, watched):
    page = watched.page
    open_widget(page, live.url + "/")
    send(page, QUESTION)
    sync_api.expect(page.locator("[role=dialog] a.citation")).not_to_have_count(0)
    page.reload()
    sync_api.expect(page.get_by_role("dialog")).to_be_visible()
    sync_api.expect(page.locator("[role=dialog] .msg.user")).to_have_text([QUESTION])
    sync_api.expect(page.locator(f'[role=dialog] a.citation[href$="#{ANCHOR}"]')).to_have_count(1)
    # And it carries on: a new question is added below the old ones.
    send(page, "How do you define People Unified?")
    sync_api.expect(bot_answers(page)).to_have_count(2)


def test_keyboard_alone_operates_the_widget(live, watched):
    page = watched.page
    page.goto(live.url + "/")
    sync_api.expect(page.locator("[data-faqbot-launcher]")).to_be_visible()
    for _ in range(80):
        page.keyboard.press("Tab")
        if focused(page) == "launcher":
            break
    else:
        pytest.fail("Tab never reached the launcher")
    page.keyboard.press("Enter")
    sync_api.expect(page.get_by_role("dialog")).to_be_visible()
    assert focused(page) == "textarea"

    page.keyboard.type("first line")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("second line")
    box = page.locator("[role=dialog] textarea")
    assert box.input_value() == "first line\nsecond line", "Shift+Enter adds a line, sends nothing"
    assert page.locator("[role=dialog] .msg.user").count() == 0

    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type(QUESTION)
    page.keyboard.press("Enter")
    sync_api.expect(page.locator("[role=dialog] a.citation")).not_to_have_count(0)
    assert box.input_value() == ""

    page.keyboard.press("Escape")
    sync_api.expect(page.get_by_role("dialog")).to_be_hidden()
    assert focused(page) == "launcher", "focus returns to the launcher"
    page.keyboard.press("Enter")
    sync_api.expect(page.get_by_role("dialog")).to_be_visible()


def test_full_screen_panel_on_a_phone(live, browser):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, reduced_motion="reduce"
    )
    try:
        page = context.new_page()
        dialog = open_widget(page, live.url + "/")
        box = dialog.bounding_box()
        assert box is not None
        assert box["x"] == 0 and box["y"] == 0
        assert box["width"] == 390 and box["height"] == 844
        close = dialog.get_by_role("button", name="Close chat")
        close.click()
        sync_api.expect(dialog).to_be_hidden()
    finally:
        context.close()


def test_typing_indicator_while_waiting(live, watched):
    page = watched.page
    open_widget(page, live.url + "/")
    held = []
    page.route("**/api/ask", lambda route: held.append(route))  # held until the test lets it go
    send(page, QUESTION)
    typing = page.locator("[role=dialog] .msg.typing")
    sync_api.expect(typing).to_be_visible()
    sync_api.expect(page.get_by_role("button", name="Send question")).to_be_disabled()
    while not held:
        page.wait_for_timeout(10)
    held[0].continue_()
    sync_api.expect(page.locator("[role=dialog] a.citation")).not_to_have_count(0)
    sync_api.expect(typing).to_have_count(0)
    sync_api.expect(page.get_by_role("button", name="Send question")).to_be_enabled()


def test_errors_are_shown_politely(live, watched):
    page = watched.page
    open_widget(page, live.url + "/")
    page.route("**/api/ask", lambda route: route.abort("connectionrefused"))
    send(page, QUESTION)
    error = page.locator("[role=dialog] .msg.error")
    sync_api.expect(error).to_contain_text("can't reach the help service")
    retry = error.get_by_role("button", name="Try again")
    sync_api.expect(retry).to_be_visible()

    page.unroute("**/api/ask")
    retry.click()
    sync_api.expect(page.locator("[role=dialog] .msg.error")).to_have_count(0)
    sync_api.expect(page.locator("[role=dialog] a.citation")).not_to_have_count(0)

    page.route(
        "**/api/ask",
        lambda route: route.fulfill(
            status=422,
            content_type="application/json",
            body=json.dumps({"error": "`question`: the question is empty.", "detail": None}),
        ),
    )
    send(page, "anything")
    sync_api.expect(page.locator("[role=dialog] .msg.error").last).to_contain_text("the question is empty")


def test_embedding_on_an_allowed_origin(live, watched):
    """The widget on another site whose origin is in the CORS allowlist."""
    page = watched.page
    dialog = open_widget(page, live.shop.url + "/shop.html")
    sync_api.expect(dialog.locator("h2")).to_have_text("Shop helper")
    # The host page's loud button styles do not reach into the shadow root.
    launcher = page.locator("[data-faqbot-launcher]")
    assert launcher.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(170, 51, 0)"
    assert launcher.evaluate("b => getComputedStyle(b).fontSize") != "40px"
    assert launcher.bounding_box()["x"] < 100, "data-position=left"
    send(page, QUESTION)
    citation = dialog.locator(f'a.citation[href$="#{ANCHOR}"]')
    sync_api.expect(citation).to_have_count(1)
    assert citation.get_attribute("href") == f"{live.url}/faq/ci-faq#{ANCHOR}", "links go to the bot's origin"


def test_embedding_on_an_origin_not_in_the_allowlist_fails_politely(live, watched, caplog):
    page = watched.page
    warnings: list[str] = []
    page.on("console", lambda message: warnings.append(message.text) if message.type == "warning" else None)
    refused = f"http://localhost:{live.shop.port}"
    open_widget(page, f"{refused}/shop.html")
    with caplog.at_level("WARNING", logger="bot.server"):
        send(page, QUESTION)
        sync_api.expect(page.locator("[role=dialog] .msg.error")).to_contain_text("can't reach the help service")
        # The integrator sees why: the widget names the setting and the origin in the console...
        page.wait_for_function("() => true")  # let the probe's callback run
        sync_api.expect(page.locator("body")).to_be_visible()
        page.wait_for_timeout(500)
        send(page, QUESTION)  # a second failure warns no more
        page.wait_for_timeout(500)
    cors_warnings = [text for text in warnings if "FAQBOT_CORS_ORIGINS" in text]
    assert len(cors_warnings) == 1 and refused in cors_warnings[0]
    # ...and the server logs the refused origin, once however often it is refused.
    logged = [r.getMessage() for r in caplog.records if "refused a cross-origin request" in r.getMessage()]
    assert logged == [f"refused a cross-origin request from {refused!r}: add it to FAQBOT_CORS_ORIGINS to let a widget there ask"]


def test_the_api_docs_render_with_no_network(live, browser):
    """/docs is Swagger UI from the server's own assets: it renders with every request to
    anywhere but the bot's origin refused, and its CSP holds (no violations, no page errors)."""
    context = browser.new_context()
    page = context.new_page()
    outside: list[str] = []

    def only_the_bot(route):
        if route.request.url.startswith(live.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_bot)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    response = page.goto(live.url + "/docs")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    sync_api.expect(page.locator(".swagger-ui .info .title")).to_contain_text("FAQ bot")
    sync_api.expect(page.locator(".opblock-summary-path", has_text="/api/ask")).to_have_count(1)
    context.close()
    assert outside == [] and errors == []
