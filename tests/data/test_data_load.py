"""The loading pipeline: data dir, downloads (pooch mocked), cache, splits, memory."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import platformdirs
import pooch
import pytest
from synth_files import without_checksums, write_cifar, write_idx_set

from msae.data import (
    DATASETS,
    DatasetError,
    download_dataset,
    get_cache_dir,
    get_data_dir,
    get_info,
    load_dataset,
    train_val_split,
)
from msae.data.download import fetch
from msae.data.preprocess import stratified_split

MNIST = without_checksums(DATASETS["mnist"], n_train=30, n_test=10)


def test_data_dir_resolution(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("MSAE_DATA", raising=False)
    assert get_data_dir() == platformdirs.user_cache_path("msae") / "datasets"
    monkeypatch.setenv("MSAE_DATA", str(tmp_path / "env"))
    assert get_data_dir() == tmp_path / "env"
    assert get_data_dir(tmp_path / "arg") == tmp_path / "arg"


def test_cache_dir_resolution(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("MSAE_CACHE", raising=False)
    assert get_cache_dir() == platformdirs.user_cache_path("msae") / "arrays"
    monkeypatch.setenv("MSAE_CACHE", str(tmp_path))
    assert get_cache_dir() == tmp_path
    assert get_cache_dir("x") == Path("x")


def test_names_are_forgiving() -> None:
    assert get_info("CIFAR-10") is DATASETS["cifar10"]
    assert get_info("fashion_mnist") is DATASETS["fashion-mnist"]
    with pytest.raises(DatasetError, match="unknown dataset 'svhn'; choose one of mnist"):
        get_info("svhn")


# --- cache -------------------------------------------------------------------------------


def test_second_load_comes_from_the_cache(tmp_path: Path, request) -> None:
    write_idx_set(tmp_path / "data/mnist", MNIST.n_train, MNIST.n_test)
    first = load_dataset(MNIST, tmp_path / "data", download=False, cache_dir=tmp_path / "c")
    entries = list((tmp_path / "c").iterdir())
    assert [e.name[:6] for e in entries] == ["mnist-"]  # one entry, no temporary leftovers
    request.getfixturevalue("files_not_read")
    second = load_dataset(MNIST, tmp_path / "data", download=False, cache_dir=tmp_path / "c")
    assert isinstance(second.X_train, np.memmap)
    for a, b in zip(
        (first.X_train, first.y_train, first.X_test, first.y_test),
        (second.X_train, second.y_train, second.X_test, second.y_test),
        strict=True,
    ):
        np.testing.assert_array_equal(a, b)
        assert a.dtype == b.dtype
    second.X_train[0] = 5  # copy-on-write: the cache file is not changed
    third = load_dataset(MNIST, tmp_path / "data", download=False, cache_dir=tmp_path / "c")
    np.testing.assert_array_equal(third.X_train, first.X_train)


def test_a_damaged_cache_entry_is_read_past_and_replaced(tmp_path: Path, request) -> None:
    write_idx_set(tmp_path / "mnist", MNIST.n_train, MNIST.n_test)
    first = load_dataset(MNIST, tmp_path, download=False, cache_dir=tmp_path / "c")
    (entry,) = (tmp_path / "c").iterdir()
    damaged = entry / "X_train.npy"
    damaged.write_bytes(damaged.read_bytes()[:200])  # truncated, as by a full disk
    second = load_dataset(MNIST, tmp_path, download=False, cache_dir=tmp_path / "c")
    np.testing.assert_array_equal(second.X_train, first.X_train)  # from the source files
    assert [e.name for e in (tmp_path / "c").iterdir()] == [entry.name]  # no leftovers
    request.getfixturevalue("files_not_read")  # the entry was written again: the cache serves
    third = load_dataset(MNIST, tmp_path, download=False, cache_dir=tmp_path / "c")
    assert isinstance(third.X_train, np.memmap)
    np.testing.assert_array_equal(third.X_train, first.X_train)


def test_changed_source_file_invalidates_the_cache(tmp_path: Path) -> None:
    write_idx_set(tmp_path / "mnist", MNIST.n_train, MNIST.n_test, seed=0)
    first = load_dataset(MNIST, tmp_path, download=False, cache_dir=tmp_path / "c")
    write_idx_set(tmp_path / "mnist", MNIST.n_train, MNIST.n_test, seed=1)
    second = load_dataset(MNIST, tmp_path, download=False, cache_dir=tmp_path / "c")
    assert not np.array_equal(first.X_train, second.X_train)


def test_unwritable_cache_warns_and_still_loads(tmp_path: Path) -> None:
    write_idx_set(tmp_path / "mnist", MNIST.n_train, MNIST.n_test)
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    with pytest.warns(UserWarning, match="could not cache mnist"):
        ds = load_dataset(MNIST, tmp_path, download=False, cache_dir=blocker)
    assert ds.X_train.shape == (30, 784)


# --- downloads (pooch mocked: nothing leaves the machine) ---------------------------------


@pytest.fixture
def fake_retrieve(monkeypatch: pytest.MonkeyPatch, shared_data: Path):
    """pooch.retrieve replaced: records its calls and copies the file from the shared data."""
    calls: list[dict] = []
    failing: set[str] = set()

    def retrieve(url: str, known_hash=None, fname=None, path=None, **kwargs) -> str:
        calls.append({"url": url, "known_hash": known_hash, "fname": fname, "path": path})
        Path(path).mkdir(parents=True, exist_ok=True)  # as pooch does before downloading
        if url in failing:
            raise ConnectionError(f"cannot reach {url}")
        source = next(shared_data.glob(f"*/{fname}"), None)
        if source is None:
            pytest.skip(f"{fname} is not in {shared_data}")
        target = Path(path) / fname
        target.write_bytes(source.read_bytes())
        return str(target)

    monkeypatch.setattr(pooch, "retrieve", retrieve)
    retrieve.calls, retrieve.failing = calls, failing
    return retrieve


def test_download_passes_url_and_checksum_to_pooch(tmp_path: Path, fake_retrieve) -> None:
    ds = load_dataset("pendigits", data_dir=tmp_path, download=True)
    spec = DATASETS["pendigits"].layouts[0].files
    assert [c["url"] for c in fake_retrieve.calls] == [s.urls[0] for s in spec]
    assert [c["known_hash"] for c in fake_retrieve.calls] == [
        "sha256:e2b9eb9f0d0467e2b64a4816a3420edf2b8043447576f4b84337aba44a9f97d3",
        "sha256:8bd03229c5c5291fefe43e45465dd948d2645bf23328b9d993e0b777666b2015",
    ]
    assert fake_retrieve.calls[0]["url"].startswith("https://archive.ics.uci.edu/")
    assert all(Path(c["path"]) == tmp_path / "pendigits" for c in fake_retrieve.calls)
    assert ds.X_train.shape == (7494, 16)
    fake_retrieve.calls.clear()
    load_dataset("pendigits", data_dir=tmp_path, download=True)
    assert fake_retrieve.calls == []  # present now: nothing downloaded again


def test_download_falls_back_to_a_mirror(tmp_path: Path, fake_retrieve) -> None:
    official = "http://yann.lecun.com/exdb/mnist/t10k-labels-idx1-ubyte.gz"
    fake_retrieve.failing.add(official)
    paths = download_dataset("mnist", tmp_path)
    urls = [c["url"] for c in fake_retrieve.calls]
    assert urls[-2:] == [
        official,
        "https://ossci-datasets.s3.amazonaws.com/mnist/t10k-labels-idx1-ubyte.gz",
    ]
    assert [p.name for p in paths] == [f.name for f in DATASETS["mnist"].layouts[0].files]
    assert fake_retrieve.calls[-1]["known_hash"] == (
        "sha256:f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"
    )


def test_download_failure_is_a_clear_error(tmp_path: Path, fake_retrieve) -> None:
    fake_retrieve.failing.add(DATASETS["ecoli"].layouts[0].files[0].urls[0])
    with pytest.raises(DatasetError, match=r"could not download ecoli.data .*cannot reach"):
        load_dataset("ecoli", data_dir=tmp_path)
    assert not (tmp_path / "ecoli").exists()


def test_download_with_bad_content_is_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def retrieve(url: str, known_hash=None, fname=None, path=None, **kwargs) -> str:
        target = Path(path) / fname
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"\x1f\x9d\x90" + bytes(30))  # .Z with no known_hash for pooch
        return str(target)

    monkeypatch.setattr(pooch, "retrieve", retrieve)
    with pytest.raises(DatasetError, match=r"isolet1\+2\+3\+4.data.Z: expected content checksum"):
        load_dataset("isolet", data_dir=tmp_path)
    assert not (tmp_path / "isolet/isolet1+2+3+4.data.Z").exists()


def test_missing_without_download_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(DatasetError) as excinfo:
        load_dataset("usps", data_dir=tmp_path, download=False)
    message = str(excinfo.value)
    assert str(tmp_path / "usps") in message and "zip.train.gz + zip.test.gz" in message
    assert "msae datasets --download usps" in message and "MSAE_DATA" in message


# --- splits and scaling ------------------------------------------------------------------


def test_stratified_split_is_seeded_and_per_class() -> None:
    y = np.repeat(np.arange(4), [143, 5, 2, 1])
    kept, held = stratified_split(y, 1 / 3, seed=3)
    again = stratified_split(y, 1 / 3, seed=3)
    np.testing.assert_array_equal(held, again[1])
    assert not np.array_equal(held, stratified_split(y, 1 / 3, seed=4)[1])
    assert np.bincount(y[held], minlength=4).tolist() == [48, 2, 1, 0]
    assert sorted([*kept, *held]) == list(range(len(y)))


def test_train_val_split_never_touches_the_test_set(tmp_path: Path) -> None:
    write_idx_set(tmp_path / "mnist", MNIST.n_train, MNIST.n_test)
    ds = load_dataset(MNIST, tmp_path, download=False, cache_dir=tmp_path / "c")
    tune = train_val_split(ds, val_fraction=0.2, seed=0)
    assert (tune.info.n_train, tune.info.n_test) == (20, 10)
    assert np.bincount(tune.y_test).tolist() == [1] * 10  # 3 rows a class: 1 to validation
    rows = {r.tobytes() for r in ds.X_train}
    assert all(r.tobytes() in rows for r in tune.X_test)  # validation rows come from train
    assert not {r.tobytes() for r in ds.X_test} & {r.tobytes() for r in tune.X_test}
    assert len({r.tobytes() for r in tune.X_train} & {r.tobytes() for r in tune.X_test}) == 0
    again = train_val_split(ds, val_fraction=0.2, seed=0)
    np.testing.assert_array_equal(again.y_test, tune.y_test)


# --- memory ------------------------------------------------------------------------------


def peak_ratio(load) -> float:
    tracemalloc.start()
    try:
        ds = load()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    final = sum(a.nbytes for a in (ds.X_train, ds.y_train, ds.X_test, ds.y_test))
    return peak / final


def test_cifar_load_peaks_below_twice_its_size(tmp_path: Path) -> None:
    write_cifar(tmp_path / "cifar10", 400, "bin.gz")
    info = without_checksums(DATASETS["cifar10"], n_train=2000, n_test=400)
    ratio = peak_ratio(lambda: load_dataset(info, tmp_path, cache_dir=tmp_path / "c"))
    assert ratio < 2


def test_progress_bar_speaks_poochs_protocol(tmp_path: Path, monkeypatch) -> None:
    """fetch hands pooch a downloader whose progress bar takes pooch's calls."""
    seen = []

    def retrieve(url: str, known_hash=None, fname=None, path=None, downloader=None) -> str:
        bar = downloader.progressbar
        bar.total = 100  # the calls pooch's HTTPDownloader makes, in its order
        bar.update(60)
        bar.reset()
        bar.update(100)
        bar.close()
        seen.append(bar.total)
        target = Path(path) / fname
        target.write_bytes(b"x")
        return str(target)

    monkeypatch.setattr(pooch, "retrieve", retrieve)
    spec = DATASETS["ecoli"].layouts[0].files[0]
    assert fetch(spec, tmp_path) == tmp_path / "ecoli.data"
    assert seen == [100]


def test_train_val_split_refits_minmax_on_the_remaining_training_rows() -> None:
    ds = load_dataset("pendigits")  # real files, from $MSAE_DATA
    tune = train_val_split(ds, val_fraction=0.2, seed=0)
    # min-max fitted on the tuning rows alone: each feature spans exactly [0, 1] there ...
    assert tune.X_train.min(axis=0).max() == 0.0
    assert tune.X_train.max(axis=0).min() == pytest.approx(1.0)
    # ... and the validation rows are clipped into [0, 1] with that scaling.
    assert tune.X_test.min() >= 0.0 and tune.X_test.max() <= 1.0
