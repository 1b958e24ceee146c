"""Where the package's own files are: templates and static assets ship inside the
package (package data), so a wheel installed anywhere serves the widget.

    >>> (web_dir() / "static" / "widget.js").is_file()
    True
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["static_dir", "swagger_ui_assets", "templates_dir", "web_dir"]


def web_dir() -> Path:
    """The folder of templates and static files inside the installed package."""
    # Wheels install as plain folders, so the resource is a real path that Jinja2 and
    # Starlette's StaticFiles can read directly.
    return Path(str(resources.files(__package__ or "faqbot.doors") / "web"))


def templates_dir() -> Path:
    """Jinja2 templates (pages, the admin page, evaluation reports)."""
    return web_dir() / "templates"


def static_dir() -> Path:
    """The widget, its stylesheet, the demo page's script and the logo."""
    return web_dir() / "static"


def swagger_ui_assets() -> Path:
    """Swagger UI's script, stylesheet and icons, as shipped by the swagger-ui-py package,
    so the /docs page needs no CDN."""
    return Path(str(resources.files("swagger_ui") / "static"))
