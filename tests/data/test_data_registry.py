"""The registry: one frozen entry per dataset, consistent sizes, sources and checksums."""

from __future__ import annotations

import dataclasses
import math
import re

import numpy as np
import pytest

from msae.data import DATASETS
from msae.data.preprocess import SCALINGS, stratified_split

DIGEST = re.compile(r"^(sha256:[0-9a-f]{64}|md5:[0-9a-f]{32}|git:[0-9a-f]{40})$")


def test_the_seven_datasets_of_the_paper() -> None:
    assert list(DATASETS) == [
        "mnist",
        "fashion-mnist",
        "cifar10",
        "usps",
        "isolet",
        "pendigits",
        "ecoli",
    ]
    sizes = {name: (d.n_train, d.n_test, d.n_features, d.n_classes) for name, d in DATASETS.items()}
    assert sizes == {
        "mnist": (60000, 10000, 784, 10),
        "fashion-mnist": (60000, 10000, 784, 10),
        "cifar10": (50000, 10000, 3072, 10),
        "usps": (7291, 2007, 256, 10),
        "isolet": (6238, 1559, 617, 26),
        "pendigits": (7494, 3498, 16, 10),
        "ecoli": (222, 114, 7, 8),
    }


@pytest.mark.parametrize("name", DATASETS)
def test_entry_is_consistent(name: str) -> None:
    info = DATASETS[name]
    assert info.name == name
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.n_train = 1  # type: ignore[misc]
    assert len(set(info.class_names)) == info.n_classes
    if info.image_shape is not None:
        assert math.prod(info.image_shape) == info.n_features
    assert info.scaling in SCALINGS
    downloadable = [lay for lay in info.layouts if lay.downloadable]
    assert downloadable, "every dataset can be downloaded from its official source"
    for spec in (f for lay in info.layouts for f in lay.files):
        assert all(u.startswith(("https://", "http://")) for u in spec.urls)
        digests = [spec.known_hash] if spec.known_hash else []
        assert all(DIGEST.match(d) for d in [*digests, *spec.content_hashes]), spec
    for spec in downloadable[0].files:
        assert spec.known_hash or spec.content_hashes, f"{spec.name} has no checksum"


def test_ecoli_holdout_sizes_match_the_registry() -> None:
    y = np.repeat(np.arange(8), [143, 77, 52, 35, 20, 5, 2, 2])
    info = DATASETS["ecoli"]
    assert info.holdout_fraction is not None
    kept, held = stratified_split(y, info.holdout_fraction, seed=0)
    assert (len(kept), len(held)) == (info.n_train, info.n_test)
    assert all(d.holdout_fraction is None for d in DATASETS.values() if d.name != "ecoli")


def test_candidates_cover_compressed_variants() -> None:
    isolet5 = DATASETS["isolet"].layouts[0].files[1]
    assert isolet5.candidates() == [
        "isolet5.data.Z",
        "isolet5.data",
        "isolet5.data.gz",
    ]
    batch = DATASETS["cifar10"].layouts[0].files[0]
    assert "cifar-10-batches-bin/data_batch_1.bin" in batch.candidates()
