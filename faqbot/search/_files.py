"""Durable, atomic file operations for the index folder (the build writer's helpers).

A build is written into a staging folder, flushed to disk (`fsync_tree`), renamed
into place, and only then published by replacing the `CURRENT` pointer file
(`publish`): a build killed at any point leaves the previous index loadable.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from faqbot import __version__
from faqbot.search.manifest import POINTER_FILE

__all__ = ["fsync_tree", "publish", "read_lines", "remove_old_builds", "versions", "write_jsonl"]

STAGING_KEPT_S = 3600
"""A staging folder older than this was left by a killed build (a live build is younger)."""


def write_jsonl(path: Path, rows: Iterable[Any]) -> None:
    """One JSON value a line (UTF-8, not ASCII-escaped)."""
    with open(path, "w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def read_lines(path: Path) -> list[str]:
    """The non-blank lines of a text file."""
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def publish(index_dir: Path, build_id: str) -> None:
    """Point CURRENT at the new build: write a temp file, then rename over (atomic on POSIX)."""
    pointer = index_dir / POINTER_FILE
    temporary = index_dir / f".{POINTER_FILE}.{build_id}.tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(build_id + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, pointer)
    fsync_dir(index_dir)


def remove_old_builds(index_dir: Path, keep: str) -> None:
    """Delete superseded builds and staging folders left by killed builds (older than an hour)."""
    now = time.time()
    for child in index_dir.iterdir():
        if child.name == keep or not child.is_dir():
            continue
        is_old_build = child.name.startswith("build-")
        is_dead_staging = child.name.startswith(".build-") and now - child.stat().st_mtime > STAGING_KEPT_S
        if is_old_build or is_dead_staging:
            shutil.rmtree(child, ignore_errors=True)


def fsync_tree(folder: Path) -> None:
    """Flush every file of `folder` (not recursive) and the folder itself to disk."""
    for path in folder.iterdir():
        with open(path, "rb") as handle:
            os.fsync(handle.fileno())
    fsync_dir(folder)


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (a rename or a new file in it) to disk."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def versions() -> dict[str, str]:
    """The versions of faqbot, Python and the packages that shape a build, for the manifest."""
    from importlib.metadata import PackageNotFoundError, version

    found = {"faqbot": __version__, "python": platform.python_version()}
    packages = ("sentence-transformers", "torch", "onnxruntime", "tokenizers", "faiss-cpu", "numpy", "bm25s")
    for package in (*packages, "markdown-it-py"):
        with contextlib.suppress(PackageNotFoundError):
            found[package] = version(package)
    return found
