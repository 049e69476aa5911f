"""Writers for small synthetic files in the exact formats of the seven datasets."""

from __future__ import annotations

import gzip
import pickle
import struct
import tarfile
from dataclasses import replace
from pathlib import Path

import numpy as np

from msae.data import DatasetInfo

CIFAR_TRAIN = [f"data_batch_{i}" for i in range(1, 6)]
CIFAR_ALL = [*CIFAR_TRAIN, "test_batch"]


def lzw_compress(data: bytes, max_bits: int = 16) -> bytes:
    """Unix ``compress`` (block mode); the table is cleared whenever it is full."""
    limit = 1 << max_bits
    out = bytearray(b"\x1f\x9d" + bytes([0x80 | max_bits]))
    acc = n_acc = written = group_start = 0  # bit accumulator; bits written since the header
    n_bits = 9

    def emit(code: int, end_group: bool = False) -> None:
        nonlocal acc, n_acc, written, group_start
        acc |= code << n_acc
        n_acc += n_bits
        written += n_bits
        if end_group:  # zero bits up to the end of the current group of eight codes
            group = 8 * n_bits
            pad = -(written - group_start) % group
            n_acc += pad
            written += pad
            group_start = written
        while n_acc >= 8:
            out.append(acc & 0xFF)
            acc >>= 8
            n_acc -= 8

    table: dict[bytes, int] = {bytes([i]): i for i in range(256)}
    free = 257
    current = b""
    for byte in data:
        candidate = current + bytes([byte])
        if candidate in table:
            current = candidate
            continue
        if free < limit:
            widen = free + 1 > (1 << n_bits) and n_bits < max_bits
            emit(table[current], end_group=widen)
            table[candidate] = free
            free += 1
            n_bits += widen
        else:
            emit(table[current])
            emit(256, end_group=True)
            table = {bytes([i]): i for i in range(256)}
            free, n_bits = 257, 9
        current = bytes([byte])
    if current:
        emit(table[current])
    if n_acc:
        out.append(acc & 0xFF)
    return bytes(out)


def idx_bytes(array: np.ndarray) -> bytes:
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def write_idx_set(folder: Path, n_train: int, n_test: int, seed: int = 0) -> None:
    """The four MNIST-style .gz files with random 28x28 images and labels 0..9."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = (np.arange(n) % 10).astype(np.uint8)
        (folder / f"{prefix}-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(images)))
        (folder / f"{prefix}-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(labels)))


def cifar_batch(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Labels (n,) and channel-major pixels (n, 3072), as stored in both CIFAR formats."""
    rng = np.random.default_rng(seed)
    return (np.arange(n) % 10).astype(np.uint8), rng.integers(0, 256, (n, 3072), dtype=np.uint8)


def cifar_bin_bytes(labels: np.ndarray, pixels: np.ndarray) -> bytes:
    return np.concatenate([labels[:, None], pixels], axis=1).tobytes()


def cifar_pickle_bytes(labels: np.ndarray, pixels: np.ndarray) -> bytes:
    batch = {"batch_label": "synthetic", "labels": labels.tolist(), "data": pixels}
    return pickle.dumps(batch, protocol=2)


def write_cifar(folder: Path, per_batch: int, kind: str) -> dict[str, tuple]:
    """Write CIFAR-10 in one of its layouts; return {batch: (labels, pixels)}.

    kind: "bin" (loose .bin), "bin.gz", "bin-tar" (cifar-10-binary.tar.gz),
    "py" (loose pickles in cifar-10-batches-py/), "py-tar" (cifar-10-python.tar.gz).
    """
    folder.mkdir(parents=True, exist_ok=True)
    batches = {name: cifar_batch(per_batch, seed) for seed, name in enumerate(CIFAR_ALL)}
    members = {}
    for name, (labels, pixels) in batches.items():
        if kind.startswith("bin"):
            members[f"cifar-10-batches-bin/{name}.bin"] = cifar_bin_bytes(labels, pixels)
        else:
            members[f"cifar-10-batches-py/{name}"] = cifar_pickle_bytes(labels, pixels)
    if kind.endswith("tar"):
        archive = "cifar-10-binary.tar.gz" if kind.startswith("bin") else "cifar-10-python.tar.gz"
        write_tar(folder / archive, members)
    else:
        for member, data in members.items():
            path = folder / member
            if kind == "bin":
                path = folder / Path(member).name
            elif kind == "bin.gz":
                path = folder / (Path(member).name + ".gz")
                data = gzip.compress(data)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    return batches


def write_tar(path: Path, members: dict[str, bytes]) -> None:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, _Reader(data))


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def read(self, n: int = -1) -> bytes:
        end = len(self.data) if n < 0 else self.pos + n
        chunk = self.data[self.pos : end]
        self.pos += len(chunk)
        return chunk


def usps_text(n: int, seed: int = 0) -> str:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        values = np.round(rng.uniform(-1, 1, 256), 4)
        values[0], values[1] = -1.0, 1.0
        rows.append(" ".join([f"{i % 10:.4f}", *(f"{v:.4f}" for v in values)]))
    return "\n".join(rows) + "\n"


def isolet_text(n: int, seed: int = 0) -> str:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        values = rng.uniform(-1, 1, 617)
        rows.append(", ".join([*(f"{v:.4f}" for v in values), f"{i % 26 + 1}."]))
    return "\n".join(rows) + "\n"


def pendigits_text(n: int, seed: int = 0) -> str:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        values = rng.integers(0, 101, 16)
        rows.append(",".join(f"{v:3d}" for v in [*values, i % 10]))
    return "\n".join(rows) + "\n"


def without_checksums(info: DatasetInfo, **changes: object) -> DatasetInfo:
    """``info`` with every digest removed (so synthetic files pass), and ``changes`` applied."""
    layouts = tuple(
        replace(lay, files=tuple(replace(f, known_hash=None, content_hashes=()) for f in lay.files))
        for lay in info.layouts
    )
    return replace(info, layouts=layouts, **changes)
