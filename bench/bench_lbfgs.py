"""L-BFGS at MNIST's size: objective evaluations and seconds per iteration, with and without
reusing the evaluation at the point the previous line search accepted.

    python bench/bench_lbfgs.py                       # lr21-msae and ae, 10 iterations each
    python bench/bench_lbfgs.py --presets sae --iterations 20 --threads 1

torch's LBFGS evaluates the objective at the start of every ``step()``; the trainer runs one
iteration per step, so without the reuse every iteration evaluates twice the point the line
search already evaluated. "before" drives torch's LBFGS that way, "after" is the trainer as it
is. Both fits start from the same weights, and the script checks that they end bitwise equal.
Times include building the pyramids once (about 0.5 s). Needs MNIST (``msae datasets``).
"""

from __future__ import annotations

import argparse
import time

import torch

from msae.data import load_dataset
from msae.models import ModelConfig, build_model, get_preset
from msae.train import TrainConfig, make_lbfgs, train


def _model(preset: str, n_features: int):
    p = get_preset(preset)
    cfg = ModelConfig(n_features=n_features, n_components=500, image_shape=(28, 28, 1),
                      lam=1e-5, beta=0.1, **p.defaults)  # fmt: skip
    model = build_model(cfg, p, seed=0, dtype=torch.float32)
    objective = model.objective
    model.evaluations = 0

    def counted(batch):
        model.evaluations += 1
        return objective(batch)

    model.objective = counted
    return model


def _before(model, x: torch.Tensor, iterations: int) -> None:
    """The trainer's loop before the reuse: every closure call evaluates the objective."""
    model.proximal, model.smooth = False, True
    data = model.prepare(x)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = make_lbfgs(params, TrainConfig().history_size)

    def closure():
        opt.zero_grad(set_to_none=False)
        loss, _ = model.objective(data)
        loss.backward()
        return loss

    for _ in range(iterations):
        model.new_iteration()
        opt.step(closure)


def _after(model, x: torch.Tensor, iterations: int) -> None:
    """The trainer as it is (without the L2,1 polish, which the loop above does not run)."""
    train(model, x, TrainConfig("lbfgs", max_iter=iterations, polish_iter=0))
    model.evaluations -= model.uses_nonsmooth_penalty()  # the evaluation after the polish


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
        fits = {}
        for name, fit in [("before", _before), ("after", _after)]:
            model = _model(preset, x.shape[1])
            start = time.perf_counter()
            fit(model, x, args.iterations)
            fits[name] = model, time.perf_counter() - start
        (before, t_before), (after, _) = fits["before"], fits["after"]
        pairs = zip(before.parameters(), after.parameters(), strict=True)
        if not all(torch.equal(a, b) for a, b in pairs):
            raise SystemExit(f"{preset}: the two fits ended with different weights")
        for name, (model, seconds) in fits.items():
            gain = f"{t_before / seconds:.2f}x" if name == "after" else ""
            per_iteration = f"{model.evaluations / args.iterations:.2f}"
            row = f"{per_iteration} | {seconds / args.iterations:.2f} | {gain}"
            print(f"| `{preset}` | {name} | {row} |", flush=True)


if __name__ == "__main__":
    main()
