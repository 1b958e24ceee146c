"""The embeddable widget: `GET /widget.js` and its styles, `GET /widget.css`. Other sites load
them (one `<script>` tag), so they are cacheable and allowed cross-origin."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

from faqbot.doors.assets import static_dir

__all__ = ["router"]

STATIC_DIR = static_dir()

router = APIRouter(include_in_schema=False)


def _asset(name: str, media_type: str) -> Response:
    return FileResponse(
        STATIC_DIR / name,
        media_type=media_type,
        headers={
            "Cache-Control": "public, max-age=300",
            # Other sites embed the widget: let them load it.
            "Cross-Origin-Resource-Policy": "cross-origin",
        },
    )


@router.get("/widget.js")
def widget_js() -> Response:
    return _asset("widget.js", "text/javascript; charset=utf-8")


@router.get("/widget.css")
def widget_css() -> Response:
    return _asset("widget.css", "text/css; charset=utf-8")
