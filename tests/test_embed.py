"""Embedders: micro-batching under concurrency, and the LRU cache."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from faqbot.search.embed import MicroBatchingEmbedder

from .fakes import HashingEmbedder


class SlowEmbedder(HashingEmbedder):
    """Takes 20 ms a call, like a model, and records the batch sizes it was given."""

    def __init__(self):
        super().__init__()
        self.batch_sizes: list[int] = []

    def encode(self, texts):
        self.batch_sizes.append(len(texts))
        time.sleep(0.02)
        return super().encode(texts)


def test_concurrent_questions_share_model_calls_and_get_their_own_vectors():
    inner = SlowEmbedder()
    batching = MicroBatchingEmbedder(inner)
    questions = [f"question number {i} about topic {i % 7}" for i in range(32)]
    results: dict[int, np.ndarray] = {}
    barrier = threading.Barrier(len(questions))

    def ask(i: int) -> None:
        barrier.wait()
        results[i] = batching.encode([questions[i]])

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(questions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expected = HashingEmbedder().encode(questions)
    for i in range(len(questions)):
        np.testing.assert_allclose(results[i][0], expected[i])
    assert sum(inner.batch_sizes) == len(questions)
    assert len(inner.batch_sizes) < len(questions) / 2  # batches formed


def test_a_lone_question_is_encoded_at_once():
    inner = SlowEmbedder()
    vector = MicroBatchingEmbedder(inner).encode(["just one"])
    assert vector.shape == (1, inner.dimension) and inner.batch_sizes == [1]


def test_bulk_calls_pass_through():
    inner = SlowEmbedder()
    MicroBatchingEmbedder(inner).encode(["a b", "c d", "e f"])
    assert inner.batch_sizes == [3]


def test_a_failing_model_fails_every_waiter():
    class Broken(HashingEmbedder):
        def encode(self, texts):
            raise RuntimeError("model crashed")

    with pytest.raises(RuntimeError, match="model crashed"):
        MicroBatchingEmbedder(Broken()).encode(["anything"])
