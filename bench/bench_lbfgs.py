"""L-BFGS at MNIST's size: objective evaluations and seconds per iteration, with and without
reusing the evaluation at the point the previous line search accepted.

    python bench/bench_lbfgs.py                       # lr21-msae and ae, 10 iterations each
    python bench/bench_lbfgs.py --presets sae --iterations 20 --threads 1

torch's LBFGS evaluates the objective at the start of every ``step()``; the trainer runs one
iteration per step, so without the reuse every iteration evaluates twice the point the line
search already evaluated. "before" is the trainer with ``reuse_evaluations=False``, which
evaluates every point torch's LBFGS asks for; "after" is the default. Both fits start from the
same weights, and the script checks that they end bitwise equal. Times include building the
pyramids once (about 0.5 s). Needs MNIST (``msae datasets``).
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

RUNS = [("before", False), ("after", True)]  # (name, reuse_evaluations)


def _fit(preset: str, x: torch.Tensor, iterations: int, reuse: bool):
    """(model, objective evaluations, seconds) of ``iterations`` L-BFGS iterations."""
    p = get_preset(preset)
    cfg = ModelConfig(n_features=x.shape[1], n_components=500, image_shape=(28, 28, 1),
                      lam=1e-5, beta=0.1, **p.defaults)  # fmt: skip
    model = build_model(cfg, p, seed=0, dtype=torch.float32)
    # Without the L2,1 polish, whose evaluations do not depend on the reuse.
    train_cfg = TrainConfig(max_iter=iterations, polish_iter=0, reuse_evaluations=reuse)
    with mock.patch.object(msae.train, "evaluate", wraps=msae.train.evaluate) as evaluate:
        start = time.perf_counter()
        train(model, x, train_cfg)
        seconds = time.perf_counter() - start
    calls = evaluate.call_count - model.uses_nonsmooth_penalty()  # one after the polish
    return model, calls, seconds


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
        fits = {name: _fit(preset, x, args.iterations, reuse) for name, reuse in RUNS}
        pairs = zip(fits["before"][0].parameters(), fits["after"][0].parameters(), strict=True)
        if not all(torch.equal(a, b) for a, b in pairs):
            raise SystemExit(f"{preset}: the two fits ended with different weights")
        for name, (_, calls, seconds) in fits.items():
            gain = f"{fits['before'][2] / seconds:.2f}x" if name == "after" else ""
            row = f"{calls / args.iterations:.2f} | {seconds / args.iterations:.2f} | {gain}"
            print(f"| `{preset}` | {name} | {row} |", flush=True)


if __name__ == "__main__":
    main()
