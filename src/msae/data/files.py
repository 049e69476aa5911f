"""Dataset files on disk: where they are, how to read them (plain, .gz, .Z), their checksums."""

from __future__ import annotations

import gzip
import hashlib
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from msae.data import lzw
from msae.data.errors import DatasetError, bad_file

CHUNK = 1 << 22
COMPRESSED = (".gz", ".Z")


@dataclass(frozen=True)
class FileSpec:
    """One file of a dataset.

    ``name`` is the file name as published (a path relative to the dataset folder);
    ``urls`` lists where to download it (official source first, then mirrors; empty when it
    is only found inside an archive); ``known_hash`` is the ``"sha256:..."`` / ``"md5:..."``
    digest of the published file; ``content_hashes`` are accepted digests of its decompressed
    content (``sha256:``, ``md5:`` or ``git:`` for a git blob id), so that a copy that is
    stored plain, gzipped or ``.Z``-compressed is verified alike; ``aliases`` are other
    relative paths where the same file may be found.
    """

    name: str
    urls: tuple[str, ...] = ()
    known_hash: str | None = None
    content_hashes: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()

    def candidates(self) -> list[str]:
        """Relative paths to look for, in order: each name plain, then .gz, then .Z."""
        names: list[str] = []
        for name in (self.name, *self.aliases):
            stem = next((name[: -len(s)] for s in COMPRESSED if name.endswith(s)), name)
            names += (name, stem, stem + ".gz", stem + ".Z")
        return list(dict.fromkeys(names))


class Splits(NamedTuple):
    """The four arrays of a dataset.

    As the readers return them: images are uint8 with pixels in (H, W, C) order per row,
    vector data float64, labels int64 in 0..K-1, and a dataset without an official split
    has all rows in the training part. After scaling, features are float32 in [0, 1].
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def find(folder: Path, spec: FileSpec) -> Path | None:
    """The first existing candidate of ``spec`` in ``folder``."""
    return next((folder / n for n in spec.candidates() if (folder / n).is_file()), None)


def _decompress_error(path: Path, exc: Exception) -> DatasetError:
    kind = "a .Z (compress)" if path.suffix == ".Z" else "a gzip"
    return bad_file(path, f"{kind} stream", f"a damaged or truncated one ({exc})")


def iter_content(path: Path) -> Iterator[bytes]:
    """The decompressed content of ``path`` in chunks."""
    if path.suffix == ".Z":
        yield read_content(path)
        return
    try:
        with gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb") as f:
            while chunk := f.read(CHUNK):
                yield chunk
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise _decompress_error(path, exc) from exc


def read_content(path: Path) -> bytes:
    """The whole decompressed content of ``path``."""
    try:
        if path.suffix == ".Z":
            return lzw.decompress(path.read_bytes())
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as f:
                return f.read()
    except (ValueError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise _decompress_error(path, exc) from exc
    return path.read_bytes()


def _digest(algorithm: str, chunks: Iterator[bytes]) -> str:
    if algorithm == "git":  # git blob id: sha1 of "blob <size>\0" + content
        data = b"".join(chunks)
        return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
    h = hashlib.new(algorithm)
    for chunk in chunks:
        h.update(chunk)
    return h.hexdigest()


def _file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            yield chunk


def verify(path: Path, spec: FileSpec) -> bool:
    """Check ``path`` against the digests of ``spec``; raise DatasetError on a mismatch.

    A file with the published name is first checked against the published digest (cheap:
    no decompression); then, or else, its decompressed content against the content digests,
    so that any compression of the file passes. Returns False when no digest applies (the
    file can then only be checked by its structure when it is read).
    """
    checks: list[tuple[str, tuple[str, ...], Callable[[], Iterator[bytes]]]] = []
    if spec.known_hash and path.name == Path(spec.name).name:
        checks.append(("file", (spec.known_hash,), lambda: _file_chunks(path)))
    if spec.content_hashes:
        checks.append(("content", spec.content_hashes, lambda: iter_content(path)))
    if not checks:
        return False
    found = []
    for what, digests, chunks in checks:
        for algorithm in dict.fromkeys(d.split(":")[0] for d in digests):
            value = f"{algorithm}:{_digest(algorithm, chunks())}"
            if value in digests:
                return True
            found.append(f"{what} {value}")
    expected = " or ".join(f"{what} checksum {' or '.join(digests)}" for what, digests, _ in checks)
    raise bad_file(path, expected, " / ".join(found))


def check_rows(path: Path, found: int, expected: int) -> None:
    if found != expected:
        raise bad_file(path, f"{expected} rows", f"{found}")


def check_labels(path: Path, labels: np.ndarray, n_classes: int, first: int = 0) -> np.ndarray:
    """Labels ``first..first+n_classes-1`` (whole numbers) as int64 ``0..n_classes-1``."""
    shifted = labels - first
    bad = (shifted < 0) | (shifted >= n_classes) | (shifted != np.round(shifted))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        expected = f"class labels {first}..{first + n_classes - 1}"
        raise bad_file(path, expected, f"{labels[i]!r} in row {i + 1}")
    return shifted.astype(np.int64)


def parse_table(path: Path, n_columns: int, delimiter: str | None) -> np.ndarray:
    """The numeric text table in ``path``, checked to have ``n_columns`` columns, as float64."""
    lines = read_content(path).decode("latin-1").splitlines()
    try:
        table = np.loadtxt(lines, delimiter=delimiter, ndmin=2)
    except ValueError as exc:
        raise bad_file(path, f"rows of {n_columns} numbers", f"unreadable text ({exc})") from exc
    if table.shape[1] != n_columns:
        raise bad_file(path, f"rows of {n_columns} numbers", f"rows of {table.shape[1]}")
    return table
