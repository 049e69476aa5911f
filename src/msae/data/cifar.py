"""CIFAR-10: binary batches (``*.bin``) and python-pickle batches, loose or in the archives.

Both formats store, per image, a label 0..9 and 3072 pixel bytes: the red, green and blue
32x32 planes, each row by row. Rows are returned in (H, W, C) order. The five training
batches hold ``n_train / 5`` images each.
"""

from __future__ import annotations

import codecs
import gzip
import io
import pickle
import tarfile
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from msae.data.errors import bad_file
from msae.data.files import Splits, check_labels, read_content

if TYPE_CHECKING:
    from msae.data.registry import DatasetInfo

SIDE, CHANNELS = 32, 3
PIXELS = SIDE * SIDE * CHANNELS
RECORD = 1 + PIXELS
BATCHES = (*(f"data_batch_{i}" for i in range(1, 6)), "test_batch")
BIN_NAMES = tuple(f"{b}.bin" for b in BATCHES)

Batch = tuple[np.ndarray, np.ndarray]  # labels (n,), channel-major pixels (n, 3072)
Decoder = Callable[[Path, bytes, int, int, "str | None"], Batch]


_RECONSTRUCT = np.zeros(1).__reduce__()[0]  # numpy's array constructor for pickles
PICKLE_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,  # numpy 1.x name
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,  # numpy 2.x name
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("_codecs", "encode"): codecs.encode,  # how protocol 2 stores bytes
}


class _SafeUnpickler(pickle.Unpickler):
    """Unpickles plain containers, strings, bytes and numpy arrays, and nothing else."""

    def find_class(self, module: str, name: str) -> object:
        if (module, name) not in PICKLE_GLOBALS:
            raise pickle.UnpicklingError(f"refusing to load global {module}.{name}")
        return PICKLE_GLOBALS[module, name]


def decode_bin(path: Path, data: bytes, n: int, n_classes: int, member: str | None) -> Batch:
    """A binary batch: ``n`` records of a label byte and 3072 pixel bytes."""
    if len(data) != n * RECORD:
        expected = f"{n} records of {RECORD} bytes ({n * RECORD} bytes)"
        raise bad_file(path, expected, f"{len(data)} bytes", member)
    records = np.frombuffer(data, np.uint8).reshape(n, RECORD)
    return check_labels(path, records[:, 0], n_classes), records[:, 1:]


def decode_pickle(path: Path, data: bytes, n: int, n_classes: int, member: str | None) -> Batch:
    """A python batch: a pickled dict with ``data`` (uint8, n x 3072) and ``labels``."""
    expected = f"a pickled dict with 'data' (uint8 array of shape ({n}, {PIXELS})) and 'labels'"
    try:
        batch = _SafeUnpickler(io.BytesIO(data), encoding="latin1").load()
    except Exception as exc:  # any failure to unpickle untrusted bytes is a bad file
        raise bad_file(path, expected, f"an unreadable pickle ({exc})", member) from exc
    pixels = batch.get("data") if isinstance(batch, dict) else None
    labels = np.asarray(batch.get("labels") if isinstance(batch, dict) else None)
    if not (
        isinstance(pixels, np.ndarray)
        and pixels.dtype == np.uint8
        and pixels.shape == (n, PIXELS)
        and labels.shape == (n,)
        and labels.dtype.kind in "iu"
    ):
        shape = getattr(pixels, "shape", None)
        found = f"{type(batch).__name__} with data shape {shape} and {labels.size} labels"
        raise bad_file(path, expected, found, member)
    return check_labels(path, labels, n_classes), pixels


def _batch_sizes(info: DatasetInfo) -> list[int]:
    return [info.n_train // 5] * 5 + [info.n_test]


def _empty(info: DatasetInfo) -> Splits:
    return Splits(
        np.empty((info.n_train, PIXELS), np.uint8),
        np.empty(info.n_train, np.int64),
        np.empty((info.n_test, PIXELS), np.uint8),
        np.empty(info.n_test, np.int64),
    )


def _put(raw: Splits, index: int, batch: Batch) -> None:
    """Copy batch ``index`` (0-4 train, 5 test) into place, channel-major to (H, W, C)."""
    labels, pixels = batch
    n = len(labels)
    if index < 5:
        X, y, start = raw.X_train, raw.y_train, index * n
    else:
        X, y, start = raw.X_test, raw.y_test, 0
    X[start : start + n].reshape(n, SIDE, SIDE, CHANNELS)[...] = pixels.reshape(
        n, CHANNELS, SIDE, SIDE
    ).transpose(0, 2, 3, 1)
    y[start : start + n] = labels


def _read_loose(paths: Sequence[Path], info: DatasetInfo, decode: Decoder) -> Splits:
    raw = _empty(info)
    for index, (path, n) in enumerate(zip(paths, _batch_sizes(info), strict=True)):
        _put(raw, index, decode(path, read_content(path), n, info.n_classes, None))
    return raw


def _read_archive(path: Path, info: DatasetInfo, names: Sequence[str], decode: Decoder) -> Splits:
    """Read the batches from a tar archive (gzipped or not) in archive order, at any depth."""
    raw, sizes, todo = _empty(info), _batch_sizes(info), set(names)
    try:
        with tarfile.open(path, "r:*") as tar:
            for member in tar:
                name = member.name.rsplit("/", 1)[-1]
                if member.isfile() and name in todo:
                    index = names.index(name)
                    reader = tar.extractfile(member)
                    assert reader is not None  # a regular file always has one
                    data = reader.read()
                    _put(raw, index, decode(path, data, sizes[index], info.n_classes, member.name))
                    todo.discard(name)
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise bad_file(path, "a complete tar archive", f"a damaged one ({exc})") from exc
    if todo:
        raise bad_file(path, f"members {', '.join(names)}", f"no {', '.join(sorted(todo))}")
    return raw


def read_bin_batches(paths: Sequence[Path], info: DatasetInfo) -> Splits:
    """``data_batch_1.bin`` .. ``data_batch_5.bin``, ``test_batch.bin`` (plain or .gz)."""
    return _read_loose(paths, info, decode_bin)


def read_bin_archive(paths: Sequence[Path], info: DatasetInfo) -> Splits:
    """The official ``cifar-10-binary.tar.gz``."""
    return _read_archive(paths[0], info, BIN_NAMES, decode_bin)


def read_pickle_batches(paths: Sequence[Path], info: DatasetInfo) -> Splits:
    """``data_batch_1`` .. ``data_batch_5``, ``test_batch`` (python pickles)."""
    return _read_loose(paths, info, decode_pickle)


def read_pickle_archive(paths: Sequence[Path], info: DatasetInfo) -> Splits:
    """The official ``cifar-10-python.tar.gz``."""
    return _read_archive(paths[0], info, BATCHES, decode_pickle)
