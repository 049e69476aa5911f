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
    shapes = ((info.n_train, h, w), (info.n_train,), (info.n_test, h, w), (info.n_test,))
    arrays = []
    for path, shape in zip(paths, shapes, strict=True):
        array = parse_idx(path, read_content(path))
        if array.shape != shape:
            raise bad_file(path, f"an array of shape {shape}", f"shape {array.shape}")
        if len(shape) == 3:
            arrays.append(array.reshape(shape[0], -1))
        else:
            arrays.append(check_labels(path, array, info.n_classes))
    return Splits(*arrays)
