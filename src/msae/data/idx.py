"""IDX files (MNIST, Fashion-MNIST): big-endian header, then raw unsigned bytes."""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from msae.data.errors import bad_file
from msae.data.files import Splits, check_labels, read_content

if TYPE_CHECKING:
    from msae.data.registry import DatasetInfo

UBYTE = 0x08


def parse_idx(path: Path, data: bytes) -> np.ndarray:
    """The uint8 array stored in an IDX file's content (a view of ``data``, no copy)."""
    if len(data) < 4 or data[:2] != b"\0\0" or data[2] != UBYTE:
        found = f"first bytes {data[:4].hex() or 'none'}"
        raise bad_file(path, "an IDX file of unsigned bytes (00 00 08 <rank>)", found)
    header = 4 + 4 * data[3]
    if len(data) < header:
        raise bad_file(path, f"an IDX header of {header} bytes", f"{len(data)} bytes")
    shape = struct.unpack(f">{data[3]}I", data[4:header])
    size = header + math.prod(shape)
    if len(data) != size:
        raise bad_file(path, f"{size} bytes for shape {shape}", f"{len(data)} bytes")
    return np.frombuffer(data, np.uint8, offset=header).reshape(shape)


def read_idx(paths: Sequence[Path], info: DatasetInfo) -> Splits:
    """Train images, train labels, test images, test labels, in that order."""
    h, w = info.image_shape[:2] if info.image_shape else (0, 0)
    arrays = []
    for path, n, is_images in zip(
        paths, (info.n_train, info.n_train, info.n_test, info.n_test), (True, False) * 2, strict=True
    ):
        array = parse_idx(path, read_content(path))
        expected = (n, h, w) if is_images else (n,)
        if array.shape != expected:
            raise bad_file(path, f"an array of shape {expected}", f"shape {array.shape}")
        arrays.append(array.reshape(n, -1) if is_images else check_labels(path, array, info.n_classes))
    return Splits(*arrays)
