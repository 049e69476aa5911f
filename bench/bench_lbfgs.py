"""L-BFGS at MNIST's size: objective evaluations and seconds per iteration, with and without
reusing the evaluation at the point the previous line search accepted; and the same for the
proximal polish of the L2,1 models.

    python bench/bench_lbfgs.py                       # lr21-msae and ae, 10 iterations each
    python bench/bench_lbfgs.py --presets sae --iterations 20 --threads 1
    python bench/bench_lbfgs.py --presets lr21-msae --iterations 5 --polish-iter 30

torch's LBFGS evaluates the objective at the start of every ``step()``; the trainer runs one
iteration per step, so without the reuse every iteration evaluates twice the point the line
search already evaluated. Each polish step likewise starts at the point where its
predecessor's line search stopped. "before" is the trainer with ``reuse_evaluations=False``,
which evaluates every point torch's LBFGS asks for and every polish start; "after" is the
default. Both fits start from the same weights, and the script checks that they end bitwise
equal. Iteration times include building the pyramids once (about 0.5 s). Needs MNIST (``msae
datasets``).
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


def _fit(preset: str, x: torch.Tensor, iterations: int, polish_iter: int, reuse: bool):
    """(model, L-BFGS evaluations, seconds, polish evaluations, polish seconds) of a fit with
    ``iterations`` L-BFGS iterations and ``polish_iter`` polish steps."""
    p = get_preset(preset)
    cfg = ModelConfig(n_features=x.shape[1], n_components=500, image_shape=(28, 28, 1),
                      lam=1e-5, beta=0.1, **p.defaults)  # fmt: skip
    model = build_model(cfg, p, seed=0, dtype=torch.float32)
    train_cfg = TrainConfig(max_iter=iterations, polish_iter=polish_iter, reuse_evaluations=reuse)
    polish, run_polish = {"seconds": 0.0}, msae.train._polish

    def timed_polish(*args):
        start = time.perf_counter()
        run_polish(*args)
        polish["seconds"] = time.perf_counter() - start

    with (
        mock.patch.object(msae.train, "evaluate", wraps=msae.train.evaluate) as evaluate,
        mock.patch.object(
            msae.train, "_smooth_objective", wraps=msae.train._smooth_objective
        ) as smooth,  # only the polish evaluates this
        mock.patch.object(msae.train, "_polish", timed_polish),
    ):
        start = time.perf_counter()
        train(model, x, train_cfg)
        seconds = time.perf_counter() - start - polish["seconds"]
    calls = evaluate.call_count - model.uses_nonsmooth_penalty()  # one after the polish
    return model, calls, seconds, smooth.call_count, polish["seconds"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", default="lr21-msae,ae")
    parser.add_argument("--iterations", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--polish-iter", type=int, default=0, help="polish steps (L2,1 presets)")
    parser.add_argument("--n", type=int, default=60000, help="training rows (a smoke test: fewer)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    x = torch.as_tensor(load_dataset("mnist").X_train[: args.n], dtype=torch.float32)
    print(f"MNIST {tuple(x.shape)}, 500 hidden, {args.iterations} iterations, "
          f"{args.polish_iter} polish steps, {args.threads} threads, "
          f"torch {torch.__version__}")  # fmt: skip
    print("| preset | reuse | evaluations / iteration | s / iteration | speed-up "
          "| polish evaluations | polish s | speed-up |")  # fmt: skip
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for preset in args.presets.split(","):
        fits = {
            name: _fit(preset, x, args.iterations, args.polish_iter, reuse) for name, reuse in RUNS
        }
        pairs = zip(fits["before"][0].parameters(), fits["after"][0].parameters(), strict=True)
        if not all(torch.equal(a, b) for a, b in pairs):
            raise SystemExit(f"{preset}: the two fits ended with different weights")
        before = fits["before"]
        for name, (_, calls, seconds, polish_calls, polish_seconds) in fits.items():
            after = name == "after"
            gain = f"{before[2] / seconds:.2f}x" if after else ""
            polish_gain = f"{before[4] / polish_seconds:.2f}x" if after and polish_seconds else ""
            print(f"| `{preset}` | {name} | {calls / args.iterations:.2f} | "
                  f"{seconds / args.iterations:.2f} | {gain} | {polish_calls} | "
                  f"{polish_seconds:.1f} | {polish_gain} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
