"""Datasets as the experiments see them: loaded once per process, subsampled per run."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from msae.data import DatasetError, get_info, load_dataset, train_val_split
from msae.experiments.paper import label
from msae.experiments.spec import RunSpec


@dataclass(frozen=True)
class Split:
    """Train and test arrays (float32 in [0, 1], int64 labels) and what the models need."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    image_shape: tuple[int, int, int] | None
    class_names: tuple[str, ...]


def _digits(split_seed: int, validation: float) -> Split:
    """scikit-learn's 8x8 digits (1797 images), 70/30 stratified: for smoke tests and demos."""
    X, y = load_digits(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(
        (X / 16.0).astype(np.float32),
        y.astype(np.int64),
        test_size=0.3,
        stratify=y,
        random_state=split_seed,
    )
    if validation:  # the test rows are left out; a part of the training rows replaces them
        X_tr, X_te, y_tr, y_te = train_test_split(
            X_tr, y_tr, test_size=validation, stratify=y_tr, random_state=0
        )
    return Split(X_tr, y_tr, X_te, y_te, (8, 8, 1), tuple(str(k) for k in range(10)))


LOCAL_DATASETS = {"digits": _digits}


def _from_registry(
    name: str, data_dir: str | None, split_seed: int, download: bool, validation: float = 0.0
) -> Split:
    ds = load_dataset(name, data_dir=data_dir, download=download, split_seed=split_seed)
    if validation:
        ds = train_val_split(ds, validation, seed=0)
    return Split(
        ds.X_train,
        ds.y_train,
        ds.X_test,
        ds.y_test,
        ds.info.image_shape,
        tuple(ds.info.class_names),
    )


@lru_cache(maxsize=3)
def _load(name: str, data_dir: str | None, split_seed: int, validation: float = 0.0) -> Split:
    if name in LOCAL_DATASETS:
        return LOCAL_DATASETS[name](split_seed, validation)
    return _from_registry(name, data_dir, split_seed, download=False, validation=validation)


def missing(name: str, data_dir: str | Path | None, download: bool = False) -> str | None:
    """Why ``name`` cannot be loaded (its files are absent or damaged), or None when it can.

    Raises DatasetError for a name that is not a dataset.
    """
    if name in LOCAL_DATASETS:
        return None
    get_info(name)
    data_dir = None if data_dir is None else str(data_dir)
    try:
        if download:
            _from_registry(name, data_dir, 0, download=True)
        _load(name, data_dir, 0)
    except (DatasetError, OSError) as exc:
        return f"{label(name)} skipped: {exc}"
    return None


def _subsample(X: np.ndarray, y: np.ndarray, n: int | None, seed: int) -> tuple:
    """A stratified, seeded subsample of ``n`` rows (all rows when n is None, 0 or too large).

    Each class gets its share of ``n`` rounded down, the rows left over go to the classes
    with the largest remainders, so rare classes (Ecoli has classes of two) work too.
    """
    if not n or n >= len(y):
        return X, y
    classes, counts = np.unique(y, return_counts=True)
    quota = counts * n / len(y)
    take = np.floor(quota).astype(int)
    take[np.argsort(take - quota, kind="stable")[: n - take.sum()]] += 1
    rng = np.random.default_rng(seed)
    picks = [
        rng.choice(np.flatnonzero(y == c), k, replace=False)
        for c, k in zip(classes, take, strict=True)
    ]
    index = np.sort(np.concatenate(picks))
    return X[index], y[index]


def _split_seed(name: str, seed: int) -> int:
    """``seed`` for a dataset without an official split (Ecoli: a new holdout per seed, as
    the paper's repeats need), else 0 (the loader ignores it)."""
    return seed if name not in LOCAL_DATASETS and get_info(name).holdout_fraction else 0


def load_split(spec: RunSpec) -> Split:
    """The data of one run: its dataset, split and subsampled as its parameters say.

    With ``validation`` (a fraction, e.g. 0.2) the run never sees the test set: a stratified
    share of the training rows (the same for every seed) is held out and scored instead, and
    min-max scaling is refitted without it. That is the split to tune hyperparameters on.
    """
    p = spec.params
    split_seed = _split_seed(spec.dataset, spec.seed)
    full = _load(spec.dataset, p.get("data_dir"), split_seed, p.get("validation") or 0.0)
    X_train, y_train = _subsample(full.X_train, full.y_train, p.get("n_train"), spec.seed)
    X_test, y_test = _subsample(full.X_test, full.y_test, p.get("n_test"), spec.seed)
    return Split(X_train, y_train, X_test, y_test, full.image_shape, full.class_names)
