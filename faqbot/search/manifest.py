"""The index's description of itself: `manifest.json` as a typed record, and the checks on it.

    >>> manifest = Manifest(model="m", dimension=384)
    >>> manifest.model, manifest.counts.passages, manifest["dimension"]
    ('m', 0, 384)

The file's format is fixed (outside tools read it): the keys below, in this order,
written with `json.dumps(..., indent=2)`. Keys a newer or older faqbot wrote that
this one does not know are kept (`extra="allow"`), and a key missing from an older
build takes its default. `Manifest.to_json()` writes exactly the keys that were set.

Also here: finding the build in use (`resolve_build`), reading its manifest
(`read_manifest`), and refusing an index built by another model (`check_model`),
from another corpus (`corpus_of_index`) or from an older corpus (`check_fresh`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from faqbot.core.config import Settings
from faqbot.core.errors import IndexCorpusMismatch, IndexCorrupt, IndexMissing, IndexModelMismatch, IndexStale
from faqbot.ingest.corpus import corpus_file_hashes

__all__ = [
    "FORMAT_VERSION",
    "MANIFEST",
    "METRIC",
    "POINTER_FILE",
    "BuildCounts",
    "DocumentSummary",
    "EncoderInfo",
    "Manifest",
    "changed_corpus_files",
    "check_fresh",
    "check_model",
    "corpus_of_index",
    "read_manifest",
    "resolve_build",
]

FORMAT_VERSION = 1
POINTER_FILE = "CURRENT"
MANIFEST = "manifest.json"
METRIC = "inner_product (normalized vectors: cosine)"


class _ManifestRecord(BaseModel):
    """Frozen, keeps unknown keys, and reads like the plain dict the manifest used to be."""

    model_config = ConfigDict(frozen=True, extra="allow")

    def __getitem__(self, key: str) -> Any:
        """`manifest["counts"]["passages"]`: dict-style reading, for code written when the
        manifest was a plain dict (new code reads attributes: `manifest.counts.passages`)."""
        if key in type(self).model_fields:
            return getattr(self, key)
        extra = self.model_extra or {}
        if key in extra:
            return extra[key]
        raise KeyError(key)

    def get(self, key: str, default: Any = None) -> Any:
        """`manifest.get("corpus_dir")`: like `dict.get` (see `__getitem__`)."""
        try:
            return self[key]
        except KeyError:
            return default


class EncoderInfo(_ManifestRecord):
    """Which encoder made the vectors: backend, file, and the model's content hash."""

    backend: str | None = None
    model_sha256: str | None = None
    file: str | None = None


class DocumentSummary(_ManifestRecord):
    """One corpus document as indexed: its passages and the parser's warnings."""

    source: str
    title: str
    passages: int
    warnings: tuple[str, ...] = ()


class BuildCounts(_ManifestRecord):
    """How many passages, answer sentences and facts the build holds."""

    passages: int = 0
    sentences: int = 0
    facts: int = 0


class Manifest(_ManifestRecord):
    """`manifest.json`: model, dimension, metric, views, corpus file hashes, versions, time."""

    format_version: int = FORMAT_VERSION
    model: str
    dimension: int
    encoder: EncoderInfo | None = None
    corpus_dir: str | None = None
    """The corpus folder the index was built from (absolute); None in builds older than it."""
    corpus_files: dict[str, str] = Field(default_factory=dict)
    """Corpus-relative path -> content hash of each corpus file, to judge staleness."""
    documents: tuple[DocumentSummary, ...] = ()
    problems: tuple[str, ...] = ()
    metric: str = METRIC
    views: tuple[str, ...] = ()
    faiss_index: str = "IndexFlatIP"
    counts: BuildCounts = Field(default_factory=BuildCounts)
    versions: dict[str, str] = Field(default_factory=dict)
    built_at: str | None = None
    build_seconds: float | None = None

    def to_json(self) -> str:
        """The file's text: the keys that were set, in the order above, indented by 2."""
        return json.dumps(self.model_dump(mode="json", exclude_unset=True), indent=2) + "\n"


def resolve_build(index_dir: Path) -> Path:
    """The build folder in use: `index_dir` itself if it holds a manifest, else the one CURRENT names."""
    index_dir = Path(index_dir)
    if (index_dir / MANIFEST).is_file():
        return index_dir
    pointer = index_dir / POINTER_FILE
    if not pointer.is_file():
        raise IndexMissing(f"no index in {index_dir}/: build it with `faqbot index`")
    build = index_dir / pointer.read_text(encoding="utf-8").strip()
    if not (build / MANIFEST).is_file():
        raise IndexCorrupt(f"{pointer} names {build.name}, which has no {MANIFEST}: rebuild with `faqbot index`")
    return build


def read_manifest(index_dir: Path) -> Manifest:
    """The manifest of the build in use (IndexMissing / IndexCorrupt when there is none)."""
    build = resolve_build(index_dir)
    try:
        raw = json.loads((build / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise IndexCorrupt(f"cannot read {build / MANIFEST}: {error}") from error
    version = raw.get("format_version") if isinstance(raw, dict) else None
    if version != FORMAT_VERSION:
        raise IndexCorrupt(
            f"{build} has index format {version!r}, this faqbot reads {FORMAT_VERSION}: rebuild with `faqbot index`"
        )
    try:
        return Manifest.model_validate(raw)
    except ValidationError as error:
        raise IndexCorrupt(f"cannot read {build / MANIFEST}: {error}") from error


def check_model(manifest: Manifest, model: str, model_sha256: str | None = None) -> None:
    """Refuse an index built with another embedding model: its vectors would be meaningless.

    With `model_sha256` (the loaded model's content hash), also refuse an index built by
    other weights under the same name (e.g. an upgraded model package). Either backend
    may load an index built by the other: their vectors agree (checked at export).
    """
    if manifest.model != model:
        raise IndexModelMismatch(
            f"the index was built with model {manifest.model!r} but the bot is set to use "
            f"{model!r}; rebuild it with `faqbot index` or set FAQBOT_MODEL={manifest.model}"
        )
    built_with = manifest.encoder.model_sha256 if manifest.encoder else None
    if model_sha256 and built_with and built_with != model_sha256:
        raise IndexModelMismatch(
            f"the index was built with other weights of {model!r} (content hash {built_with[:12]}, "
            f"the model loaded now is {model_sha256[:12]}); rebuild it with `faqbot index`"
        )


def changed_corpus_files(manifest: Manifest, corpus_dir: Path) -> list[str]:
    """The corpus files added, removed or edited since the build (by content hash)."""
    built = manifest.corpus_files
    now = corpus_file_hashes(Path(corpus_dir))
    return sorted(name for name in set(built) | set(now) if built.get(name) != now.get(name))


def check_fresh(manifest: Manifest, corpus_dir: Path) -> None:
    """Raise IndexStale when the corpus changed since the build."""
    changed = changed_corpus_files(manifest, corpus_dir)
    if changed:
        shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
        raise IndexStale(f"the corpus changed since the index was built ({shown}): rebuild with `faqbot index`")


def corpus_of_index(settings: Settings, manifest: Manifest | None) -> Path:
    """The corpus folder an index is checked against, and rebuilt from, when it is loaded.

    An index keeps its own corpus: with no corpus named explicitly (`Settings(corpus_dir=...)`,
    FAQBOT_CORPUS_DIR, `--corpus`), it is the folder recorded in the manifest, whatever the
    current directory holds. A corpus named explicitly must be that folder, else
    IndexCorpusMismatch: an index is never rebuilt over from another corpus behind its owner's back.
    """
    named = Path(settings.corpus_dir)
    if manifest is None or not manifest.corpus_dir:
        return named  # no index yet, or one from before the manifest recorded its corpus
    recorded = Path(manifest.corpus_dir)
    if "corpus_dir" not in settings.model_fields_set:
        return recorded
    if named.resolve() != recorded:
        raise IndexCorpusMismatch(
            f"the index in {settings.index_dir} was built from {recorded}, not {named.resolve()}: "
            f"name another index for this corpus (--index DIR), or rebuild this one on purpose with "
            f"`faqbot index --corpus {named} --index {settings.index_dir}`"
        )
    return named
