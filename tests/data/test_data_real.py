"""The real files in ../shared/data (or $MSAE_DATA): contents, checksums, broken copies."""

from __future__ import annotations

import functools
import shutil
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from conftest import shared_data_dir

from msae.data import (
    DATASETS,
    Dataset,
    DatasetError,
    DatasetStatus,
    dataset_status,
    load_dataset,
)

SHARED = shared_data_dir()
DIGITS_TRAIN = {
    "mnist": [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949],
    "fashion-mnist": [6000] * 10,
    "cifar10": [5000] * 10,
    "usps": [1194, 1005, 731, 658, 652, 556, 664, 645, 542, 644],
    "isolet": [240] * 5 + [238] + [240] * 20,  # two F recordings are missing
    "pendigits": [780, 779, 780, 719, 780, 720, 720, 778, 719, 719],
    "ecoli": [95, 51, 35, 23, 13, 3, 1, 1],
}
COUNTS_TEST = {
    "mnist": [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009],
    "fashion-mnist": [1000] * 10,
    "cifar10": [1000] * 10,
    "usps": [359, 264, 198, 166, 200, 160, 170, 147, 166, 177],
    "isolet": [60] * 12 + [59] + [60] * 13,  # one M recording is missing
    "pendigits": [363, 364, 364, 336, 364, 335, 336, 364, 336, 336],
    "ecoli": [48, 26, 17, 12, 7, 2, 1, 1],
}
FIRST_TRAIN_LABELS = {"mnist": [5, 0, 4, 1, 9, 2, 1, 3, 1, 4], "fashion-mnist": [9, 0, 0, 3, 0, 2]}


@functools.cache
def shared_status(name: str) -> DatasetStatus:
    return dataset_status(name, SHARED)  # verifies the checksums: once per session


def status_or_skip(name: str) -> DatasetStatus:
    status = shared_status(name)
    if status.state == "missing":
        pytest.skip(f"{name}: real files absent from {status.folder} (only synthetic tests run)")
    return status


@functools.cache
def real(name: str) -> Dataset:
    return load_dataset(name, data_dir=SHARED, download=False)


@pytest.mark.parametrize("name", DATASETS)
def test_real_contents(name: str) -> None:
    status_or_skip(name)
    ds, info = real(name), DATASETS[name]
    assert ds.X_train.shape == (info.n_train, info.n_features)
    assert ds.X_test.shape == (info.n_test, info.n_features)
    assert ds.X_train.dtype == ds.X_test.dtype == np.float32
    assert ds.y_train.dtype == ds.y_test.dtype == np.int64
    assert np.bincount(ds.y_train).tolist() == DIGITS_TRAIN[name]
    assert np.bincount(ds.y_test).tolist() == COUNTS_TEST[name]
    for X in (ds.X_train, ds.X_test):
        assert X.min() == 0 and X.max() == 1
    if info.image_shape is None:  # min-max fit on training rows: each feature spans [0, 1]
        varying = ds.X_train.max(0) > ds.X_train.min(0)
        assert (ds.X_train.min(0) == 0).all() and (ds.X_train.max(0)[varying] == 1).all()
    first = FIRST_TRAIN_LABELS.get(name)
    assert first is None or ds.y_train[: len(first)].tolist() == first


def test_real_mnist_pixels() -> None:
    status_or_skip("mnist")
    ds = real("mnist")
    assert ds.y_test[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert ds.X_train.mean() * 255 == pytest.approx(33.3184, abs=1e-3)
    assert ds.X_test.mean() * 255 == pytest.approx(33.7912, abs=1e-3)


def test_real_usps_is_rescaled_from_minus_one_to_one() -> None:
    status_or_skip("usps")
    row = real("usps").X_train[0]
    assert row[:8].tolist() == pytest.approx([0, 0, 0, 0, 0, 0, 0, (1 - 0.631) / 2], abs=1e-6)


def test_real_ecoli_holdout_depends_on_the_seed() -> None:
    status_or_skip("ecoli")
    a = real("ecoli")
    b = load_dataset("ecoli", data_dir=SHARED, download=False, split_seed=1)
    total = np.bincount(np.concatenate([b.y_train, b.y_test])).tolist()
    assert total == [143, 77, 52, 35, 20, 5, 2, 2]  # cp im pp imU om omL imL imS
    assert np.bincount(b.y_test).tolist() == COUNTS_TEST["ecoli"]
    assert not np.array_equal(a.X_test, b.X_test)


@pytest.mark.parametrize("name", DATASETS)
def test_real_checksums(name: str) -> None:
    status = status_or_skip(name)
    assert status.state == "present", status.detail
    if name == "isolet":
        assert status.files[0].name == "isolet-train-cai.data.gz"
        assert "substitute" in status.detail


@pytest.mark.parametrize("name", DATASETS)
def test_real_second_load_comes_from_the_cache(name: str, request) -> None:
    """A later load memory-maps the cached arrays: it neither checks nor parses the files."""
    status_or_skip(name)
    first = real(name)  # loaded (and so cached) once per session
    request.getfixturevalue("files_not_read")
    second = load_dataset(name, data_dir=SHARED, download=False)
    assert isinstance(second.X_train, np.memmap)
    np.testing.assert_array_equal(second.X_test, first.X_test)


@pytest.mark.parametrize("damage", ["truncate", "flip"])
@pytest.mark.parametrize("name", DATASETS)
def test_real_broken_copy(name: str, damage: str, tmp_path: Path) -> None:
    """A broken copy of the first file (the rest linked): status corrupt, load names it."""
    status = status_or_skip(name)
    folder = tmp_path / name
    folder.mkdir()
    for path in status.files[1:]:
        (folder / path.name).symlink_to(path.resolve())
    bad = folder / status.files[0].name
    data = bytearray(status.files[0].read_bytes())
    if damage == "truncate":
        data = data[: len(data) * 2 // 3]
    else:
        data[len(data) // 2] ^= 0xFF
    bad.write_bytes(bytes(data))
    assert dataset_status(name, tmp_path).state == "corrupt"
    with pytest.raises(DatasetError) as excinfo:
        load_dataset(name, data_dir=tmp_path, download=False, cache_dir=tmp_path / "c")
    message = str(excinfo.value)
    assert str(bad) in message and "expected" in message and "found" in message
    assert "download it again" in message


def test_real_mnist_load_peaks_below_twice_its_size(tmp_path: Path) -> None:
    status_or_skip("mnist")
    tracemalloc.start()
    try:
        ds = load_dataset("mnist", data_dir=SHARED, download=False, cache_dir=tmp_path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    final = sum(a.nbytes for a in (ds.X_train, ds.y_train, ds.X_test, ds.y_test))
    assert peak < 2 * final


def test_real_data_dir_is_left_untouched(tmp_path: Path) -> None:
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent")
    before = sorted(p.relative_to(SHARED) for p in SHARED.rglob("*"))
    for name in DATASETS:
        if shared_status(name).state == "present":
            real(name)
    assert sorted(p.relative_to(SHARED) for p in SHARED.rglob("*")) == before
    assert shutil.disk_usage(tmp_path)  # the cache lives elsewhere (MSAE_CACHE)
