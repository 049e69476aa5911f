"""Time one full-batch training iteration (forward + backward) against the machine's matmul rate.

    python bench/bench_step.py                      # n=60000, d=784, m=500, ae and lr21-msae
    python bench/bench_step.py --presets vae        # any preset; the VAE has a fused step too
    python bench/bench_step.py --profile            # plus a torch.profiler table per preset
    python bench/bench_step.py --reference          # the autograd reference instead (before)
    python bench/bench_step.py --matmul-precision bf16  # products with bfloat16 inputs (oneDNN)

For each preset it prints the seconds per step, the matmul FLOPs the step performs (counted from
the model's shapes, the multi-path network included), the rate this gives, and that rate as a
fraction of a plain ``torch.mm`` of shape (n, d) x (d, m) timed in the same run.
"""

from __future__ import annotations

import argparse
import itertools
import math
import statistics
import time

import torch

from msae.models import FeatureModel, ModelConfig, build_model, get_preset
from msae.models.multipath import level_hidden_sizes
from msae.pyramid import level_shapes
from msae.train import MATMUL_PRECISIONS, matmul_precision


def matmul_rate(n: int, d: int, m: int, repeats: int) -> float:
    a, b, out = torch.rand(n, d), torch.rand(d, m), torch.empty(n, m)
    torch.mm(a, b, out=out)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        torch.mm(a, b, out=out)
        times.append(time.perf_counter() - start)
    return 2 * n * d * m / statistics.median(times)


def step_flops(config: ModelConfig, n: int, heads: int = 1) -> int:
    """Matmul FLOPs of one forward + backward pass (inputs need no gradient); ``heads``: the
    encoder's (2 for the VAE: mean and log-variance)."""
    d, m = config.n_features, config.n_components
    # encoder: forward + weight gradient (4ndm a head); decoder: forward + weight + input grads
    flops = (4 * heads + 6) * n * d * m
    if config.multiscale:
        shapes = level_shapes(d, config.pyramid_levels, config.image_shape)
        sizes = [math.prod(s) for s in shapes]
        hidden = level_hidden_sizes(m, config.pyramid_levels)
        flops += sum(10 * n * dk * hk for dk, hk in zip(sizes, hidden, strict=True))
        flops += sum(6 * n * h * h_next for h, h_next in itertools.pairwise(hidden))
    return flops


def time_step(
    preset: str, n: int, d: int, m: int, repeats: int, profile: bool, reference: bool
) -> tuple:
    p = get_preset(preset)
    side = round(d**0.5)
    shape = (side, side, 1) if side * side == d else None
    config = ModelConfig(n_features=d, n_components=m, image_shape=shape, **p.defaults)
    model = build_model(config, p, seed=0)
    data = model.prepare(torch.rand(n, d))

    def step() -> None:
        for q in model.parameters():
            q.grad = None
        if reference:  # the base class's: the sum of the autograd terms, which fused replaces
            FeatureModel.objective(model, data)[0].backward()
        else:
            model.objective(data)[0].backward()

    step()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    if profile:
        with torch.profiler.profile() as prof:
            step()
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=12))
    return statistics.median(times), step_flops(config, n, 2 if preset == "vae" else 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=60000)
    parser.add_argument("--d", type=int, default=784)
    parser.add_argument("--m", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--presets", default="ae,lr21-msae")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--reference", action="store_true", help="time the autograd reference (loss_terms)"
    )
    parser.add_argument("--matmul-precision", default="ieee", choices=list(MATMUL_PRECISIONS))
    args = parser.parse_args()
    torch.manual_seed(0)
    with matmul_precision(args.matmul_precision, torch.device("cpu")):
        run(args)


def run(args: argparse.Namespace) -> None:
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, float32, "
        f"matmul precision {args.matmul_precision}"
    )
    reference = matmul_rate(args.n, args.d, args.m, args.repeats)
    print(f"torch.mm ({args.n}x{args.d}) @ ({args.d}x{args.m}): {reference / 1e9:.1f} GFLOP/s")
    print(f"{'preset':<10} {'s/step':>8} {'GFLOP':>8} {'GFLOP/s':>9} {'of mm':>7}")
    for preset in args.presets.split(","):
        seconds, flops = time_step(
            preset, args.n, args.d, args.m, args.repeats, args.profile, args.reference
        )
        rate = flops / seconds
        print(f"{preset:<10} {seconds:8.3f} {flops / 1e9:8.1f} {rate / 1e9:9.1f} "
              f"{rate / reference:7.1%}")  # fmt: skip


if __name__ == "__main__":
    main()
