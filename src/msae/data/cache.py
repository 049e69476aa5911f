"""Cache of scaled arrays: one folder of ``.npy`` files per (dataset, source files, seed).

A folder is written under a temporary name and renamed into place, so a reader sees either
no entry or a complete one. Arrays are memory-mapped copy-on-write when loaded back.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import platformdirs

from msae.data.files import Splits

CACHE_ENV = "MSAE_CACHE"
VERSION = 1  # bump when the readers or the scaling change what is stored


def get_cache_dir(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """The cache root: the argument, else ``$MSAE_CACHE``, else a per-user cache folder."""
    if cache_dir is not None:
        return Path(cache_dir)
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    return platformdirs.user_cache_path("msae") / "arrays"


def entry(root: Path, name: str, sources: list[Path], params: list[object]) -> Path:
    """The folder for ``name`` built from ``sources`` (by path, size and mtime) and ``params``."""
    stats = [(str(p.resolve()), p.stat().st_size, p.stat().st_mtime_ns) for p in sources]
    key = json.dumps([VERSION, name, stats, params], default=str)
    return root / f"{name}-{hashlib.sha256(key.encode()).hexdigest()[:16]}"


def load(folder: Path) -> Splits | None:
    """The cached arrays (memory-mapped), or None if there is no readable entry."""
    if not folder.is_dir():
        return None
    try:
        return Splits(*(np.load(folder / f"{f}.npy", mmap_mode="c") for f in Splits._fields))
    except (OSError, ValueError):
        return None


def save(folder: Path, arrays: Splits) -> None:
    """Write the entry atomically; if another process wrote it first, keep theirs. An entry
    that cannot be read (a file truncated or deleted) is replaced, not kept: it would make
    every later load read the source files again."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        for field, array in zip(Splits._fields, arrays, strict=True):
            np.save(tmp / f"{field}.npy", array)
        try:
            os.replace(tmp, folder)
        except OSError:
            if not folder.is_dir():
                raise
            if load(folder) is None:  # damaged: in its place, the entry just written
                shutil.rmtree(folder)
                os.replace(tmp, folder)
            # else another process wrote it first, and theirs is kept
    except OSError:
        if not folder.is_dir():
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
