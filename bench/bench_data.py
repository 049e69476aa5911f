"""Load time and memory of every dataset: first load, cached load, peak memory / final size.

    python bench/bench_data.py [--data-dir DIR] [NAME ...]

Each measurement runs in a fresh process with an empty cache folder. "peak / final" is the
tracemalloc peak during a first load (numpy buffers are traced) over the bytes of the four
returned arrays; "RSS +" is the growth of the process's peak resident size over the same
final size, from a separate untraced run. Where CIFAR-10's files are absent, synthetic
batches of the official size and format (random bytes) are written to a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from msae.data import DATASETS, dataset_status, get_data_dir, load_dataset


def measure(name: str, data_dir: str, cache_dir: str, traced: bool) -> dict[str, float]:
    """One dataset in this process: first load (traced or timed), then the cached load."""
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    if traced:
        tracemalloc.start()
    start = time.perf_counter()
    ds = load_dataset(name, data_dir=data_dir, download=False, cache_dir=cache_dir)
    first = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] if traced else 0
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - rss_before
    final = sum(a.nbytes for a in (ds.X_train, ds.y_train, ds.X_test, ds.y_test))
    del ds
    start = time.perf_counter()
    load_dataset(name, data_dir=data_dir, download=False, cache_dir=cache_dir)
    cached = time.perf_counter() - start
    return {"first": first, "cached": cached, "final": final, "peak": peak, "rss": rss}


def in_subprocess(name: str, data_dir: Path, traced: bool) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as cache_dir:
        args = [sys.executable, __file__, "--one", name, str(data_dir), cache_dir, str(traced)]
        out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return json.loads(out.splitlines()[-1])


def write_synthetic_cifar(folder: Path) -> None:
    """CIFAR-10 binary batches of the official size, random pixels, labels 0..9."""
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True)
    for name in [*(f"data_batch_{i}" for i in range(1, 6)), "test_batch"]:
        records = rng.integers(0, 256, (10000, 3073), dtype=np.uint8)
        records[:, 0] %= 10
        (folder / f"{name}.bin").write_bytes(records.tobytes())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=list(DATASETS))
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--one", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        name, data_dir, cache_dir, traced = args.one
        print(json.dumps(measure(name, data_dir, cache_dir, traced == "True")))
        return
    data_dir = get_data_dir(args.data_dir)
    table = Table(title=f"msae.data load benchmark ({data_dir})")
    for column in ("dataset", "files", "first load s", "cached load s", "final MiB"):
        table.add_column(column, justify="left" if column in ("dataset", "files") else "right")
    table.add_column("peak / final", justify="right")
    table.add_column("RSS + / final", justify="right")
    with tempfile.TemporaryDirectory() as scratch:
        for name in args.names:
            where, source = data_dir, "real"
            if dataset_status(name, data_dir).state != "present":
                if name != "cifar10":
                    table.add_row(name, "absent", *["-"] * 5)
                    continue
                where, source = Path(scratch), "synthetic, official size"
                write_synthetic_cifar(where / name)
            timed = in_subprocess(name, where, traced=False)
            traced = in_subprocess(name, where, traced=True)
            final = timed["final"]
            table.add_row(
                name,
                source,
                f"{timed['first']:.2f}",
                f"{timed['cached']:.4f}",
                f"{final / 2**20:.1f}",
                f"{traced['peak'] / final:.2f}",
                f"{timed['rss'] / final:.2f}",
            )
    Console().print(table)


if __name__ == "__main__":
    main()
