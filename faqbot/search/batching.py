"""`MicroBatchingEmbedder`: questions that arrive together, encoded in one model call.

Wraps any `Embedder` (see embed.py); `FAQBot.load` wraps the query encoder in it
when `settings.micro_batching` is on.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from faqbot.search.embed import Embedder

__all__ = ["MicroBatchingEmbedder"]


class MicroBatchingEmbedder:
    """Encodes questions that arrive together in one model call.

    No timer and no background thread: the first caller to find the model free
    encodes every question queued at that moment; callers that arrive while the
    model is busy queue up and are served by the next batch. A lone question
    therefore waits for nothing, and under load batches form by themselves.
    Bulk calls (several texts, e.g. while indexing) pass straight through.
    """

    def __init__(self, inner: Embedder, *, max_batch: int = 64) -> None:
        if max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, got {max_batch}")
        self.inner = inner
        self.name = inner.name
        self.dimension = inner.dimension
        self.backend = getattr(inner, "backend", None)
        self.encoder = getattr(inner, "encoder", None)
        self.max_batch = max_batch
        self.batches = 0
        self._pending: list[tuple[str, Future]] = []
        self._pending_lock = threading.Lock()
        self._model_lock = threading.Lock()

    def encode(self, texts: list[str]) -> np.ndarray:
        if len(texts) != 1:
            with self._model_lock:
                return self.inner.encode(texts)
        future: Future = Future()
        with self._pending_lock:
            self._pending.append((texts[0], future))
        while not future.done():
            with self._model_lock:
                if future.done():
                    break
                with self._pending_lock:
                    batch = self._pending[: self.max_batch]
                    del self._pending[: self.max_batch]
                self._encode_batch(batch)
        return future.result()[None, :]

    def _encode_batch(self, batch: list[tuple[str, Future]]) -> None:
        self.batches += 1
        try:
            vectors = self.inner.encode([text for text, _ in batch])
        except BaseException as error:  # every waiter must hear of it, then it propagates to each
            for _, waiting in batch:
                waiting.set_exception(error)
            return
        for (_, waiting), vector in zip(batch, vectors, strict=False):
            waiting.set_result(vector)
