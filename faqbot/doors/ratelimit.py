"""Per-client rate limiting: one token bucket per client address, in memory.

    >>> limiter = RateLimiter(parse_rate("2/second"), clock=lambda: 100.0)
    >>> [limiter.hit("203.0.113.7") for _ in range(3)]     # a burst of 2, then wait 0.5 s
    [0.0, 0.0, 0.5]
    >>> limiter.hit("198.51.100.1")                        # another client has its own bucket
    0.0

A rate "N/period" lets a client send a burst of N requests, then one every
period/N: "30/minute" is 30 at once, then one every 2 s. The table of buckets
is bounded (`max_clients`): past it the client seen least recently is dropped,
which can only make the limiter more lenient to that client, never stricter.
`RateLimiter` keeps its buckets in one process; `SharedRateLimiter` keeps them in
the store, so every worker and replica draws on one budget per client:

    >>> shared = SharedRateLimiter(parse_rate("8/minute"), store)   # doctest: +SKIP

When the store fails, `SharedRateLimiter` falls back to buckets in this process
(still a limit, per process) and counts the fallback, rather than refusing or
failing requests.

Which address is the client's: the TCP peer, unless the peer is one of the
`trusted_proxies`; then `X-Forwarded-For` is read from the right, skipping the
trusted hops, so a client cannot choose its own key by sending the header.
"""

from __future__ import annotations

import ipaddress
import math
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cachetools import LRUCache

if TYPE_CHECKING:
    from faqbot.store import AnswerStore

__all__ = ["Rate", "RateLimiter", "SharedRateLimiter", "TrustedProxies", "client_address", "parse_rate"]

_UNITS = {
    "s": 1.0, "sec": 1.0, "second": 1.0,
    "m": 60.0, "min": 60.0, "minute": 60.0,
    "h": 3600.0, "hr": 3600.0, "hour": 3600.0,
    "d": 86400.0, "day": 86400.0,
}  # fmt: skip
_RATE = re.compile(r"^\s*(\d+)\s*(?:/|per)\s*(\d+(?:\.\d+)?)?\s*([a-z]+)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Rate:
    """`count` requests per `period_s` seconds."""

    count: int
    period_s: float

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ValueError(f"a rate limit allows at least 1 request, got {self.count!r}")
        if not self.period_s > 0:
            raise ValueError(f"a rate limit's period must be positive, got {self.period_s!r}")

    def __str__(self) -> str:
        for name, seconds in (("day", 86400.0), ("hour", 3600.0), ("minute", 60.0), ("second", 1.0)):
            if self.period_s == seconds:
                return f"{self.count}/{name}"
        return f"{self.count}/{self.period_s:g}s"


def parse_rate(text: str) -> Rate:
    """A rate from text: "30/minute", "5/second", "1000/hour", "10000/day", "10/30s", "5 per minute".

    >>> parse_rate("30/minute")
    Rate(count=30, period_s=60.0)
    """
    match = _RATE.match(text) if isinstance(text, str) else None
    unit = None
    if match:
        name = match.group(3).lower()
        if name not in _UNITS and len(name) > 2 and name.endswith("s"):
            name = name[:-1]  # plurals: "seconds", "mins", "hrs"
        unit = _UNITS.get(name)
    if not match or unit is None:
        raise ValueError(
            f"cannot read the rate limit {text!r}: write it as a count per period, such as "
            '"30/minute", "5/second", "1000/hour" or "10/30s"'
        )
    multiple = float(match.group(2)) if match.group(2) else 1.0
    return Rate(int(match.group(1)), multiple * unit)


class RateLimiter:
    """Thread-safe token buckets, one per key (a client address)."""

    def __init__(self, rate: Rate, *, max_clients: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        if not isinstance(rate, Rate):
            raise TypeError(f"rate must be a Rate (see parse_rate), got {rate!r}")
        if isinstance(max_clients, bool) or not isinstance(max_clients, int) or max_clients < 1:
            raise ValueError(f"max_clients must be a positive integer, got {max_clients!r}")
        self.rate = rate
        self.max_clients = max_clients
        self._clock = clock
        self._refill_per_s = rate.count / rate.period_s
        # key -> (tokens, at); past max_clients the client seen least recently is dropped.
        self._buckets: LRUCache[str, tuple[float, float]] = LRUCache(maxsize=max_clients)
        self._lock = threading.Lock()  # a bucket is read, refilled and written back as one step

    def __len__(self) -> int:
        return len(self._buckets)

    def hit(self, key: str) -> float:
        """Take one request from `key`'s bucket: 0.0 when allowed, else the seconds to wait."""
        with self._lock:
            now = self._clock()
            tokens, at = self._buckets.get(key, (float(self.rate.count), now))
            tokens = min(float(self.rate.count), tokens + (now - at) * self._refill_per_s)
            if tokens >= 1.0:
                tokens -= 1.0
                wait = 0.0
            else:
                wait = (1.0 - tokens) / self._refill_per_s
            self._buckets[key] = (tokens, now)  # now the most recently seen
            return wait

    @staticmethod
    def retry_after(wait_s: float) -> int:
        """`Retry-After` in whole seconds (rounded up, at least 1)."""
        return max(1, math.ceil(wait_s))


class SharedRateLimiter:
    """Token buckets in the store, one per key, shared by every process on that database.

    Same interface as `RateLimiter` (`rate`, `hit`, `retry_after`). Each `hit` is one
    atomic statement (`store.take_token`), so concurrent requests on any replica never
    take the same token twice. `fallbacks` counts the hits decided in process memory
    because the store failed.
    """

    def __init__(self, rate: Rate, store: AnswerStore, *, fallback: RateLimiter | None = None) -> None:
        if not isinstance(rate, Rate):
            raise TypeError(f"rate must be a Rate (see parse_rate), got {rate!r}")
        self.rate = rate
        self.store = store
        self.fallback = fallback or RateLimiter(rate)
        self.fallbacks = 0
        self._refill_per_s = rate.count / rate.period_s

    def hit(self, key: str) -> float:
        """Take one request from `key`'s budget: 0.0 when allowed, else the seconds to wait.
        Blocks on the database: call it from a worker thread, not the event loop."""
        from faqbot.store import StoreError, warn_store_failure

        try:
            return self.store.take_token(key, self.rate.count, self._refill_per_s).wait_s
        except StoreError as error:
            self.fallbacks += 1
            warn_store_failure("rate limits kept in this process only", error)
            return self.fallback.hit(key)

    retry_after = staticmethod(RateLimiter.retry_after)


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class TrustedProxies:
    """The proxies whose `X-Forwarded-For` is believed: addresses or networks, or "*" for any peer."""

    def __init__(self, entries: Iterable[str] = ()) -> None:
        if isinstance(entries, str):
            entries = [part for part in re.split(r"[\s,]+", entries) if part]
        self.any = False
        self.networks: list[Network] = []
        for entry in entries:
            if entry == "*":
                self.any = True
                continue
            try:
                self.networks.append(ipaddress.ip_network(str(entry).strip(), strict=False))
            except ValueError as error:
                raise ValueError(
                    f"trusted proxy {entry!r} is not an IP address or network (such as 10.0.0.0/8)"
                ) from error

    def __bool__(self) -> bool:
        return self.any or bool(self.networks)

    def __contains__(self, address: str) -> bool:
        if self.any:
            return True
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks)


def client_address(peer: str | None, forwarded_for: Sequence[str], trusted: TrustedProxies) -> str:
    """The client's address: `peer`, or, when `peer` is a trusted proxy, the nearest untrusted
    hop of `X-Forwarded-For` (all the header's values, in order)."""
    peer = peer or "unknown"
    if not trusted or peer not in trusted:
        return peer
    hops = [hop.strip() for value in forwarded_for for hop in value.split(",") if hop.strip()]
    client = peer
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            break  # garbage: the nearest hop that made sense is the client
        client = hop
        if hop not in trusted:
            break
    return client
