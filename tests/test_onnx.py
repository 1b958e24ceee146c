"""The ONNX Runtime encoder: the same vectors as torch, no torch on the query path,
the export cached by content hash, refusals that fall back to torch."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from faqbot.core.config import Settings
from faqbot.core.errors import IndexModelMismatch
from faqbot.search import onnx_export
from faqbot.search.embed import (
    OnnxEmbedder,
    bundled_model_path,
    load_embedder,
    load_onnx_embedder,
    model_fingerprint,
)
from faqbot.search.index import check_model
from faqbot.search.manifest import EncoderInfo, Manifest
from faqbot.search.onnx_export import ExportRefused, passage_texts

from .conftest import DEV_SET, REPO, SHIPPED_CORPUS

MODEL_DIR = Path(bundled_model_path())


def dev_questions() -> list[str]:
    return [json.loads(line)["question"] for line in DEV_SET.read_text().splitlines() if line.strip()]


# --------------------------------------------------------------------------- without the model


def test_the_backend_setting_defaults_to_onnx_and_reads_the_environment(monkeypatch):
    assert Settings().backend == "onnx"
    monkeypatch.setenv("FAQBOT_BACKEND", "torch")
    assert Settings().backend == "torch"
    monkeypatch.setenv("FAQBOT_BACKEND", "tensorflow")
    with pytest.raises(ValueError, match="onnx"):
        Settings()


def test_an_unknown_backend_is_refused_naming_it():
    with pytest.raises(ValueError, match="'gpu'"):
        load_embedder(backend="gpu")


def test_the_fingerprint_follows_the_weights(tmp_path):
    copy = tmp_path / "model"
    copy.mkdir()
    for name in ("config.json", "tokenizer.json", "modules.json"):
        shutil.copy(MODEL_DIR / name, copy / name)
    (copy / "model.safetensors").write_bytes(b"weights one")
    first = model_fingerprint(copy)
    assert model_fingerprint(copy) == first
    (copy / "model.safetensors").write_bytes(b"weights two")
    assert model_fingerprint(copy) != first
    assert len(first) == 64


def test_an_index_built_by_other_weights_is_refused():
    manifest = Manifest(model="m", dimension=384, encoder=EncoderInfo(backend="torch", model_sha256="a" * 64))
    check_model(manifest, "m", "a" * 64)  # same weights, any backend
    check_model(manifest, "m", None)  # nothing to compare
    check_model(Manifest(model="m", dimension=384), "m", "b" * 64)  # from before the encoder was recorded
    with pytest.raises(IndexModelMismatch, match="other weights"):
        check_model(manifest, "m", "b" * 64)


def test_a_remembered_refusal_is_raised_without_exporting_again(tmp_path, monkeypatch):
    folder = tmp_path / model_fingerprint(MODEL_DIR)[:16]
    folder.mkdir()
    (folder / "refused.txt").write_text("only mean pooling is exported\n")
    monkeypatch.setattr(onnx_export, "export_in_subprocess", lambda *a, **k: pytest.fail("exported again"))
    with pytest.raises(ExportRefused, match="only mean pooling"):
        load_onnx_embedder(cache_dirs=[tmp_path])


def test_a_model_without_a_local_folder_is_refused(tmp_path):
    with pytest.raises(ExportRefused, match="not a local folder"):
        load_onnx_embedder("no-such-org/no-such-model", cache_dirs=[tmp_path])


@pytest.mark.parametrize(
    ("kinds", "pooling", "reason"),
    [
        (["Transformer", "Pooling", "Normalize"], "cls", "pools by 'cls'"),
        (["Transformer", "Dense", "Pooling"], "mean", "Transformer \\+ Pooling"),
    ],
)
def test_models_the_graph_cannot_express_are_refused(kinds, pooling, reason):
    def module(kind: str):
        return type(kind, (), {"get_config_dict": lambda self: {"pooling_mode": pooling}})()

    with pytest.raises(ExportRefused, match=reason):
        onnx_export._check_architecture([module(kind) for kind in kinds])


def test_the_check_texts_are_the_passages_as_indexed(tmp_path):
    texts = passage_texts(SHIPPED_CORPUS)
    assert any("$1,700" in text for text in texts)
    assert passage_texts(tmp_path / "missing") == []


# --------------------------------------------------------------------------- with the model


@pytest.fixture(scope="session")
def onnx_cache(tmp_path_factory) -> Path:
    """A cache folder holding the bundled model's export, made once per session (child process)."""
    cache = tmp_path_factory.mktemp("encoders")
    load_onnx_embedder(cache_dirs=[cache], check_texts=lambda: passage_texts(SHIPPED_CORPUS))
    return cache


@pytest.fixture(scope="session")
def onnx_embedder(onnx_cache) -> OnnxEmbedder:
    return load_onnx_embedder(cache_dirs=[onnx_cache])


@pytest.mark.slow
def test_the_export_is_cached_by_content_hash_with_its_check(onnx_cache, onnx_embedder):
    folder = onnx_cache / model_fingerprint(MODEL_DIR)[:16]
    info = json.loads((folder / "encoder.json").read_text())
    assert info["model_sha256"] == model_fingerprint(MODEL_DIR)
    assert info["max_cosine_deviation"] <= onnx_export.MAX_COSINE_DEVIATION
    assert info["checked_texts"] > len(onnx_export.SAMPLE_QUESTIONS)  # the corpus passages too
    assert onnx_embedder.encoder == {
        "backend": "onnx",
        "model_sha256": info["model_sha256"],
        "file": str(folder / "model.onnx"),
    }


@pytest.mark.slow
def test_a_cached_export_is_used_without_exporting(onnx_cache, monkeypatch):
    monkeypatch.setattr(onnx_export, "export_in_subprocess", lambda *a, **k: pytest.fail("exported again"))
    embedder = load_embedder(backend="onnx", cache_dirs=[onnx_cache])
    assert embedder.backend == "onnx" and embedder.dimension == 384


@pytest.mark.slow
def test_onnx_vectors_equal_torch_vectors_one_by_one_and_in_batches(onnx_embedder, real_embedder):
    long_passage = " ".join(passage_texts(SHIPPED_CORPUS))[:4000]  # past max_seq_length: truncated alike
    texts = [*dev_questions(), long_passage, "x", "Ünïcödé ☃ 東京?"]
    expected = real_embedder.encode(texts)
    one_by_one = np.vstack([onnx_embedder.encode([text]) for text in texts])
    batched = onnx_embedder.encode(texts)
    for found in (one_by_one, batched):
        assert found.shape == expected.shape and found.dtype == np.float32
        assert np.max(1.0 - np.sum(found * expected, axis=1)) <= 1e-4
    np.testing.assert_allclose(np.linalg.norm(batched, axis=1), 1.0, atol=1e-5)
    assert onnx_embedder.encode([]).shape == (0, 384)


@pytest.mark.slow
def test_texts_are_padded_only_to_the_longest_of_their_length_group(onnx_embedder, monkeypatch):
    shapes: list[tuple[int, int]] = []
    run = onnx_embedder.session.run

    def recording(names, feed):
        shapes.append(feed["input_ids"].shape)
        return run(names, feed)

    monkeypatch.setattr(onnx_embedder.session, "run", recording)
    monkeypatch.setattr(onnx_embedder, "max_batch_tokens", 64)
    onnx_embedder.encode(["How do I extend the trial?"])
    assert shapes[0][0] == 1 and shapes[0][1] < 16  # a lone question is not padded
    long_passage = " ".join(passage_texts(SHIPPED_CORPUS))[:2000]
    texts = [long_passage, "trial", "How do I extend the trial?"]
    shapes.clear()
    together = onnx_embedder.encode(texts)
    assert shapes[0][0] == 2 and shapes[0][1] < 16  # the two questions, sorted together
    assert shapes[1] == (1, 256)  # the long passage alone, truncated at max_seq_length
    one_by_one = np.vstack([onnx_embedder.encode([text]) for text in texts])
    np.testing.assert_allclose(together, one_by_one, atol=1e-5)


@pytest.mark.slow
def test_an_export_that_differs_from_torch_is_refused_and_torch_is_used(tmp_path, monkeypatch, caplog):
    """An export whose vectors differ beyond the limit is refused, leaves no graph behind,
    and load_embedder says why and serves with torch."""
    monkeypatch.setattr(onnx_export, "MAX_COSINE_DEVIATION", -1.0)  # no export can pass
    target = tmp_path / "export"
    with pytest.raises(ExportRefused, match="other vectors than torch"):
        onnx_export.export_encoder(MODEL_DIR, target, ["How do I extend the trial?"])
    assert not (target / "model.onnx").exists() and not (target / "encoder.json").exists()

    refused = tmp_path / "cache" / model_fingerprint(MODEL_DIR)[:16]
    refused.mkdir(parents=True)
    (refused / "refused.txt").write_text("the ONNX export gives other vectors than torch\n")
    embedder = load_embedder(backend="onnx", cache_dirs=[tmp_path / "cache"])
    assert embedder.backend == "torch"
    assert "falling back to torch" in caplog.text and "other vectors than torch" in caplog.text


_QUERY_PATH = """
import json, sys
from faqbot import FAQBot
from faqbot.core.config import Settings
bot = FAQBot.load(settings=Settings(corpus_dir=sys.argv[1], index_dir=sys.argv[2]))
answer = bot.ask("How do customers purchase more capacity?")
print(json.dumps({
    "modules": sorted(m for m in ("torch", "sentence_transformers", "transformers") if m in sys.modules),
    "backend": bot.embedder.backend,
    "kind": answer.kind,
    "encoder": bot.index.manifest.encoder.model_dump(),
}))
"""


@pytest.mark.slow
def test_load_and_ask_never_import_torch(onnx_cache, tmp_path):
    """With the default backend and a cached export, FAQBot.load (building the index too)
    and ask import neither torch nor sentence-transformers."""
    cache_home = tmp_path / "xdg"
    (cache_home / "faqbot").mkdir(parents=True)
    (cache_home / "faqbot" / "encoders").symlink_to(onnx_cache)
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home), "HF_HUB_OFFLINE": "1"}
    env.pop("FAQBOT_BACKEND", None)
    result = subprocess.run(
        [sys.executable, "-c", _QUERY_PATH, str(SHIPPED_CORPUS), str(tmp_path / "index")],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        check=True,
        timeout=300,
    )
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["modules"] == []
    assert found["backend"] == "onnx" and found["kind"] == "retrieval"
    assert found["encoder"]["backend"] == "onnx"
    assert found["encoder"]["model_sha256"] == model_fingerprint(MODEL_DIR)


@pytest.mark.slow
def test_ready_names_the_backend(onnx_embedder, tmp_path):
    from fastapi.testclient import TestClient

    from faqbot import FAQBot
    from faqbot.doors.http.app import create_app

    settings = Settings(corpus_dir=SHIPPED_CORPUS, index_dir=tmp_path / "index", db_path=tmp_path / "db.sqlite3")
    bot = FAQBot.load(settings=settings, embedder=onnx_embedder)
    with TestClient(create_app(settings, bot=bot)) as client:
        body = client.get("/api/ready").json()
    assert body["backend"] == "onnx"
