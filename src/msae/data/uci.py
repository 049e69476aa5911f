"""UCI text files: ISOLET (``isolet*.data``), Pendigits (``pendigits.tra/.tes``), Ecoli."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from msae.data.errors import bad_file
from msae.data.files import Splits, check_labels, check_rows, parse_table, read_content

if TYPE_CHECKING:
    from msae.data.registry import DatasetInfo


def _read_csv(paths: Sequence[Path], info: DatasetInfo, first_label: int) -> Splits:
    arrays = []
    for path, n in zip(paths, (info.n_train, info.n_test), strict=True):
        table = parse_table(path, info.n_features + 1, ",")
        check_rows(path, len(table), n)
        arrays += [table[:, :-1], check_labels(path, table[:, -1], info.n_classes, first_label)]
    return Splits(*arrays)


def read_isolet(paths: Sequence[Path], info: DatasetInfo) -> Splits:
    """Training and test file: 617 comma-separated values, then the letter 1..26 as ``N.``."""
    return _read_csv(paths, info, first_label=1)


def read_pendigits(paths: Sequence[Path], info: DatasetInfo) -> Splits:
    """``pendigits.tra``, ``pendigits.tes``: 16 integers in 0..100, then the digit."""
    return _read_csv(paths, info, first_label=0)


def read_ecoli(paths: Sequence[Path], info: DatasetInfo) -> Splits:
    """``ecoli.data``: sequence name, 7 features, class name; all rows as training data."""
    path = paths[0]
    rows = [line.split() for line in read_content(path).decode("latin-1").splitlines()]
    rows = [row for row in rows if row]
    expected = f"rows of a name, {info.n_features} numbers and a class"
    check_rows(path, len(rows), info.n_train + info.n_test)
    X = np.empty((len(rows), info.n_features))
    y = np.empty(len(rows), np.int64)
    for i, row in enumerate(rows):
        if len(row) != info.n_features + 2:
            raise bad_file(path, expected, f"{len(row)} fields in row {i + 1}")
        if row[-1] not in info.class_names:
            classes = f"classes {', '.join(info.class_names)}"
            raise bad_file(path, classes, f"{row[-1]!r} in row {i + 1}")
        try:
            X[i] = [float(v) for v in row[1:-1]]
        except ValueError as exc:
            raise bad_file(path, expected, f"{exc} in row {i + 1}") from exc
        y[i] = info.class_names.index(row[-1])
    return Splits(X, y, X[:0], y[:0])
