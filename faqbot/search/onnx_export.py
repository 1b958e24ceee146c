"""Export a sentence-transformers model to ONNX once, and refuse an export that
does not give the torch vectors.

The graph takes `input_ids`, `attention_mask` (and `token_type_ids` when the
model has them), with dynamic batch and sequence axes, and returns the
L2-normalised mean-pooled embedding, so ONNX Runtime alone computes exactly
what `SentenceTransformer.encode(..., normalize_embeddings=True)` does.

The export runs in a child process (`python -m bot.onnx_export`): it needs
torch, and the process that serves questions must never import it (torch and
sentence-transformers hold ~500 MB and take seconds to import).

    info = export_encoder(model_dir, target_dir, check_texts=["How do I extend the trial?"])
    info["max_cosine_deviation"]     # e.g. 4e-07; above MAX_COSINE_DEVIATION the export is refused

Errors: `ExportRefused` (the model cannot be exported faithfully: unsupported
pooling, the exporter failed, or its vectors differ from torch's); defined in
`faqbot.core.errors`, importable from here as before.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from faqbot.core.errors import ExportRefused

__all__ = [
    "INFO_FILE",
    "MAX_COSINE_DEVIATION",
    "ONNX_FILE",
    "SAMPLE_QUESTIONS",
    "ExportRefused",
    "export_encoder",
    "export_in_subprocess",
    "passage_texts",
]

MAX_COSINE_DEVIATION = 1e-4
"""Largest 1 - cos(onnx, torch) accepted over the check texts."""

ONNX_FILE = "model.onnx"
INFO_FILE = "encoder.json"
OPSET = 17

SAMPLE_QUESTIONS: tuple[str, ...] = (
    "How do I extend the trial?",
    "What does it cost per month for a new customer?",
    "Can I export my data before the subscription ends?",
    "Is there a limit on the number of users or environments?",
    "Who do I contact for support",
    "pricing",
    "When will the old version be retired, and what happens to my existing contracts and data then?",
    "¿Dónde está la configuración? Ça marche? 東京",
    "capcity licence renewel",
    "Hi team, how do I change the region of my tenant? Thanks!",
)
"""Questions of several kinds and lengths, checked besides the corpus passages."""


def passage_texts(corpus_dir: Path) -> list[str]:
    """The texts the index embeds for each passage of the corpus in `corpus_dir` (none when
    there is no such folder): what an export is checked on besides SAMPLE_QUESTIONS."""
    from faqbot.ingest.corpus import load_corpus
    from faqbot.search.index import VIEWS, view_texts

    if not Path(corpus_dir).is_dir():
        return []
    return [view_texts(passage)[view] for passage in load_corpus(Path(corpus_dir)).passages for view in VIEWS]


def _check_architecture(model) -> None:
    """Refuse anything but a [Transformer, mean Pooling, (Normalize)] model: the graph only
    knows mean pooling (normalisation is always applied, as the index asks for it)."""
    modules = list(model)
    kinds = [type(module).__name__ for module in modules]
    if kinds not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
        raise ExportRefused(f"only Transformer + Pooling (+ Normalize) models are exported, this one has {kinds}")
    mode = modules[1].get_config_dict().get("pooling_mode")
    if mode not in ("mean", ["mean"]):
        raise ExportRefused(f"only mean pooling is exported, this model pools by {mode!r}")


def export_encoder(model_dir: Path, target_dir: Path, check_texts: list[str]) -> dict:
    """Export the model in `model_dir` to `target_dir/model.onnx`, check it against the torch
    path on `check_texts` plus SAMPLE_QUESTIONS, and write `target_dir/encoder.json`.

    Returns the info written. Raises ExportRefused (and leaves nothing in `target_dir`)
    when the model cannot be exported or its vectors differ by more than MAX_COSINE_DEVIATION.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    from faqbot.search.embed import model_fingerprint

    transformers_logging.disable_progress_bar()
    target_dir = Path(target_dir)
    target_dir.mkdir(parents=True, exist_ok=True)
    model = SentenceTransformer(str(model_dir), device="cpu")
    _check_architecture(model)
    onnx_path = target_dir / ONNX_FILE
    _export_graph(model, onnx_path)
    texts = [*SAMPLE_QUESTIONS, *check_texts]
    deviation = _deviation_from_torch(model, Path(model_dir), onnx_path, texts)
    if not deviation <= MAX_COSINE_DEVIATION:
        onnx_path.unlink(missing_ok=True)
        raise ExportRefused(
            f"the ONNX export gives other vectors than torch: max 1 - cos = {deviation:.2e} over "
            f"{len(texts)} texts (the limit is {MAX_COSINE_DEVIATION:.0e})"
        )
    info = {
        "model_sha256": model_fingerprint(Path(model_dir)),
        "file": ONNX_FILE,
        "max_cosine_deviation": deviation,
        "checked_texts": len(texts),
        "opset": OPSET,
        "torch": torch.__version__,
        "exported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    (target_dir / INFO_FILE).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return info


def _export_graph(model: Any, onnx_path: Path) -> None:
    """Write the graph transformer -> mean pooling -> unit length to `onnx_path` (ExportRefused
    when the exporter fails)."""
    import torch

    transformer = model[0].auto_model.eval()
    # Plain ("eager") attention traces to MatMul/Softmax, which ONNX Runtime fuses; the SDPA
    # graph encoded single questions 0.77-0.95x as fast here (noisy, 2 busy cores).
    with contextlib.suppress(AttributeError, ValueError):
        transformer.set_attn_implementation("eager")

    class PooledEncoder(torch.nn.Module):
        """transformer -> mean over real tokens -> unit length."""

        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=1)

    # A padded example batch, so nothing specialises the graph to an all-ones mask.
    example_ids = torch.tensor([[101, 2054, 2003, 102], [101, 2054, 102, 0]], dtype=torch.int64)
    example_mask = (example_ids != 0).to(torch.int64)
    inputs = ("input_ids", "attention_mask", "token_type_ids")
    try:
        with warnings.catch_warnings(), torch.no_grad():
            # The TorchScript exporter: one self-contained file in seconds. (The dynamo
            # exporter took 24 s here and wrote a graph ONNX Runtime 1.32 refused to load.)
            warnings.simplefilter("ignore")
            torch.onnx.export(
                PooledEncoder(transformer),
                (example_ids, example_mask, torch.zeros_like(example_ids)),
                str(onnx_path),
                input_names=list(inputs),
                output_names=["embedding"],
                dynamic_axes={**{name: {0: "batch", 1: "sequence"} for name in inputs}, "embedding": {0: "batch"}},
                opset_version=OPSET,
                dynamo=False,
            )
    except Exception as error:  # any exporter failure means "use torch", said clearly
        raise ExportRefused(f"torch.onnx.export failed: {type(error).__name__}: {error}") from error


def _deviation_from_torch(model: Any, model_dir: Path, onnx_path: Path, texts: list[str]) -> float:
    """The largest 1 - cos between the torch and the ONNX vectors of `texts`, encoded one by
    one and in batches."""
    from faqbot.search.embed import OnnxEmbedder

    expected = model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
    onnx = OnnxEmbedder(model_dir, onnx_path, threads=1)
    one_by_one = np.vstack([onnx.encode([text]) for text in texts])
    batched = onnx.encode(texts)
    return float(max(np.max(1.0 - np.sum(found * expected, axis=1)) for found in (one_by_one, batched)))


def export_in_subprocess(model_dir: Path, target_dir: Path, check_texts: list[str], *, timeout: float = 600) -> dict:
    """Run `export_encoder` in a child process (so this one never imports torch).

    Raises ExportRefused with the child's one-line reason when it fails.
    """
    import subprocess

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as handle:
        json.dump(check_texts, handle)
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "faqbot.search.onnx_export",
                str(model_dir),
                str(target_dir),
                "--check-texts",
                handle.name,
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,  # a failure is read from stderr below
            env={**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"},
        )
    except subprocess.TimeoutExpired as error:
        raise ExportRefused(f"the ONNX export did not finish in {timeout:.0f} s") from error
    finally:
        os.unlink(handle.name)
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        raise ExportRefused(lines[-1] if lines else f"the export process exited with {result.returncode}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    """`python -m bot.onnx_export MODEL_DIR TARGET_DIR [--check-texts FILE.json]`: prints the info as JSON."""
    parser = argparse.ArgumentParser(description="Export a sentence-transformers model to ONNX and check it.")
    parser.add_argument("model_dir", type=Path)
    parser.add_argument("target_dir", type=Path)
    parser.add_argument("--check-texts", type=Path, help="a JSON list of texts to compare (e.g. the corpus passages)")
    args = parser.parse_args(argv)
    texts = json.loads(args.check_texts.read_text(encoding="utf-8")) if args.check_texts else []
    try:
        info = export_encoder(args.model_dir, args.target_dir, texts)
    except ExportRefused as error:
        print(f"onnx export refused: {error}", file=sys.stderr)
        return 1
    print(json.dumps(info))
    return 0


if __name__ == "__main__":
    sys.exit(main())
