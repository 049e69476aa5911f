"""Scaling to [0, 1] (fit on training data only) and stratified, seeded splits."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from msae.data.files import Splits

Pair = tuple[np.ndarray, np.ndarray]


def _bytes(X_train: np.ndarray, X_test: np.ndarray) -> Pair:
    """uint8 pixels / 255, written straight into float32 (no float64 copy)."""
    out = []
    for X in (X_train, X_test):
        scaled = np.empty(X.shape, np.float32)
        np.divide(X, np.float32(255), out=scaled)
        out.append(scaled)
    return out[0], out[1]


def _symmetric(X_train: np.ndarray, X_test: np.ndarray) -> Pair:
    """Values in [-1, 1] (USPS) mapped to (x + 1) / 2."""
    return ((X_train + 1) / 2).astype(np.float32), ((X_test + 1) / 2).astype(np.float32)


def _minmax(X_train: np.ndarray, X_test: np.ndarray) -> Pair:
    """Per-feature min-max fit on the training rows; test rows clipped to [0, 1].

    A feature that is constant in the training rows maps to 0.
    """
    low = X_train.min(axis=0)
    span = X_train.max(axis=0) - low
    span[span == 0] = 1
    train = (X_train - low) / span
    test = np.clip((X_test - low) / span, 0, 1)
    return train.astype(np.float32), test.astype(np.float32)


SCALINGS: dict[str, Callable[[np.ndarray, np.ndarray], Pair]] = {
    "bytes": _bytes,
    "symmetric": _symmetric,
    "minmax": _minmax,
}


def scale(raw: Splits, scaling: str) -> Splits:
    """Features as float32 in [0, 1] by one of ``SCALINGS``; labels unchanged."""
    X_train, X_test = SCALINGS[scaling](raw.X_train, raw.X_test)
    return Splits(X_train, raw.y_train, X_test, raw.y_test)


def stratified_split(y: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (kept, held out), each sorted: ``fraction`` of every class is held out.

    Per class, round(n * fraction) rows are held out, at least one and at most n - 1 for a
    class with two or more rows; a class with a single row stays in the kept part.
    """
    rng = np.random.default_rng(seed)
    held = []
    for c in np.unique(y):
        rows = np.flatnonzero(y == c)
        k = int(np.floor(len(rows) * fraction + 0.5))
        k = min(max(k, 1), len(rows) - 1)
        held.append(rng.choice(rows, k, replace=False))
    held_out = np.sort(np.concatenate(held))
    return np.setdiff1d(np.arange(len(y)), held_out), held_out


def holdout(raw: Splits, fraction: float, seed: int) -> Splits:
    """Split the training rows of ``raw`` into train and test (for data with no official split)."""
    train, test = stratified_split(raw.y_train, fraction, seed)
    return Splits(raw.X_train[train], raw.y_train[train], raw.X_train[test], raw.y_train[test])
