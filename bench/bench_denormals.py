"""L-BFGS on MNIST with denormal floats kept and flushed to zero (x86's FTZ/DAZ).

    python bench/bench_denormals.py                          # 5000 rows, 100 iterations
    python bench/bench_denormals.py --rows 60000 --iterations 20 --betas 1e-7

LR21-MSAE (500 hidden units, lambda = 1e-5) is trained from the same initial weights twice per
beta: once with denormals kept, as x86 does by default, and once flushed, as ``msae.train.train``
now does. Saturated sigmoids put numbers below float32's smallest normal (1.2e-38) into the
matrix products, which then run several times slower. For each run the script prints the
optimiser's seconds, the objective evaluations, the final loss, and how far the final weights of
the two runs are apart. Needs MNIST (``msae datasets``).
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


def _fit(x: torch.Tensor, beta: float, iterations: int, flush: bool):
    """(model, seconds, evaluations, final loss) of one fit, denormals ``flush``ed or kept."""
    p = get_preset("lr21-msae")
    cfg = ModelConfig(n_features=784, n_components=500, image_shape=(28, 28, 1), lam=1e-5,
                      beta=beta, **p.defaults)  # fmt: skip
    model = build_model(cfg, p, seed=0, dtype=torch.float32)
    kept = mock.patch.object(msae.train, "flush_denormals", lambda: None)  # train() sets it
    with mock.patch.object(msae.train, "evaluate", wraps=msae.train.evaluate) as evaluate:
        if not flush:
            kept.start()
        try:
            start = time.perf_counter()
            history = train(model, x, TrainConfig(max_iter=iterations, polish_iter=0))
            seconds = time.perf_counter() - start
        finally:
            if not flush:
                kept.stop()
    return model, seconds, evaluate.call_count, history[-1]["loss"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000, help="MNIST training rows")
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--betas", type=float, nargs="+", default=[1e-7, 0.1])
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(False)  # torch's threads start without the flag, as by default
    x = torch.as_tensor(load_dataset("mnist").X_train[: args.rows])
    print(f"{args.rows} rows, {args.iterations} iterations, {args.threads} thread(s)")
    print("| beta | denormals | seconds | evaluations | final loss |")
    print("| ---: | --- | ---: | ---: | ---: |")
    for beta in args.betas:
        models = {}
        for flush in (False, True):
            model, seconds, calls, loss = _fit(x, beta, args.iterations, flush)
            models[flush] = model
            name = "flushed" if flush else "kept"
            print(f"| {beta:g} | {name} | {seconds:.1f} | {calls} | {loss:.6f} |")
        diff = max(
            (a - b).abs().max().item()
            for a, b in zip(models[False].parameters(), models[True].parameters(), strict=True)
        )
        print(f"beta {beta:g}: largest difference between the two runs' weights: {diff:.3g}")


if __name__ == "__main__":
    main()
