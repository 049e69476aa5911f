"""Time to build the Gaussian + Laplacian pyramids of MNIST's training set (N = 2).

    python bench/bench_pyramid.py [--data-dir DIR] [--repeats R]

Times ``msae.pyramid.build_pyramid`` (per-axis matrix products) beside REDUCE/EXPAND done
directly with the 1-channel convolutions that define them, on the same data. Needs MNIST.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time

import torch

from msae.data import load_dataset
from msae.pyramid import _blur_axis, _kernel, _upsample_axis, build_pyramid


def _direct(x: torch.Tensor) -> None:
    """Both pyramids of (n, 1, 28, 28) images with the convolutions themselves."""
    kernel, levels = _kernel(x), [x]
    for _ in range(2):
        g = levels[-1]
        for axis in (2, 3):
            g = _blur_axis(g, axis, kernel)
            g = g[(slice(None),) * axis + (slice(None, None, 2),)]
        levels.append(g)
    for fine, coarse in itertools.pairwise(levels):
        up = coarse
        for axis in (2, 3):
            up = _upsample_axis(up, axis, fine.shape[axis], 2.0 * kernel)
        _ = fine - up


def _median_time(fn, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None, help="default: $MSAE_DATA, else the cache")
    parser.add_argument("--repeats", type=int, default=3, help="timings; the median is shown")
    args = parser.parse_args()
    x = torch.as_tensor(load_dataset("mnist", data_dir=args.data_dir).X_train)
    print(f"MNIST {tuple(x.shape)}, torch {torch.__version__}, {torch.get_num_threads()} threads")
    matrix = _median_time(lambda: build_pyramid(x, 2, (28, 28, 1)), args.repeats)
    direct = _median_time(lambda: _direct(x.view(-1, 1, 28, 28)), args.repeats)
    print(f"matrix products (build_pyramid): {matrix:.2f} s")
    print(f"direct convolutions:             {direct:.2f} s")


if __name__ == "__main__":
    main()
