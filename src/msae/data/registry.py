"""The seven datasets of the paper: sizes, classes, files, sources and checksums.

Checksums: ``known_hash`` is the digest of the published download (checked by pooch);
``content_hashes`` are digests of the decompressed content, checked on first load whatever
the compression of the local copy. Where they come from is in docs/datasets.md.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from msae.data import cifar, idx, uci, usps
from msae.data.files import FileSpec, Splits

Reader = Callable[[Sequence[Path], "DatasetInfo"], Splits]


@dataclass(frozen=True)
class Layout:
    """One complete set of files a dataset can be read from, and the reader for it."""

    files: tuple[FileSpec, ...]
    reader: Reader
    note: str = ""

    @property
    def downloadable(self) -> bool:
        return all(f.urls for f in self.files)


@dataclass(frozen=True)
class DatasetInfo:
    """What a dataset is; ``layouts`` are tried in order, the first downloadable one is fetched.

    ``scaling`` is a key of :data:`msae.data.preprocess.SCALINGS`. ``holdout_fraction`` is set
    for data without an official split: the test part is then a stratified holdout of that
    fraction, drawn with ``split_seed``; ``n_train`` / ``n_test`` are its sizes.
    """

    name: str
    title: str
    n_train: int
    n_test: int
    n_features: int
    class_names: tuple[str, ...]
    image_shape: tuple[int, int, int] | None
    scaling: str
    layouts: tuple[Layout, ...]
    homepage: str
    holdout_fraction: float | None = None

    @property
    def n_classes(self) -> int:
        return len(self.class_names)


DIGITS = tuple("0123456789")
UCI = "https://archive.ics.uci.edu/ml/machine-learning-databases"


def _idx_files(urls: Sequence[str], hashes: dict[str, tuple[str, str]]) -> tuple[FileSpec, ...]:
    """The four IDX .gz files, in the order of ``hashes``: stem -> (file, content sha256)."""
    return tuple(
        FileSpec(
            f"{stem}.gz",
            tuple(f"{url}{stem}.gz" for url in urls),
            f"sha256:{file_sha}",
            (f"sha256:{content_sha}",),
        )
        for stem, (file_sha, content_sha) in hashes.items()
    )


def _plain(url: str, sha256: str) -> FileSpec:
    """An uncompressed published file: the file and content digests are the same."""
    return FileSpec(url.rsplit("/", 1)[1], (url,), f"sha256:{sha256}", (f"sha256:{sha256}",))


def _cifar_loose(
    names: Sequence[str], folder: str, md5s: Sequence[str] = ()
) -> tuple[FileSpec, ...]:
    """Batches extracted from an archive: in the dataset folder or in its ``folder``."""
    hashes: list[tuple[str, ...]] = [(f"md5:{m}",) for m in md5s] or [()] * len(names)
    return tuple(
        FileSpec(n, content_hashes=h, aliases=(f"{folder}/{n}",))
        for n, h in zip(names, hashes, strict=True)
    )


KRIZ = "https://www.cs.toronto.edu/~kriz"
CIFAR_BIN_ARCHIVE = FileSpec(
    "cifar-10-binary.tar.gz",
    (f"{KRIZ}/cifar-10-binary.tar.gz",),
    "sha256:c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd",
)
CIFAR_PY_ARCHIVE = FileSpec(
    "cifar-10-python.tar.gz",
    (f"{KRIZ}/cifar-10-python.tar.gz",),
    "sha256:6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
)
CIFAR_PY_MD5 = (  # published with torchvision's CIFAR10 loader
    "c99cafc152244af753f735de768cd75f",
    "d4bba439e000b95fd0a9bffe97cbabec",
    "54ebc095f3ab1f0389bbae665268c751",
    "634d18415352ddfa80567beed471001a",
    "482c414d41f54cd18b22e5b47cb7c3cb",
    "40351d587109b95175f43aff81a1287e",
)
ISOLET5 = FileSpec(
    "isolet5.data.Z",
    (f"{UCI}/isolet/isolet5.data.Z",),
    content_hashes=("sha256:d3409bb424f2bf9a68d0d07d4824b1d776b430d2e49c1207f00502a9e2f2a899",),
)

_DATASETS = (
    DatasetInfo(
        name="mnist",
        title="MNIST handwritten digits",
        n_train=60000,
        n_test=10000,
        n_features=784,
        class_names=DIGITS,
        image_shape=(28, 28, 1),
        scaling="bytes",
        layouts=(
            Layout(
                _idx_files(
                    (
                        "http://yann.lecun.com/exdb/mnist/",
                        "https://ossci-datasets.s3.amazonaws.com/mnist/",
                    ),
                    {
                        "train-images-idx3-ubyte": (
                            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
                            "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
                        ),
                        "train-labels-idx1-ubyte": (
                            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
                            "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
                        ),
                        "t10k-images-idx3-ubyte": (
                            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
                            "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
                        ),
                        "t10k-labels-idx1-ubyte": (
                            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
                            "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
                        ),
                    },
                ),
                idx.read_idx,
            ),
        ),
        homepage="http://yann.lecun.com/exdb/mnist/",
    ),
    DatasetInfo(
        name="fashion-mnist",
        title="Fashion-MNIST (Zalando article images)",
        n_train=60000,
        n_test=10000,
        n_features=784,
        class_names=(
            "T-shirt/top",
            "Trouser",
            "Pullover",
            "Dress",
            "Coat",
            "Sandal",
            "Shirt",
            "Sneaker",
            "Bag",
            "Ankle boot",
        ),
        image_shape=(28, 28, 1),
        scaling="bytes",
        layouts=(
            Layout(
                _idx_files(
                    (
                        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
                        "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
                    ),
                    {
                        "train-images-idx3-ubyte": (
                            "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
                            "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
                        ),
                        "train-labels-idx1-ubyte": (
                            "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
                            "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
                        ),
                        "t10k-images-idx3-ubyte": (
                            "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
                            "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
                        ),
                        "t10k-labels-idx1-ubyte": (
                            "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
                            "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
                        ),
                    },
                ),
                idx.read_idx,
            ),
        ),
        homepage="https://github.com/zalandoresearch/fashion-mnist",
    ),
    DatasetInfo(
        name="cifar10",
        title="CIFAR-10 tiny colour images",
        n_train=50000,
        n_test=10000,
        n_features=3072,
        class_names=(
            "airplane",
            "automobile",
            "bird",
            "cat",
            "deer",
            "dog",
            "frog",
            "horse",
            "ship",
            "truck",
        ),
        image_shape=(32, 32, 3),
        scaling="bytes",
        layouts=(
            Layout(_cifar_loose(cifar.BIN_NAMES, "cifar-10-batches-bin"), cifar.read_bin_batches),
            Layout((CIFAR_BIN_ARCHIVE,), cifar.read_bin_archive),
            Layout(
                _cifar_loose(cifar.BATCHES, "cifar-10-batches-py", CIFAR_PY_MD5),
                cifar.read_pickle_batches,
            ),
            Layout((CIFAR_PY_ARCHIVE,), cifar.read_pickle_archive),
        ),
        homepage=f"{KRIZ}/cifar.html",
    ),
    DatasetInfo(
        name="usps",
        title="USPS handwritten digits (ESL zip code data)",
        n_train=7291,
        n_test=2007,
        n_features=256,
        class_names=DIGITS,
        image_shape=(16, 16, 1),
        scaling="symmetric",
        layouts=(
            Layout(
                tuple(
                    FileSpec(
                        f"zip.{part}.gz",
                        (
                            f"https://hastie.su.domains/ElemStatLearn/datasets/zip.{part}.gz",
                            f"https://web.stanford.edu/~hastie/ElemStatLearn/datasets/zip.{part}.gz",
                        ),
                        f"sha256:{file_sha}",
                        (f"sha256:{content_sha}",),
                    )
                    for part, file_sha, content_sha in (
                        (
                            "train",
                            "66ebf231ab51f2cf6ac1a892d0f98ccffee1079d7a5db638c1f11f366046ca16",
                            "abc9f5c75b997cabe66b5d01727d5a681c69298e1641a8d37b55433a52129dc0",
                        ),
                        (
                            "test",
                            "8dacc3c6e136af6c3488de9e5113a7daf140c8c2f1f0b61c54ee02f03f1a962f",
                            "6bde17b4f1cd68e0630cd2751d6495b5795d9165ab2dc4a0be8b7002b732f4cc",
                        ),
                    )
                ),
                usps.read_usps,
            ),
        ),
        homepage="https://hastie.su.domains/ElemStatLearn/data.html",
    ),
    DatasetInfo(
        name="isolet",
        title="UCI ISOLET spoken letters",
        n_train=6238,
        n_test=1559,
        n_features=617,
        class_names=tuple("ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
        image_shape=None,
        scaling="minmax",
        layouts=(
            Layout(
                (
                    FileSpec(
                        "isolet1+2+3+4.data.Z",
                        (f"{UCI}/isolet/isolet1+2+3+4.data.Z",),
                        content_hashes=("git:755a9eed7776ad9a3d025d52df1e81c6f23d7d7c",),
                    ),
                    ISOLET5,
                ),
                uci.read_isolet,
            ),
            Layout(
                (
                    FileSpec(
                        "isolet-train-cai.data.gz",
                        content_hashes=(
                            "sha256:a4f27347a03785e4603b664cffa9212951a142d8f8f86e833eca12ecd19fe4cf",
                        ),
                    ),
                    ISOLET5,
                ),
                uci.read_isolet,
                note="substitute training file: the official 6238 rows in another order",
            ),
        ),
        homepage="https://archive.ics.uci.edu/dataset/54/isolet",
    ),
    DatasetInfo(
        name="pendigits",
        title="UCI pen-based handwritten digits",
        n_train=7494,
        n_test=3498,
        n_features=16,
        class_names=DIGITS,
        image_shape=None,
        scaling="minmax",
        layouts=(
            Layout(
                (
                    _plain(
                        f"{UCI}/pendigits/pendigits.tra",
                        "e2b9eb9f0d0467e2b64a4816a3420edf2b8043447576f4b84337aba44a9f97d3",
                    ),
                    _plain(
                        f"{UCI}/pendigits/pendigits.tes",
                        "8bd03229c5c5291fefe43e45465dd948d2645bf23328b9d993e0b777666b2015",
                    ),
                ),
                uci.read_pendigits,
            ),
        ),
        homepage="https://archive.ics.uci.edu/dataset/81/pen+based+recognition+of+handwritten+digits",
    ),
    DatasetInfo(
        name="ecoli",
        title="UCI E. coli protein localization sites",
        n_train=222,
        n_test=114,
        n_features=7,
        class_names=("cp", "im", "pp", "imU", "om", "omL", "imL", "imS"),
        image_shape=None,
        scaling="minmax",
        layouts=(
            Layout(
                (
                    _plain(
                        f"{UCI}/ecoli/ecoli.data",
                        "008bd8fbb1d8b34040c3c8c4e987cac2a7ebf116e008b140cc6441be5261ba1d",
                    ),
                ),
                uci.read_ecoli,
            ),
        ),
        homepage="https://archive.ics.uci.edu/dataset/39/ecoli",
        holdout_fraction=1 / 3,
    ),
)

DATASETS: dict[str, DatasetInfo] = {d.name: d for d in _DATASETS}
