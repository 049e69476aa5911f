"""Each reader on small synthetic files in the exact format, good and deliberately broken."""

from __future__ import annotations

import gzip
import os
import pickle
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from synth_files import (
    CIFAR_ALL,
    cifar_batch,
    cifar_bin_bytes,
    cifar_pickle_bytes,
    idx_bytes,
    isolet_text,
    lzw_compress,
    pendigits_text,
    usps_text,
    without_checksums,
    write_cifar,
    write_idx_set,
    write_tar,
)

from msae.data import DATASETS, DatasetError, dataset_status, load_dataset
from msae.data.lzw import decompress

MNIST = without_checksums(DATASETS["mnist"], n_train=30, n_test=10)
CIFAR = without_checksums(DATASETS["cifar10"], n_train=50, n_test=10)
USPS = without_checksums(DATASETS["usps"], n_train=12, n_test=5)
ISOLET = without_checksums(DATASETS["isolet"], n_train=30, n_test=8)
PENDIGITS = without_checksums(DATASETS["pendigits"], n_train=20, n_test=10)


def load(info, root: Path, tmp_path: Path):
    return load_dataset(info, data_dir=root, download=False, cache_dir=tmp_path / "cache")


def assert_error(excinfo, path: Path, *words: str) -> None:
    message = str(excinfo.value)
    assert str(path) in message and "expected" in message and "found" in message
    assert "download it again" in message
    for word in words:
        assert word in message


# --- .Z (compress) ----------------------------------------------------------------------


@pytest.mark.parametrize("max_bits", [10, 12, 16])
def test_lzw_round_trip_and_gzip_agrees(max_bits: int) -> None:
    rng = np.random.default_rng(max_bits)
    for data in [b"", b"x", b"abab" * 500, rng.integers(0, 3, 60000, dtype=np.uint8).tobytes()]:
        z = lzw_compress(data, max_bits)
        assert decompress(z) == data
        if shutil.which("gzip"):  # the reference decoder, where there is one
            assert subprocess.run(["gzip", "-dc"], input=z, capture_output=True).stdout == data


def test_lzw_rejects_damaged_streams() -> None:
    z = lzw_compress(b"hello hello hello hello", 16)
    with pytest.raises(ValueError, match="magic"):
        decompress(b"\x1f\x8b" + z[2:])
    with pytest.raises(ValueError, match="code width"):
        decompress(z[:2] + b"\x80" + z[3:])
    with pytest.raises(ValueError, match="corrupt"):
        decompress(z[:3] + b"\xff\xff\xff" + z[6:])


# --- IDX ---------------------------------------------------------------------------------


def test_idx_reads_images_and_labels(tmp_path: Path) -> None:
    write_idx_set(tmp_path / "mnist", MNIST.n_train, MNIST.n_test)
    ds = load(MNIST, tmp_path, tmp_path)
    images = np.frombuffer(
        gzip.decompress((tmp_path / "mnist/train-images-idx3-ubyte.gz").read_bytes())[16:],
        np.uint8,
    )
    assert ds.X_train.shape == (30, 784) and ds.X_train.dtype == np.float32
    np.testing.assert_array_equal(ds.X_train.ravel(), images / np.float32(255))
    np.testing.assert_array_equal(ds.y_train, np.arange(30) % 10)
    assert ds.y_test.dtype == np.int64


def test_idx_accepts_plain_files(tmp_path: Path) -> None:
    write_idx_set(tmp_path / "mnist", MNIST.n_train, MNIST.n_test)
    for gz in (tmp_path / "mnist").glob("*.gz"):
        gz.with_suffix("").write_bytes(gzip.decompress(gz.read_bytes()))
        gz.unlink()
    assert load(MNIST, tmp_path, tmp_path).X_test.shape == (10, 784)


@pytest.mark.parametrize(
    ("damage", "words"),
    [
        (lambda b: b[: len(b) // 2], ["gzip", "truncated"]),
        (lambda b: b[:20] + bytes(60) + b[80:], ["gzip"]),
        (lambda b: gzip.compress(b"\x00\x00\x09\x03" + gzip.decompress(b)[4:]), ["IDX"]),
        (lambda b: gzip.compress(gzip.decompress(b)[:-5]), ["bytes for shape"]),
        (lambda b: gzip.compress(gzip.decompress(b)[:7]), ["IDX header"]),
    ],
    ids=["truncated-gz", "corrupt-gz", "bad-magic", "short-payload", "short-header"],
)
def test_idx_damaged_file(tmp_path: Path, damage, words) -> None:
    write_idx_set(tmp_path / "mnist", MNIST.n_train, MNIST.n_test)
    path = tmp_path / "mnist/train-images-idx3-ubyte.gz"
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(DatasetError) as excinfo:
        load(MNIST, tmp_path, tmp_path)
    assert_error(excinfo, path, *words)


def test_idx_wrong_shape_and_labels(tmp_path: Path) -> None:
    write_idx_set(tmp_path / "mnist", MNIST.n_train, MNIST.n_test)
    images = tmp_path / "mnist/t10k-images-idx3-ubyte.gz"
    images.write_bytes(gzip.compress(idx_bytes(np.zeros((10, 28, 27), np.uint8))))
    with pytest.raises(DatasetError) as excinfo:
        load(MNIST, tmp_path, tmp_path)
    assert_error(excinfo, images, "(10, 28, 28)", "(10, 28, 27)")

    write_idx_set(tmp_path / "mnist", MNIST.n_train, MNIST.n_test)
    labels = tmp_path / "mnist/train-labels-idx1-ubyte.gz"
    labels.write_bytes(gzip.compress(idx_bytes(np.full(30, 10, np.uint8))))
    with pytest.raises(DatasetError) as excinfo:
        load(MNIST, tmp_path, tmp_path)
    assert_error(excinfo, labels, "class labels 0..9", "row 1")


def test_idx_wrong_checksum_with_the_real_registry(tmp_path: Path) -> None:
    write_idx_set(tmp_path / "mnist", 60, 10)
    with pytest.raises(DatasetError) as excinfo:
        load_dataset("mnist", data_dir=tmp_path, download=False, cache_dir=tmp_path)
    assert_error(excinfo, tmp_path / "mnist/train-images-idx3-ubyte.gz", "checksum", "sha256:")


# --- CIFAR-10 ----------------------------------------------------------------------------


def expected_cifar(batches: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    def hwc(names: list[str]) -> tuple[np.ndarray, np.ndarray]:
        pixels = np.concatenate([batches[n][1] for n in names])
        images = pixels.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).reshape(len(pixels), -1)
        return images / np.float32(255), np.concatenate([batches[n][0] for n in names])

    X_train, y_train = hwc(CIFAR_ALL[:5])
    X_test, y_test = hwc(CIFAR_ALL[5:])
    return X_train, y_train, X_test, y_test


@pytest.mark.parametrize("kind", ["bin", "bin.gz", "bin-tar", "py", "py-tar"])
def test_cifar_every_layout(tmp_path: Path, kind: str) -> None:
    batches = write_cifar(tmp_path / "cifar10", 10, kind)
    ds = load(CIFAR, tmp_path, tmp_path)
    for got, want in zip(
        (ds.X_train, ds.y_train, ds.X_test, ds.y_test), expected_cifar(batches), strict=True
    ):
        np.testing.assert_array_equal(got, want)
    assert ds.X_train.dtype == np.float32 and ds.X_train.shape == (50, 3072)
    # (H, W, C): the first three values of a row are the red, green, blue of pixel (0, 0)
    pixels = batches["data_batch_1"][1]
    np.testing.assert_array_equal(ds.X_train[0, :3] * 255, pixels[0, [0, 1024, 2048]])


def test_cifar_loose_binary_batches_have_no_published_checksum(tmp_path: Path) -> None:
    write_cifar(tmp_path / "cifar10", 10, "bin")
    status = dataset_status("cifar10", tmp_path)
    assert status.state == "present" and "no published checksum" in status.detail
    assert [p.name for p in status.files] == [f"{b}.bin" for b in CIFAR_ALL]


def test_cifar_binary_wrong_size_and_label(tmp_path: Path) -> None:
    write_cifar(tmp_path / "cifar10", 10, "bin")
    path = tmp_path / "cifar10/data_batch_3.bin"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(DatasetError) as excinfo:
        load(CIFAR, tmp_path, tmp_path)
    assert_error(excinfo, path, "10 records of 3073 bytes", "30630 bytes")

    labels, pixels = np.full(10, 12, np.uint8), np.zeros((10, 3072), np.uint8)
    path.write_bytes(cifar_bin_bytes(labels, pixels))
    with pytest.raises(DatasetError) as excinfo:
        load(CIFAR, tmp_path, tmp_path)
    assert_error(excinfo, path, "class labels 0..9")


def test_cifar_archive_truncated_or_incomplete(tmp_path: Path) -> None:
    write_cifar(tmp_path / "cifar10", 10, "bin-tar")
    path = tmp_path / "cifar10/cifar-10-binary.tar.gz"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DatasetError) as excinfo:
        load(CIFAR, tmp_path, tmp_path)
    assert_error(excinfo, path, "tar archive")

    write_tar(path, {"cifar-10-batches-bin/data_batch_1.bin": cifar_bin_bytes(*cifar_batch(10, 0))})
    with pytest.raises(DatasetError) as excinfo:
        load(CIFAR, tmp_path, tmp_path)
    assert_error(excinfo, path, "data_batch_1.bin", "test_batch.bin")


def test_cifar_pickle_wrong_shape(tmp_path: Path) -> None:
    write_cifar(tmp_path / "cifar10", 10, "py")
    path = tmp_path / "cifar10/cifar-10-batches-py/test_batch"
    path.write_bytes(cifar_pickle_bytes(np.zeros(10, np.uint8), np.zeros((10, 3000), np.uint8)))
    with pytest.raises(DatasetError) as excinfo:
        load(CIFAR, tmp_path, tmp_path)
    assert_error(excinfo, path, "(10, 3072)", "(10, 3000)")
    path.write_bytes(b"\x80\x02}q\x00(X")  # truncated pickle
    with pytest.raises(DatasetError) as excinfo:
        load(CIFAR, tmp_path, tmp_path)
    assert_error(excinfo, path, "unreadable pickle")


class Exploit:
    """Unpickling this with a plain pickle.load would run a shell command."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


@pytest.mark.parametrize("protocol", [0, 2, 5])
def test_cifar_pickle_cannot_run_code(tmp_path: Path, protocol: int) -> None:
    write_cifar(tmp_path / "cifar10", 10, "py")
    marker = tmp_path / "pwned"
    payload = {"data": Exploit(f"touch {marker}"), "labels": [0] * 10}
    path = tmp_path / "cifar10/cifar-10-batches-py/data_batch_1"
    path.write_bytes(pickle.dumps(payload, protocol=protocol))
    with pytest.raises(DatasetError) as excinfo:
        load(CIFAR, tmp_path, tmp_path)
    assert_error(excinfo, path, "refusing to load global", "system")
    assert not marker.exists()
    pickle.loads(path.read_bytes())  # the same bytes do run code with the plain unpickler
    assert marker.exists()


# --- USPS ---------------------------------------------------------------------------------


def write_usps(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "zip.train.gz").write_bytes(gzip.compress(usps_text(12, 0).encode()))
    (folder / "zip.test.gz").write_bytes(gzip.compress(usps_text(5, 1).encode()))


def test_usps_reads_and_rescales(tmp_path: Path) -> None:
    write_usps(tmp_path / "usps")
    ds = load(USPS, tmp_path, tmp_path)
    text = gzip.decompress((tmp_path / "usps/zip.test.gz").read_bytes()).decode()
    table = np.loadtxt(text.splitlines())
    np.testing.assert_allclose(ds.X_test, (table[:, 1:] + 1) / 2, atol=1e-7)
    np.testing.assert_array_equal(ds.y_test, table[:, 0])
    assert ds.X_train.min() == 0 and ds.X_train.max() == 1


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("3 " + " ".join(["0.5"] * 255) + "\n", ["rows of 257 numbers"]),
        ("3 " + " ".join(["1.5"] * 256) + "\n", ["[-1, 1]"]),
        ("11 " + " ".join(["0"] * 256) + "\n", ["class labels 0..9"]),
        ("3 " + " ".join(["abc"] * 256) + "\n", ["unreadable"]),
    ],
    ids=["short-row", "out-of-range", "bad-label", "not-numbers"],
)
def test_usps_damaged(tmp_path: Path, text: str, words: list[str]) -> None:
    write_usps(tmp_path / "usps")
    path = tmp_path / "usps/zip.test.gz"
    good = gzip.decompress(path.read_bytes()).decode().splitlines(keepends=True)
    path.write_bytes(gzip.compress(("".join(good[:4]) + text).encode()))
    with pytest.raises(DatasetError) as excinfo:
        load(USPS, tmp_path, tmp_path)
    assert_error(excinfo, path, *words)


def test_usps_wrong_row_count(tmp_path: Path) -> None:
    write_usps(tmp_path / "usps")
    path = tmp_path / "usps/zip.train.gz"
    path.write_bytes(gzip.compress(usps_text(11).encode()))
    with pytest.raises(DatasetError) as excinfo:
        load(USPS, tmp_path, tmp_path)
    assert_error(excinfo, path, "12 rows", "found 11")


# --- ISOLET --------------------------------------------------------------------------------


@pytest.mark.parametrize("train_name", ["isolet1+2+3+4.data.Z", "isolet1+2+3+4.data", "sub"])
def test_isolet_official_compressed_or_substitute(tmp_path: Path, train_name: str) -> None:
    folder = tmp_path / "isolet"
    folder.mkdir()
    train, test = isolet_text(30, 0).encode(), isolet_text(8, 1).encode()
    if train_name == "sub":
        (folder / "isolet-train-cai.data.gz").write_bytes(gzip.compress(train))
    else:
        (folder / train_name).write_bytes(lzw_compress(train) if train_name[-2:] == ".Z" else train)
    (folder / "isolet5.data.Z").write_bytes(lzw_compress(test))
    ds = load(ISOLET, tmp_path, tmp_path)
    raw = np.loadtxt(train.decode().splitlines(), delimiter=",")
    np.testing.assert_array_equal(ds.y_train, raw[:, -1] - 1)
    low, high = raw[:, :-1].min(0), raw[:, :-1].max(0)
    np.testing.assert_allclose(ds.X_train, (raw[:, :-1] - low) / (high - low), atol=1e-6)
    assert ds.X_test.min() >= 0 and ds.X_test.max() <= 1  # test rows clipped to [0, 1]
    assert ds.files[0].name.startswith("isolet")


@pytest.mark.parametrize(
    ("damage", "words"),
    [
        (lambda z: z[: len(z) - 40], ["rows"]),
        (lambda z: z[:3] + b"\xff" * 8 + z[11:], [".Z (compress)", "corrupt"]),
        (lambda z: b"PK" + z[2:], [".Z (compress)", "magic"]),
    ],
    ids=["truncated", "corrupt-codes", "not-compress"],
)
def test_isolet_damaged_z(tmp_path: Path, damage, words) -> None:
    folder = tmp_path / "isolet"
    folder.mkdir()
    (folder / "isolet1+2+3+4.data").write_text(isolet_text(30))
    path = folder / "isolet5.data.Z"
    path.write_bytes(damage(lzw_compress(isolet_text(8).encode())))
    with pytest.raises(DatasetError) as excinfo:
        load(ISOLET, tmp_path, tmp_path)
    assert_error(excinfo, path, *words)


def test_isolet_wrong_columns_and_labels(tmp_path: Path) -> None:
    folder = tmp_path / "isolet"
    folder.mkdir()
    path = folder / "isolet1+2+3+4.data"
    path.write_text(isolet_text(30).replace(", 1.\n", "\n", 1))
    (folder / "isolet5.data").write_text(isolet_text(8))
    with pytest.raises(DatasetError) as excinfo:
        load(ISOLET, tmp_path, tmp_path)
    assert_error(excinfo, path, "unreadable", "618")
    path.write_text(isolet_text(30).replace(", 1.\n", ", 27.\n", 1))
    with pytest.raises(DatasetError) as excinfo:
        load(ISOLET, tmp_path, tmp_path)
    assert_error(excinfo, path, "class labels 1..26", "27.0")


# --- Pendigits and Ecoli ----------------------------------------------------------------


def test_pendigits_reads_and_damaged(tmp_path: Path) -> None:
    folder = tmp_path / "pendigits"
    folder.mkdir()
    (folder / "pendigits.tra").write_text(pendigits_text(20, 0))
    path = folder / "pendigits.tes"
    path.write_text(pendigits_text(10, 1))
    ds = load(PENDIGITS, tmp_path, tmp_path)
    assert ds.X_train.shape == (20, 16) and ds.X_test.shape == (10, 16)
    np.testing.assert_array_equal(ds.y_test, np.arange(10))
    path.write_text(pendigits_text(9, 1))
    with pytest.raises(DatasetError) as excinfo:
        load(PENDIGITS, tmp_path, tmp_path)
    assert_error(excinfo, path, "10 rows", "found 9")


def test_ecoli_damaged(tmp_path: Path) -> None:
    folder = tmp_path / "ecoli"
    folder.mkdir()
    rows = [f"SEQ{i}_ECOLI  0.49  0.29  0.48  0.50  0.56  0.24  0.35   cp" for i in range(336)]
    info = without_checksums(DATASETS["ecoli"])
    path = folder / "ecoli.data"
    for bad_row, words in [
        ("X_ECOLI  0.1  0.2  0.48  0.50  0.56  0.24   cp", ["8 fields in row 3"]),
        ("X_ECOLI  0.1  0.2  0.48  0.50  0.56  0.24  0.1  xx", ["classes cp, im", "'xx'"]),
        ("X_ECOLI  0.1  0.2  0.48  0.50  0.56  0.24  abc  cp", ["row 3"]),
    ]:
        path.write_text("\n".join([*rows[:2], bad_row, *rows[3:]]) + "\n")
        with pytest.raises(DatasetError) as excinfo:
            load(info, tmp_path, tmp_path)
        assert_error(excinfo, path, *words)
    path.write_text("\n".join(rows[:300]) + "\n")
    with pytest.raises(DatasetError) as excinfo:
        load(info, tmp_path, tmp_path)
    assert_error(excinfo, path, "336 rows", "found 300")
