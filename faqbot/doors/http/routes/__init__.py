"""The HTTP door's routes, one module per resource, each with an `APIRouter` named `router`.

`ROUTERS` is the one place they are registered: a new resource is a new module here and
one line below. The order is the order routes are matched and listed in the OpenAPI schema.
"""

from __future__ import annotations

from fastapi import APIRouter

from faqbot.doors.http.routes import ask, feedback, ops, pages, widget

__all__ = ["ROUTERS"]

ROUTERS: tuple[APIRouter, ...] = (
    ask.router,  # POST /api/ask
    feedback.router,  # POST /api/feedback
    ops.router,  # GET /api/health, /api/ready
    pages.router,  # GET /, /faq/{document}, /docs
    widget.router,  # GET /widget.js, /widget.css
)
