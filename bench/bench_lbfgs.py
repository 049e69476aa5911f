"""L-BFGS at MNIST's size: objective evaluations and seconds per iteration, with and without
reusing the evaluation at the point the previous line search accepted.

    python bench/bench_lbfgs.py                       # lr21-msae and ae, 10 iterations each
    python bench/bench_lbfgs.py --presets sae --iterations 20 --threads 1

torch's LBFGS evaluates the objective at the start of every ``step()``; the trainer runs one
iteration per step, so without the reuse every iteration evaluates twice the point the line
search already evaluated. "before" disables the reuse (every lookup misses), "after" is the
trainer as it is. Both fits start from the same weights, and the script checks that they end
bitwise equal. Needs MNIST (``msae datasets``).
"""

from __future__ import annotations

import argparse
import time
from unittest import mock

import torch

import msae.train
from msae.data import load_dataset
from msae.models import ModelConfig, build_model, get_preset
from msae.train import TrainConfig, train


def _fit(preset: str, x: torch.Tensor, iterations: int, reuse: bool) -> tuple[list, int, float]:
    """(final weights, objective evaluations, seconds) of ``iterations`` L-BFGS iterations."""
    p = get_preset(preset)
    cfg = ModelConfig(n_features=x.shape[1], n_components=500, image_shape=(28, 28, 1),
                      lam=1e-5, beta=0.1, **p.defaults)  # fmt: skip
    model = build_model(cfg, p, seed=0, dtype=torch.float32)
    calls = 0
    add = msae.train._EvaluationMemo.add

    def counted(*args):  # every evaluation inside L-BFGS is added to the memo
        nonlocal calls
        calls += 1
        return add(*args)

    with mock.patch.object(msae.train._EvaluationMemo, "add", counted):
        patches = [] if reuse else [mock.patch.object(msae.train._EvaluationMemo, "find")]
        for patch in patches:
            patch.start().return_value = None
        start = time.perf_counter()
        train(model, x, TrainConfig("lbfgs", max_iter=iterations, polish_iter=0))
        seconds = time.perf_counter() - start
        for patch in patches:
            patch.stop()
    return [t.detach().clone() for t in model.parameters()], calls, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", default="lr21-msae,ae")
    parser.add_argument("--iterations", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--n", type=int, default=60000, help="training rows (a smoke test: fewer)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    x = torch.as_tensor(load_dataset("mnist").X_train[: args.n], dtype=torch.float32)
    print(f"MNIST {tuple(x.shape)}, 500 hidden, {args.iterations} iterations, "
          f"{args.threads} threads, torch {torch.__version__}")  # fmt: skip
    print("| preset | reuse | evaluations / iteration | s / iteration | speed-up |")
    print("| --- | --- | ---: | ---: | ---: |")
    for preset in args.presets.split(","):
        before, n_before, t_before = _fit(preset, x, args.iterations, reuse=False)
        after, n_after, t_after = _fit(preset, x, args.iterations, reuse=True)
        if not all(torch.equal(a, b) for a, b in zip(before, after, strict=True)):
            raise SystemExit(f"{preset}: the two fits ended with different weights")
        for name, n, t in [("before", n_before, t_before), ("after", n_after, t_after)]:
            gain = f"{t_before / t:.2f}x" if name == "after" else ""
            row = f"{n / args.iterations:.2f} | {t / args.iterations:.2f} | {gain}"
            print(f"| `{preset}` | {name} | {row} |", flush=True)


if __name__ == "__main__":
    main()
