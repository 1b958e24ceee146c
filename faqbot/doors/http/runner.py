"""Serving the app: `run` (uvicorn, one process or several workers) and the environment that
carries the settings to the workers.

    >>> run(Settings(), "127.0.0.1", 8000)    # doctest: +SKIP

With several workers each process builds its own app from the environment
(`faqbot.doors.http.app:app_from_env`, a uvicorn factory).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from typing import TYPE_CHECKING

from fastapi.encoders import jsonable_encoder
from pydantic_settings import BaseSettings

from faqbot.core.config import Settings

if TYPE_CHECKING:
    from faqbot.answer.pipeline import FAQBot

__all__ = ["APP_FACTORY", "run", "settings_environment"]

APP_FACTORY = "faqbot.doors.http.app:app_from_env"
"""What each of several workers imports and calls to build its app."""


def run(
    settings: Settings, host: str = "127.0.0.1", port: int = 8000, workers: int = 1, *, bot: FAQBot | None = None
) -> None:
    """Serve the app with uvicorn until interrupted.

    With several workers each process builds its own app from the environment,
    so `settings` is first written to the `FAQBOT_*` variables the workers read,
    and `FAQBOT_WORKERS` tells each one its share of the cores. A loaded `bot` is
    served as is by a single worker.
    """
    import uvicorn

    # The app module imports this one (to offer `run`): import it when serving, not before.
    from faqbot.doors.http.app import create_app

    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    # The embedder shares the cores between the worker processes (see embed.load_embedder).
    os.environ["FAQBOT_WORKERS"] = str(workers)
    # uvicorn would believe X-Forwarded-For from 127.0.0.1 by default; the rate limiter
    # decides which proxies to believe itself (settings.trusted_proxies).
    if workers == 1:
        uvicorn.run(create_app(settings, bot=bot), host=host, port=port, proxy_headers=False)
        return
    os.environ.update(settings_environment(settings))
    for name in _unset_fields(settings):
        os.environ.pop(name, None)
    uvicorn.run(APP_FACTORY, factory=True, host=host, port=port, workers=workers, proxy_headers=False)


def settings_environment(settings: BaseSettings) -> dict[str, str]:
    """The `FAQBOT_*` variables that make `Settings()` equal to `settings` (None fields left out)."""
    prefix = settings.model_config.get("env_prefix", "")
    env: dict[str, str] = {}
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if value is None:
            continue
        if hasattr(value, "get_secret_value"):
            value = value.get_secret_value()
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, (list, dict, tuple)):
            text = json.dumps(jsonable_encoder(value))
        elif isinstance(value, dt.date):
            text = value.isoformat()
        else:
            text = str(value)
        env[f"{prefix}{name}".upper()] = text
    return env


def _unset_fields(settings: BaseSettings) -> list[str]:
    prefix = settings.model_config.get("env_prefix", "")
    return [f"{prefix}{name}".upper() for name in type(settings).model_fields if getattr(settings, name) is None]
