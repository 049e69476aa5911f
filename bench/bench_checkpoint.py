"""What a training checkpoint costs at MNIST's size: its bytes, and the time to save and load it.

    python bench/bench_checkpoint.py                 # lr21-msae, d=784, m=500, L-BFGS history 20

The L-BFGS state (20 curvature pairs of the size of all weights) is most of a checkpoint. It
does not depend on the number of samples, so a few hundred random images fill it as MNIST's
60000 would; the script trains until the history is full, then times saves and loads of the
state the trainer writes, and compares them with one training iteration at n = 60000 (the
seconds per iteration `bench/bench_lbfgs.py` measures: pass it with --step-seconds).
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import tempfile
import time
from pathlib import Path

import torch

from msae.models import ModelConfig, build_model, get_preset
from msae.train import Checkpointer, Recorder, TrainConfig, fingerprint, train


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="lr21-msae")
    parser.add_argument("--hidden", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--every", type=int, default=10, help="iterations between saves")
    parser.add_argument("--step-seconds", type=float, default=2.9, help="one MNIST iteration")
    args = parser.parse_args()

    preset = get_preset(args.preset)
    config = ModelConfig(784, args.hidden, image_shape=(28, 28, 1), **preset.defaults)
    model = build_model(config, preset, seed=0, dtype=torch.float32)
    x = torch.rand(300, 784)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "run.ckpt"
        # Saved at iteration 24, then stopped at 25: the trainer deletes a finished run's file.
        cfg = TrainConfig(max_iter=25, checkpoint=path, checkpoint_every=24)

        def stop(info) -> None:
            if info.iteration == 25:
                raise KeyboardInterrupt

        with contextlib.suppress(KeyboardInterrupt):
            train(model, x, cfg, callbacks=[stop])
        if not path.exists():
            raise SystemExit("no checkpoint was written (did L-BFGS converge early?)")
        size = path.stat().st_size
        state = torch.load(path, weights_only=True)
        n_weights = sum(p.numel() for p in model.parameters())
        checkpointer = Checkpointer(path, args.every, fingerprint(model, x, cfg))
        recorder = Recorder(model, [], checkpointer)
        saves, loads = [], []
        for _ in range(args.repeats):
            start = time.perf_counter()
            recorder.save(args.every, lambda: state["solver"], last=True)
            saves.append(time.perf_counter() - start)
            start = time.perf_counter()
            checkpointer.load()
            loads.append(time.perf_counter() - start)
    save, load = statistics.median(saves), statistics.median(loads)
    overhead = save / (args.every * args.step_seconds)
    print(f"{args.preset}, d=784, m={args.hidden}: {n_weights:,} weights")
    pairs = len(state["solver"]["optimizer"]["state"][0]["old_dirs"])
    print(f"checkpoint: {size / 2**20:.0f} MiB, with {pairs} L-BFGS curvature pairs")
    print(f"save {save:.2f} s, load {load:.2f} s (median of {args.repeats})")
    print(
        f"one save per {args.every} iterations of {args.step_seconds} s: "
        f"{100 * overhead:.1f} % of training time"
    )


if __name__ == "__main__":
    main()
