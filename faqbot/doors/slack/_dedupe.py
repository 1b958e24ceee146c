"""Answering a mention once: Slack retries an event it thinks was missed, and a direct
message can arrive both as `app_mention` and `message.im`. Each delivery is claimed by its
keys (event id, `channel:ts`) in the shared store, so of all replicas exactly one answers;
when the store fails, in this process's memory (`SeenEvents`)."""

from __future__ import annotations

import threading

from cachetools import FIFOCache

from faqbot.store import AnswerStore, StoreError, warn_store_failure

__all__ = ["SEEN_EVENTS", "SeenEvents", "claim_delivery"]

SEEN_EVENTS = 10_000
"""How many event ids (and message keys) are remembered to swallow Slack's retries."""


class SeenEvents:
    """A bounded, thread-safe memory of handled event keys, oldest forgotten first.

    >>> seen = SeenEvents(limit=2)
    >>> seen.claim("Ev1"), seen.claim("Ev1"), seen.claim("Ev2", "C1:1.0"), seen.claim("C1:1.0")
    (True, False, True, False)
    """

    def __init__(self, limit: int = SEEN_EVENTS) -> None:
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit!r}")
        self.limit = limit
        # First in, first out: a key seen again is not refreshed, as a retry is no new delivery.
        self._keys: FIFOCache[str, None] = FIFOCache(maxsize=limit)
        self._lock = threading.Lock()

    def claim(self, *keys: str) -> bool:
        """True (and remember every key) when none of `keys` was seen; False otherwise."""
        keys = tuple(key for key in keys if key)
        with self._lock:
            if any(key in self._keys for key in keys):
                return False
            for key in keys:
                self._keys[key] = None
            return True

    def __len__(self) -> int:
        with self._lock:
            return len(self._keys)


def claim_delivery(store: AnswerStore | None, seen: SeenEvents, *keys: str) -> bool:
    """Claim a delivery in the shared store; in this process's memory when the store fails."""
    if store is not None:
        try:
            claimed = store.claim_delivery(*keys)
        except StoreError as error:
            warn_store_failure("Slack retries deduplicated in this process only", error)
        else:
            seen.claim(*keys)  # remembered here too, for a later outage
            return claimed
    return seen.claim(*keys)
