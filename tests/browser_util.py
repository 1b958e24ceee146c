"""Helpers for the browser tests: the real app served by uvicorn in a thread, and headless Chromium.

Also regenerates the README screenshots with the real model and corpus:

    .venv/bin/python -m tests.browser_util docs/widget.png
    .venv/bin/python -m tests.browser_util --dark docs/widget-dark.png
"""

from __future__ import annotations

import argparse
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import Self

CHROMIUM = Path("/usr/bin/chromium")
# Flags that work on a machine with no outside network and no GPU (see the machine notes).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class LiveServer:
    """Serve an ASGI app on a free 127.0.0.1 port in a background thread.

    The port is taken when the object is made, so the app can be built
    knowing its own URL (for a CORS allowlist, say) before it is served:

        server = LiveServer()
        server.app = create_app(settings_for(server.url))
        with server:
            page.goto(server.url + "/")
    """

    def __init__(self, app=None, *, startup_timeout: float = 15.0) -> None:
        self.app = app
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._startup_timeout = startup_timeout
        self._server = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Self:
        import uvicorn

        if self.app is None:
            raise RuntimeError("LiveServer has no app to serve")
        config = uvicorn.Config(self.app, log_level="warning", lifespan="on", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name="live-server", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + self._startup_timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._socket.close()


def shadow_js(body: str) -> str:
    """A page.evaluate() function with `root` bound to the widget's shadow root."""
    return f"() => {{ const root = document.querySelector('[data-faqbot]').shadowRoot; {body} }}"


def screenshot(
    target: Path, question: str = "Do I need a license to use Customer Insights?", *, dark: bool = False
) -> None:
    """The widget answering `question` on the demo page, with the real model and corpus.

    `dark` shows it in a dark colour scheme, after a thumbs-down (the reasons it offers then)."""
    import os

    from playwright.sync_api import sync_playwright

    from faqbot.answer.pipeline import FAQBot
    from faqbot.core.config import Settings
    from faqbot.doors.http.app import create_app

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(db_path=Path(folder) / "screenshot.sqlite3")
        app = create_app(settings, bot=FAQBot.load(settings=settings))
        with LiveServer(app) as server, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page(
                viewport={"width": 1280, "height": 900},
                device_scale_factor=1,
                color_scheme="dark" if dark else "light",
            )
            page.goto(server.url + "/")
            page.click("[data-faqbot-launcher]")
            page.fill("[role=dialog] textarea", question)
            page.keyboard.press("Enter")
            page.wait_for_selector("[role=dialog] .citation")
            if dark:
                page.click("[role=dialog] .thumb[data-rating=down]")
                page.wait_for_selector("[role=dialog] .feedback-more .chip")
                page.locator("[role=dialog] .feedback-more").scroll_into_view_if_needed()
            page.wait_for_timeout(800)  # let the smooth scroll settle
            target.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(target))
            browser.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Take a screenshot of the widget answering on the demo page.")
    parser.add_argument(
        "target", nargs="?", type=Path, help="the PNG to write (docs/widget.png, or with --dark docs/widget-dark.png)"
    )
    parser.add_argument("--dark", action="store_true", help="a dark colour scheme, after a thumbs-down")
    arguments = parser.parse_args()
    default = Path("docs/widget-dark.png" if arguments.dark else "docs/widget.png")
    screenshot(arguments.target or default, dark=arguments.dark)
