"""Loading a dataset by name: locate or download its files, verify, read, scale, cache."""

from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np
import platformdirs

from msae.data import cache, files, preprocess
from msae.data.download import fetch
from msae.data.errors import DatasetError
from msae.data.registry import DATASETS, DatasetInfo, Layout

DATA_ENV = "MSAE_DATA"
PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class Dataset:
    """A loaded dataset: float32 features in [0, 1] (n, d) and int64 labels 0..K-1."""

    info: DatasetInfo
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    files: tuple[Path, ...]


@dataclass(frozen=True)
class DatasetStatus:
    """Whether a dataset's files are ``present`` (and pass their checksums), ``missing`` or
    ``corrupt``; ``folder`` is where they are looked for, ``detail`` says more."""

    info: DatasetInfo
    state: Literal["present", "missing", "corrupt"]
    folder: Path
    files: tuple[Path, ...]
    detail: str


def get_info(name: str | DatasetInfo) -> DatasetInfo:
    """The registry entry for ``name`` (case, ``-`` and ``_`` are ignored: "CIFAR-10" works)."""
    if isinstance(name, DatasetInfo):
        return name
    keys = {re.sub(r"[^a-z0-9]", "", k): k for k in DATASETS}
    key = keys.get(re.sub(r"[^a-z0-9]", "", name.lower()))
    if key is None:
        raise DatasetError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    return DATASETS[key]


def get_data_dir(data_dir: PathLike | None = None) -> Path:
    """The data root: the argument, else ``$MSAE_DATA``, else a per-user cache folder.

    Each dataset lives in ``<root>/<name>/``.
    """
    if data_dir is not None:
        return Path(data_dir)
    if os.environ.get(DATA_ENV):
        return Path(os.environ[DATA_ENV])
    return platformdirs.user_cache_path("msae") / "datasets"


def _locate(info: DatasetInfo, folder: Path) -> tuple[Layout, list[Path]] | None:
    """The first layout whose files are all in ``folder``, with their paths."""
    for layout in info.layouts:
        paths = [files.find(folder, spec) for spec in layout.files]
        if all(p is not None for p in paths):
            return layout, [p for p in paths if p is not None]
    return None


def _missing(info: DatasetInfo, folder: Path) -> str:
    wanted = " + ".join(f.name for f in next(lay for lay in info.layouts if lay.downloadable).files)
    return (
        f"{info.name}: its files are not in {folder} (looking for {wanted}, or the variants in "
        f"docs/datasets.md). Download them with `msae datasets --download {info.name}` or "
        f"load_dataset({info.name!r}, download=True), or point --data-dir / MSAE_DATA at the "
        "directory that holds <name>/ folders."
    )


def dataset_status(name: str | DatasetInfo, data_dir: PathLike | None = None) -> DatasetStatus:
    """Look for the files of ``name`` and verify their checksums (reads them once)."""
    info = get_info(name)
    folder = get_data_dir(data_dir) / info.name
    found = _locate(info, folder)
    if found is None:
        return DatasetStatus(info, "missing", folder, (), "not downloaded")
    layout, paths = found
    try:
        checked = [files.verify(p, s) for p, s in zip(paths, layout.files, strict=True)]
    except DatasetError as exc:
        return DatasetStatus(info, "corrupt", folder, tuple(paths), str(exc))
    detail = layout.note or ("" if all(checked) else "no published checksum; checked when read")
    return DatasetStatus(info, "present", folder, tuple(paths), detail)


def _download(info: DatasetInfo, folder: Path) -> tuple[Layout, list[Path]]:
    """Fetch the missing files of the first downloadable layout and verify each download."""
    layout = next(lay for lay in info.layouts if lay.downloadable)
    existed = folder.exists()
    paths = []
    try:
        for spec in layout.files:
            path = files.find(folder, spec)
            if path is None:
                path = fetch(spec, folder)
                try:
                    files.verify(path, spec)
                except DatasetError:
                    path.unlink()
                    raise
            paths.append(path)
    except DatasetError:
        if not existed and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()  # leave no empty folder behind
        raise
    return layout, paths


def download_dataset(name: str | DatasetInfo, data_dir: PathLike | None = None) -> list[Path]:
    """Download the files of ``name`` that are missing, then verify them; return all paths."""
    info = get_info(name)
    return _download(info, get_data_dir(data_dir) / info.name)[1]


def load_dataset(
    name: str | DatasetInfo,
    data_dir: PathLike | None = None,
    download: bool = True,
    split_seed: int = 0,
    cache_dir: PathLike | None = None,
) -> Dataset:
    """Load a dataset of the registry (or a custom :class:`DatasetInfo`) by name.

    Files are looked for in ``get_data_dir(data_dir) / name`` and downloaded when missing
    (if ``download``). On first load they are verified, read and scaled, and the arrays are
    cached under ``cache_dir`` (default ``$MSAE_CACHE`` or a per-user cache folder); later
    loads memory-map the cache (copy-on-write). ``split_seed`` picks the holdout of a dataset
    without an official split and is ignored otherwise. Raises DatasetError.
    """
    info = get_info(name)
    folder = get_data_dir(data_dir) / info.name
    found = _locate(info, folder)
    if found is None and not download:
        raise DatasetError(_missing(info, folder))
    layout, paths = found or _download(info, folder)
    seed = split_seed if info.holdout_fraction else None
    params = [info.scaling, info.n_train, info.n_test, info.n_features, info.holdout_fraction, seed]
    entry = cache.entry(cache.get_cache_dir(cache_dir), info.name, paths, params)
    arrays = cache.load(entry)
    if arrays is None:
        for path, spec in zip(paths, layout.files, strict=True):
            files.verify(path, spec)
        raw = layout.reader(paths, info)
        if info.holdout_fraction:
            raw = preprocess.holdout(raw, info.holdout_fraction, split_seed)
        arrays = preprocess.scale(raw, info.scaling)
        try:
            cache.save(entry, arrays)
        except OSError as exc:
            warnings.warn(
                f"could not cache {info.name} in {entry.parent} ({exc}); set MSAE_CACHE to a "
                "writable directory to make later loads fast",
                stacklevel=2,
            )
    return Dataset(info, *arrays, files=tuple(paths))


def train_val_split(ds: Dataset, val_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """A dataset for tuning: ``ds``'s training rows split into train and validation.

    The validation rows (a stratified ``val_fraction`` of each class, drawn with ``seed``)
    take the place of the test set; ``ds``'s test set is not used at all. Min-max scaling is
    refitted on the remaining training rows (min-max of an affine image of the raw features is
    min-max of the raw features), so the validation rows play no part in it either.
    """
    train, val = preprocess.stratified_split(np.asarray(ds.y_train), val_fraction, seed)
    X_train, X_val = ds.X_train[train], ds.X_train[val]
    if ds.info.scaling == "minmax":
        X_train, X_val = preprocess.SCALINGS["minmax"](X_train, X_val)
    return Dataset(
        replace(ds.info, n_train=len(train), n_test=len(val)),
        X_train,
        ds.y_train[train],
        X_val,
        ds.y_train[val],
        ds.files,
    )
