"""USPS digits as distributed with The Elements of Statistical Learning (``zip.train.gz``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from msae.data.errors import bad_file
from msae.data.files import Splits, check_labels, check_rows, parse_table

if TYPE_CHECKING:
    from msae.data.registry import DatasetInfo


def read_usps(paths: Sequence[Path], info: DatasetInfo) -> Splits:
    """``zip.train``, ``zip.test``: per line a digit, then 16x16 grey values in [-1, 1]."""
    arrays = []
    for path, n in zip(paths, (info.n_train, info.n_test), strict=True):
        table = parse_table(path, 1 + info.n_features, None)
        check_rows(path, len(table), n)
        pixels = table[:, 1:]
        low, high = pixels.min(), pixels.max()
        if low < -1 or high > 1:
            raise bad_file(path, "grey values in [-1, 1]", f"values in [{low}, {high}]")
        arrays += [pixels, check_labels(path, table[:, 0], info.n_classes)]
    return Splits(*arrays)
