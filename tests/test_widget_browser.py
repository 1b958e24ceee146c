"""The widget in a real browser: Debian's headless Chromium driven by Playwright, against the
real app served by uvicorn (fake-embedder bot) on a free 127.0.0.1 port."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from faqbot.answer.pipeline import FAQBot
from faqbot.core.config import Settings
from faqbot.doors.http.app import create_app
from faqbot.store import Store

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


def embed_page(request) -> HTMLResponse:
    """A host page for the widget, built from the query: `data-*` parameters become the script
    tag's attributes, `html_lang` the page's <html lang>, `strings` (JSON) window.faqbotStrings."""
    query = request.query_params
    attributes = "".join(f' {name}="{html.escape(value)}"' for name, value in query.items() if name.startswith("data-"))
    lang = f' lang="{html.escape(query["html_lang"])}"' if "html_lang" in query else ""
    strings = ""
    if "strings" in query:
        catalogs = json.dumps(json.loads(query["strings"])).replace("<", "\\u003c")
        strings = f"<script>window.faqbotStrings = {catalogs};</script>"
    bot = request.app.state.bot_url
    return HTMLResponse(
        f"<!doctype html><html{lang}><head><title>Host</title></head><body><h1>A host page</h1>"
        f"<p><a href='#top'>A link on the page</a></p>{strings}"
        f'<script src="{bot}/widget.js"{attributes} defer></script></body></html>'
    )


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
        routes=[
            Route("/shop.html", lambda request: HTMLResponse(SHOP_PAGE.replace("{bot}", server.url))),
            Route("/embed.html", embed_page),
        ]
    )
    shop.app.state.bot_url = server.url
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
    sync_api.expect(answer.get_by_role("button", name="Helpful", exact=True)).to_have_attribute("aria-pressed", "true")
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
    with caplog.at_level("WARNING", logger="faqbot.doors.http.middleware"):
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
    assert logged == [
        f"refused a cross-origin request from {refused!r}: add it to FAQBOT_CORS_ORIGINS to let a widget there ask"
    ]


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


# ---------------------------------------------------------------------- issue 17: polish, feedback, handoff


def embed_url(live, **query: str) -> str:
    """The host page on the allowed origin, with `data_lang="de"` as data-lang="de" and so on."""
    from urllib.parse import urlencode

    params = {
        name.replace("data_", "data-", 1) if name.startswith("data_") else name: value for name, value in query.items()
    }
    return f"{live.shop.url}/embed.html?{urlencode(params)}"


def crafted_answer(**fields) -> dict:
    """An /api/ask reply as the server sends it, for answers the fake-embedder bot would not give."""
    answer = {
        "question": "q",
        "answer": "The base offer includes both modules.",
        "kind": "retrieval",
        "confidence": 0.9,
        "citations": [
            {
                "passage_id": "guide#what-is-included",
                "doc_title": "Product guide",
                "section": "Licensing",
                "question": "What is included?",
                "quote": "The base offer includes both modules.",
                "source": "guide.md",
                "line_start": 3,
                "line_end": 5,
                "anchor": "what-is-included",
                "url": "https://docs.example.com/product/guide",
                "score": 0.9,
            }
        ],
        "related": [],
        "rule": None,
        "timings_ms": {},
        "answer_id": "answer-1",
    }
    answer.update(fields)
    return answer


class FakeApi:
    """Fulfils /api/ask (and /api/feedback) with crafted replies and keeps every request body."""

    def __init__(self, page, answers, feedback=None) -> None:
        self.answers = list(answers)
        self.feedback_replies = feedback
        self.asked: list[dict] = []
        self.votes: list[dict] = []
        page.route("**/api/ask", self._ask)
        if feedback is not None:
            page.route("**/api/feedback", self._feedback)

    def _ask(self, route) -> None:
        self.asked.append(route.request.post_data_json)
        reply = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        route.fulfill(status=200, content_type="application/json", body=json.dumps(reply))

    def _feedback(self, route) -> None:
        body = route.request.post_data_json
        self.votes.append(body)
        reply = {"id": 1, "answer_id": body["answer_id"], "rating": body["rating"]}
        reply.update(self.feedback_replies(body))
        route.fulfill(status=200, content_type="application/json", body=json.dumps(reply))


def in_panel(page) -> bool:
    return page.evaluate(
        shadow_js("const a = root.activeElement; return !!a && root.querySelector('[role=dialog]').contains(a);")
    )


def focus_is_visible(page) -> bool:
    """The focused control draws an outline or a ring (a box shadow) that shows where the focus is."""
    return page.evaluate(
        shadow_js(
            "const s = getComputedStyle(root.activeElement);"
            "return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== 'none';"
        )
    )


def test_phone_fields_are_at_least_16px(live, browser):
    """iOS zooms the page into a text field under 16px: the composer and the comment box are 16px."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        dialog = open_widget(page, live.url + "/")
        size = dialog.locator("textarea").evaluate("t => parseFloat(getComputedStyle(t).fontSize)")
        assert size >= 16
        send(page, QUESTION)
        bot_answers(page).last.get_by_role("button", name="Not helpful").click()
        comment = dialog.get_by_label("Tell us more (optional)")
        sync_api.expect(comment).to_be_visible()
        assert comment.evaluate("t => parseFloat(getComputedStyle(t).fontSize)") >= 16
    finally:
        context.close()


def test_desktop_composer_keeps_its_size(live, watched):
    page = watched.page
    dialog = open_widget(page, live.url + "/")
    assert dialog.locator("textarea").evaluate("t => parseFloat(getComputedStyle(t).fontSize)") < 16


def test_tab_stays_in_the_open_panel_and_escape_returns_to_the_launcher(live, watched):
    page = watched.page
    open_widget(page, embed_url(live))  # the host page has a link of its own to escape to
    send(page, QUESTION)
    sync_api.expect(bot_answers(page).last.locator(".thumb")).to_have_count(2)
    page.locator("[role=dialog] textarea").focus()

    for key in ["Tab"] * 40 + ["Shift+Tab"] * 40:
        page.keyboard.press(key)
        assert in_panel(page), f"{key} left the open panel"
        assert focus_is_visible(page), f"the focus is not visible on {focused(page)}"
    # It went round: from the last control back to the first, and the other way.
    stops = set()
    for _ in range(40):
        page.keyboard.press("Tab")
        stops.add(focused(page))
    assert {"textarea", "button", "a"} <= stops

    page.keyboard.press("Escape")
    sync_api.expect(page.get_by_role("dialog")).to_be_hidden()
    assert focused(page) == "launcher", "Escape closes and returns the focus to the launcher"


def luminance(css_color: str) -> float:
    red, green, blue = (int(part) for part in css_color[css_color.index("(") + 1 : -1].split(",")[:3])

    def linear(channel: int) -> float:
        value = channel / 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)


def contrast(first: str, second: str) -> float:
    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.parametrize(
    ("scheme", "theme", "dark"),
    [
        ("dark", None, True),  # auto follows the system
        ("light", None, False),
        ("dark", "light", False),  # the attribute wins
        ("light", "dark", True),
        ("dark", "auto", True),
    ],
)
def test_dark_mode(live, browser, scheme, theme, dark):
    context = browser.new_context(color_scheme=scheme)
    try:
        page = context.new_page()
        query = {"data_theme": theme} if theme else {}
        dialog = open_widget(page, embed_url(live, **query))
        background = dialog.evaluate("d => getComputedStyle(d).backgroundColor")
        assert (luminance(background) < 0.1) is dark
        bubble = dialog.locator(".greeting .bubble")
        colors = bubble.evaluate("b => [getComputedStyle(b).color, getComputedStyle(b).backgroundColor]")
        assert contrast(*colors) >= 4.5, f"text {colors[0]} on {colors[1]} is hard to read"
    finally:
        context.close()


def widget_strings(page) -> dict:
    return page.evaluate(
        shadow_js(
            "const q = s => root.querySelector(s);"
            "return {lang: q('.faqbot').lang, launcher: q('[data-faqbot-launcher]').getAttribute('aria-label'),"
            " title: q('h2').textContent, placeholder: q('textarea').placeholder,"
            " send: q('button[type=submit]').getAttribute('aria-label'), greeting: q('.greeting').textContent};"
        )
    )


@pytest.mark.parametrize(
    "query",
    [{"data_lang": "de"}, {"html_lang": "de"}, {"html_lang": "de-AT"}, {"data_lang": "DE-ch", "html_lang": "en"}],
    ids=["data-lang", "html-lang", "html-lang-region", "data-lang-wins"],
)
def test_german_strings(live, watched, query):
    page = watched.page
    page.goto(embed_url(live, **query))
    sync_api.expect(page.locator("[data-faqbot-launcher]")).to_have_attribute("aria-label", "Hilfe-Chat öffnen")
    page.locator("[data-faqbot-launcher]").click()
    strings = widget_strings(page)
    assert strings["lang"] == "de"
    assert strings["title"] == "Hilfe" and strings["placeholder"] == "Ihre Frage…"
    assert strings["send"] == "Frage senden" and "Stellen Sie mir eine Frage" in strings["greeting"]
    assert strings["launcher"] == "Hilfe-Chat schließen"


def test_german_feedback_and_answer_labels(live, watched):
    page = watched.page
    open_widget(page, embed_url(live, data_lang="de"))
    send(page, QUESTION)
    answer = bot_answers(page).last
    sync_api.expect(answer.locator(".label").first).to_have_text("Quellen")
    answer.get_by_role("button", name="Nicht hilfreich").click()
    sync_api.expect(answer.get_by_role("button", name="Falsche Antwort")).to_be_visible()
    sync_api.expect(answer.get_by_label("Erzählen Sie uns mehr (optional)")).to_be_visible()


def test_english_by_default_and_when_asked_for(live, watched):
    page = watched.page
    page.goto(embed_url(live, html_lang="de", data_lang="en"))
    sync_api.expect(page.locator("[data-faqbot-launcher]")).to_have_attribute("aria-label", "Open help chat")
    page.goto(embed_url(live, html_lang="sw"))  # no catalog for Swahili: English
    sync_api.expect(page.locator("[data-faqbot-launcher]")).to_have_attribute("aria-label", "Open help chat")


def test_a_language_added_by_the_host_page(live, watched):
    """window.faqbotStrings adds a catalog without editing the widget; a key it leaves out is English."""
    page = watched.page
    french = {"fr": {"openChat": "Ouvrir le chat d'aide", "greeting": "Bonjour <b>!</b>", "sendQuestion": 42}}
    page.goto(embed_url(live, html_lang="fr-FR", strings=json.dumps(french)))
    sync_api.expect(page.locator("[data-faqbot-launcher]")).to_have_attribute("aria-label", "Ouvrir le chat d'aide")
    page.locator("[data-faqbot-launcher]").click()
    strings = widget_strings(page)
    assert strings["lang"] == "fr"
    assert strings["greeting"] == "Bonjour <b>!</b>", "catalog text is text, not HTML"
    assert strings["send"] == "Send question", "a missing (or non-text) key falls back to English"


def test_thumbs_down_asks_why_and_a_new_vote_replaces_the_old(live, watched):
    page = watched.page
    open_widget(page, live.url + "/")
    votes: list[dict] = []
    page.on(
        "request",
        lambda request: votes.append(request.post_data_json) if request.url.endswith("/api/feedback") else None,
    )
    send(page, QUESTION)
    answer = bot_answers(page).last
    up = answer.get_by_role("button", name="Helpful", exact=True)
    down = answer.get_by_role("button", name="Not helpful")
    comment = answer.get_by_label("Tell us more (optional)")
    sync_api.expect(answer.get_by_role("button", name="Outdated")).to_have_count(0)

    down.click()
    sync_api.expect(down).to_have_attribute("aria-pressed", "true")
    reasons = answer.locator(".feedback-more .chip")
    sync_api.expect(reasons).to_have_text(["Wrong answer", "Outdated", "Not what I asked"])
    sync_api.expect(comment).to_be_visible()
    assert page.locator("[role=dialog] textarea").count() == 1, "the question box stays the one textarea"

    answer.get_by_role("button", name="Outdated").click()  # one click sends the reason
    sync_api.expect(answer.get_by_role("button", name="Outdated")).to_have_attribute("aria-pressed", "true")
    sync_api.expect(answer.locator(".feedback-status")).to_contain_text("Thanks")
    comment.fill("The price changed in May.")
    comment.press("Enter")
    sync_api.expect(comment).to_have_count(0)
    sync_api.expect(answer.locator(".feedback-status")).to_contain_text("helps us improve")

    up.click()  # changed their mind
    sync_api.expect(up).to_have_attribute("aria-pressed", "true")
    sync_api.expect(down).to_have_attribute("aria-pressed", "false")
    sync_api.expect(answer.locator(".feedback-more")).to_be_hidden()
    up.click()  # the same vote again sends nothing
    page.wait_for_timeout(200)

    answer_id = votes[0]["answer_id"]
    assert [(vote["answer_id"], vote["rating"], vote.get("comment")) for vote in votes] == [
        (answer_id, "down", None),
        (answer_id, "down", "Outdated"),
        (answer_id, "down", "Outdated: The price changed in May."),
        (answer_id, "up", None),
    ]
    with Store(live.settings.db_path) as store:
        entries = store.feedback(answer_id=answer_id)
    assert [(entry.rating, entry.comment) for entry in entries] == [("up", None)], "the last vote counts, once"

    page.reload()  # the vote survives a reload too
    sync_api.expect(bot_answers(page).last.get_by_role("button", name="Helpful", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )


HANDOFF = {"url": "https://support.example.com/contact?from=bot", "label": "Talk to our support team"}


def test_handoff_link_when_the_answer_has_one(live, watched):
    page = watched.page
    open_widget(page, live.url + "/")
    FakeApi(
        page,
        [
            crafted_answer(
                kind="no_answer", answer="I couldn't find an answer to that.", citations=[], handoff=HANDOFF
            ),
            crafted_answer(answer_id="answer-2"),
            crafted_answer(answer_id="answer-3", handoff={"url": "javascript:alert(1)", "label": "Click"}),
            crafted_answer(answer_id="answer-4", handoff={"url": "/contact", "label": "Relative"}),
            crafted_answer(answer_id="answer-5", handoff={"url": "mailto:help@example.com", "label": ""}),
        ],
    )
    send(page, "Can I talk to a person?")
    link = bot_answers(page).last.locator("a.handoff")
    sync_api.expect(link).to_have_text(HANDOFF["label"])
    assert link.get_attribute("href") == HANDOFF["url"]
    send(page, "What is included?")
    sync_api.expect(bot_answers(page)).to_have_count(2)
    sync_api.expect(bot_answers(page).last.locator(".handoff")).to_have_count(0)
    send(page, "again")
    sync_api.expect(bot_answers(page)).to_have_count(3)
    sync_api.expect(bot_answers(page).last.locator(".handoff")).to_have_count(0)
    send(page, "a relative one")
    sync_api.expect(bot_answers(page)).to_have_count(4)
    sync_api.expect(bot_answers(page).last.locator(".handoff")).to_have_count(0)
    send(page, "once more")
    mail = bot_answers(page).nth(4).locator("a.handoff")
    sync_api.expect(mail).to_have_text("Contact support")  # no label: the catalog's
    assert mail.get_attribute("href") == "mailto:help@example.com"
    page.reload()
    sync_api.expect(bot_answers(page).first.locator("a.handoff")).to_have_text(HANDOFF["label"])
    assert watched.dialogs == []


def test_handoff_after_a_thumbs_down_when_the_server_offers_one(live, watched):
    page = watched.page
    open_widget(page, live.url + "/")
    api = FakeApi(
        page, [crafted_answer()], feedback=lambda vote: {"handoff": HANDOFF} if vote["rating"] == "down" else {}
    )
    send(page, "What is included?")
    answer = bot_answers(page).last
    sync_api.expect(answer.locator(".handoff")).to_have_count(0)
    answer.get_by_role("button", name="Not helpful").click()
    sync_api.expect(answer.locator(".feedback-area a.handoff")).to_have_text(HANDOFF["label"])
    answer.get_by_role("button", name="Helpful", exact=True).click()
    sync_api.expect(answer.locator(".handoff")).to_have_count(0)
    assert [vote["rating"] for vote in api.votes] == ["down", "up"]


def test_conversation_id_goes_back_with_the_next_question_until_a_new_conversation(live, watched):
    page = watched.page
    open_widget(page, live.url + "/")
    api = FakeApi(
        page,
        [
            crafted_answer(conversation_id="conv-1"),
            crafted_answer(answer_id="answer-2", conversation_id="conv-1"),
            crafted_answer(answer_id="answer-3", conversation_id="conv-1"),
            crafted_answer(answer_id="answer-4", conversation_id="conv-2"),
            crafted_answer(answer_id="answer-5"),  # a server that knows no conversations
        ],
    )
    send(page, "What is the base SKU price for new customers?")
    sync_api.expect(bot_answers(page)).to_have_count(1)
    send(page, "and for existing ones?")
    sync_api.expect(bot_answers(page)).to_have_count(2)
    page.reload()  # kept per tab
    send(page, "and per year?")
    sync_api.expect(bot_answers(page)).to_have_count(3)
    page.get_by_role("button", name="Start a new conversation").click()
    sync_api.expect(bot_answers(page)).to_have_count(0)
    send(page, "Something else")
    sync_api.expect(bot_answers(page)).to_have_count(1)
    send(page, "and then?")
    sync_api.expect(bot_answers(page)).to_have_count(2)
    assert [body.get("conversation_id") for body in api.asked] == [None, "conv-1", "conv-1", None, "conv-2"]
    assert all(body["question"] and body["top_k"] == 3 for body in api.asked)


def test_the_real_server_takes_the_conversation_id(live, watched):
    """Whether or not the server keeps conversations yet, a question that carries one is answered."""
    page = watched.page
    open_widget(page, live.url + "/")
    send(page, QUESTION)
    sync_api.expect(bot_answers(page)).to_have_count(1)
    # A conversation the tab kept (from this server, or from one that keeps conversations).
    page.evaluate(
        "() => { const key = Object.keys(sessionStorage).find(k => k.startsWith('faqbot:'));"
        " const state = JSON.parse(sessionStorage.getItem(key)); state.conversationId = 'kept-1';"
        " sessionStorage.setItem(key, JSON.stringify(state)); }"
    )
    page.reload()
    asked: list[dict] = []
    page.on(
        "request", lambda request: asked.append(request.post_data_json) if request.url.endswith("/api/ask") else None
    )
    send(page, QUESTION)
    sync_api.expect(bot_answers(page)).to_have_count(2)
    sync_api.expect(page.locator("[role=dialog] .msg.error")).to_have_count(0)
    assert asked and asked[0]["conversation_id"] == "kept-1"


def test_relative_links_are_resolved_against_the_cited_document(live, watched):
    page = watched.page
    open_widget(page, live.url + "/")
    text = (
        "See [the transition FAQ](transition-faqs.md#pricing), [setup](../setup/start.md) and "
        "[the portal](https://portal.example.com/x). ![A diagram](media/diagram.png) "
        "[bad](javascript:alert(1))"
    )
    without_url = crafted_answer(answer_id="answer-2", answer="Read [the other FAQ](other.md).")
    without_url["citations"] = [dict(without_url["citations"][0], url=None)]
    FakeApi(page, [crafted_answer(answer=text), without_url])
    send(page, "What is included?")
    bubble = bot_answers(page).last.locator(".bubble")
    links = bubble.locator("a")
    sync_api.expect(links).to_have_count(3)
    assert [links.nth(i).get_attribute("href") for i in range(3)] == [
        "https://docs.example.com/product/transition-faqs#pricing",
        "https://docs.example.com/setup/start",
        "https://portal.example.com/x",
    ]
    sync_api.expect(bubble).to_contain_text("A diagram")
    sync_api.expect(bubble).to_contain_text("bad")
    assert page.evaluate(shadow_js("return root.querySelectorAll('.bubble img').length")) == 0

    send(page, "And the other one?")  # no document URL to resolve against: plain text
    other = bot_answers(page).last.locator(".bubble")
    sync_api.expect(other).to_have_text("Read the other FAQ.")
    sync_api.expect(other.locator("a")).to_have_count(0)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_violations_in_the_widget(live, browser, scheme):
    """axe-core (the copy axe-playwright-python ships) on the open widget with an answer, the
    reasons after a thumbs-down and a handoff link, in both colour schemes."""
    axe_module = pytest.importorskip("axe_playwright_python.sync_playwright", reason="axe-playwright-python is missing")
    context = browser.new_context(color_scheme=scheme, reduced_motion="reduce")
    try:
        page = context.new_page()
        open_widget(page, embed_url(live))
        send(page, QUESTION)
        answer = bot_answers(page).last
        answer.get_by_role("button", name="Not helpful").click()
        sync_api.expect(answer.get_by_label("Tell us more (optional)")).to_be_visible()
        FakeApi(page, [crafted_answer(kind="no_answer", answer="I couldn't find an answer.", handoff=HANDOFF)])
        send(page, "Can I talk to a person?")
        sync_api.expect(bot_answers(page).last.locator("a.handoff")).to_be_visible()
        page.wait_for_timeout(300)  # let the smooth scroll settle
        results = axe_module.Axe().run(page, context="[data-faqbot]")
        assert results.violations_count == 0, results.generate_report()
    finally:
        context.close()


# --------------------------------------------------------------------------- end to end with the real server


@pytest.fixture(scope="module")
def live_with_handoff(tmp_path_factory):
    """The bot's server with a way to a person configured (FAQBOT_HANDOFF_URL)."""
    folder = tmp_path_factory.mktemp("handoff")
    server = LiveServer()
    settings = Settings(
        corpus_dir=REPO / "corpus",
        index_dir=folder / "index",
        model="fake-hashing-embedder",
        db_path=folder / "faqbot.sqlite3",
        handoff_url="https://support.example.com/contact",
        handoff_label="Talk to our team",
    )
    bot = FAQBot.load(settings=settings, embedder=HashingEmbedder())
    server.app = create_app(settings, bot=bot)
    with server:
        yield server


def test_a_follow_up_is_answered_for_its_new_qualifier_end_to_end(live, watched):
    page = watched.page
    open_widget(page, live.url + "/")
    send(page, "What is the base SKU price for new customers?")
    sync_api.expect(bot_answers(page)).to_have_count(1)
    sync_api.expect(bot_answers(page).last).to_contain_text("$1,700")
    send(page, "and for existing ones?")
    sync_api.expect(bot_answers(page)).to_have_count(2)
    follow_up = bot_answers(page).last
    sync_api.expect(follow_up).to_contain_text("$1,000")
    sync_api.expect(follow_up).to_contain_text("existing customers")
    assert "$1,700" not in follow_up.locator(".bubble").inner_text()


def test_the_handoff_link_after_a_no_answer_only_when_configured(live, live_with_handoff, watched):
    page = watched.page
    open_widget(page, live_with_handoff.url + "/")
    send(page, "lorem ipsum dolor sit amet")
    link = bot_answers(page).last.locator("a.handoff")
    sync_api.expect(link).to_have_text("Talk to our team")
    assert link.get_attribute("href") == "https://support.example.com/contact"
    # The same question on a server without the setting offers no handoff.
    open_widget(page, live.url + "/")
    send(page, "lorem ipsum dolor sit amet")
    sync_api.expect(bot_answers(page)).to_have_count(1)
    sync_api.expect(bot_answers(page).last).to_have_attribute("data-kind", "no_answer")
    sync_api.expect(page.locator("[role=dialog] .handoff")).to_have_count(0)


def test_a_hedged_answer_is_shown_apart_from_a_sure_one(live, watched):
    page = watched.page
    open_widget(page, live.url + "/")
    hedge = 'I\'m not sure the FAQ answers exactly this. The closest entry I found is "What is included?":'
    FakeApi(
        page,
        [
            crafted_answer(answer=f"{hedge}\n\nThe base offer includes both modules.", hedged=True, confidence=0.45),
            crafted_answer(answer_id="answer-2"),
        ],
    )
    send(page, "Does the offer include a phone app?")
    unsure = bot_answers(page).last
    sync_api.expect(unsure).to_have_class(re.compile(r"\bhedged\b"))
    sync_api.expect(unsure.locator(".bubble")).to_contain_text("I'm not sure the FAQ answers exactly this.")
    sync_api.expect(unsure.locator(".bubble")).to_contain_text("The base offer includes both modules.")
    assert unsure.locator(".bubble").evaluate("e => getComputedStyle(e).borderTopStyle") == "dashed"
    send(page, "What is included?")
    sync_api.expect(bot_answers(page)).to_have_count(2)
    sure = bot_answers(page).last
    sync_api.expect(sure).not_to_have_class(re.compile(r"\bhedged\b"))
    assert sure.locator(".bubble").evaluate("e => getComputedStyle(e).borderTopStyle") != "dashed"
    assert watched.dialogs == []
