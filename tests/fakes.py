"""Test doubles that follow the real interfaces."""

from __future__ import annotations

import hashlib

import numpy as np

from faqbot.core.text import stem_terms
from faqbot.evaluate.evaluation import ItemResult


class HashingEmbedder:
    """A deterministic stand-in for a sentence-transformers model.

    Each stemmed content word and each character trigram is hashed into a
    bucket with a sign; texts that share words get similar vectors, so ranking
    behaves plausibly, and nothing needs to be loaded.
    """

    def __init__(self, dimension: int = 256, name: str = "fake-hashing-embedder") -> None:
        self.dimension = dimension
        self.name = name
        self.calls = 0

    def _bucket(self, feature: str) -> tuple[int, float]:
        digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
        value = int.from_bytes(digest, "little")
        return value % self.dimension, (1.0 if value >> 63 else -1.0)

    def encode(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for term in stem_terms(text):
                bucket, sign = self._bucket("w:" + term)
                vectors[row, bucket] += 2.0 * sign
                padded = f"#{term}#"
                for i in range(len(padded) - 2):
                    bucket, sign = self._bucket("c:" + padded[i : i + 3])
                    vectors[row, bucket] += 0.3 * sign
            norm = np.linalg.norm(vectors[row])
            if norm > 0:
                vectors[row] /= norm
            else:
                vectors[row, 0] = 1.0
        return vectors


def item_result(**overrides: object) -> ItemResult:
    """One evaluated item, answered right at rank 1 unless `overrides` say otherwise."""
    fields: dict[str, object] = {
        "id": "x",
        "kind": "paraphrase",
        "question": "q",
        "answerable": True,
        "expected": ["Q"],
        "got_kind": "retrieval",
        "got_passages": [],
        "cited": None,
        "confidence": 0.9,
        "answer": "a",
        "top1": True,
        "rank": 1,
        "answered_correctly": True,
        "must_contain_ok": None,
        "correct": True,
        "latency_ms": 10.0,
    }
    return ItemResult(**(fields | overrides))
