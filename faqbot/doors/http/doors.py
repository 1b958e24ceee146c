"""The other doors the HTTP app serves beside its own API and pages: each is a function that
mounts its routes on the app, and `DOORS` is the one place they are registered (a new door is a
new function, here or in its own module, and one line in `DOORS`).

A door's routes read the app's bot and store through `app.state` at request time, so they
follow a reloaded index and a reopened store.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from faqbot.doors.admin import create_admin_router
from faqbot.doors.http.models import SLACK_RESPONSES
from faqbot.doors.slack import create_slack_router

__all__ = ["DOORS", "mount_admin", "mount_slack"]


def mount_slack(app: FastAPI, settings: Any) -> None:
    """Slack and Mattermost-style slash commands (closed unless a secret or token is configured)."""
    app.include_router(
        create_slack_router(settings, lambda: app.state.bot, get_store=lambda: app.state.store),
        responses=SLACK_RESPONSES,
    )


def mount_admin(app: FastAPI, settings: Any) -> None:
    """The FAQ owner's page of unanswered questions (404 unless FAQBOT_ADMIN_TOKEN is set)."""
    app.include_router(create_admin_router(settings, lambda: app.state.store, lambda: app.state.bot))


DOORS: tuple[Callable[[FastAPI, Any], None], ...] = (
    mount_slack,
    mount_admin,
)
