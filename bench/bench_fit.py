"""Wall time to reach test accuracies on MNIST: LR21-MSAE beside a KL sparse auto-encoder.

    python bench/bench_fit.py             # targets 96 / 96.5 / 97 / 97.5 %, L-BFGS and Adam
    python bench/bench_fit.py --targets 0.97 --max-iter 200 --solvers lbfgs

Each model trains on the 60000 training images; every ``--every`` iterations (epochs for Adam)
a softmax is fitted on its features and scored on the 10000 test images. Training time counts
only the optimiser, not these evaluations. Training stops at the highest target or at the
iteration budget; the table gives the optimiser time at which each target was first met.
Needs MNIST (``msae datasets``).
"""

from __future__ import annotations

import argparse
import contextlib
import time

import numpy as np
import torch

from msae import MSAEClassifier
from msae.classify import fit_softmax, softmax_proba
from msae.data import load_dataset


class _Clock:
    """Records the optimiser's own time (evaluations pause it) and when each target is met."""

    def __init__(self, clf: MSAEClassifier, ds, every: int, targets: list[float]) -> None:
        self.clf, self.ds, self.every, self.targets = clf, ds, every, sorted(targets)
        self.elapsed = 0.0
        self.last = time.perf_counter()
        self.reached: dict[float, tuple[int, float]] = {}  # target -> (iteration, seconds)
        self.best = 0.0

    def __call__(self, info) -> None:
        now = time.perf_counter()
        self.elapsed += now - self.last
        if info.iteration % self.every == 0:
            accuracy = self._score(info)
            self.best = max(self.best, accuracy)
            line = f"iteration {info.iteration:4d}  {self.elapsed:7.1f} s  accuracy {accuracy:.4f}"
            print("  " + line, flush=True)
            for target in self.targets:
                if accuracy >= target:
                    self.reached.setdefault(target, (info.iteration, self.elapsed))
            if len(self.reached) == len(self.targets):
                raise _Reached
        self.last = time.perf_counter()

    def _score(self, info) -> float:
        f_train = torch.as_tensor(info.transform(self.ds.X_train))
        f_test = torch.as_tensor(info.transform(self.ds.X_test))
        labels = torch.as_tensor(self.ds.y_train)
        coef, intercept = fit_softmax(f_train, labels, 10, alpha=self.clf.classifier_alpha)
        predicted = softmax_proba(f_test, coef, intercept).argmax(1).numpy()
        return float(np.mean(predicted == self.ds.y_test))


class _Reached(Exception):
    pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", default="0.96,0.965,0.97,0.975",
                        help="comma-separated test accuracies")  # fmt: skip
    parser.add_argument("--max-iter", type=int, default=300, help="L-BFGS iterations at most")
    parser.add_argument("--max-epochs", type=int, default=30, help="Adam epochs at most")
    parser.add_argument("--every", type=int, default=10)
    parser.add_argument("--n-components", type=int, default=500)
    parser.add_argument("--models", default="lr21-msae,sae")
    parser.add_argument("--solvers", default="lbfgs,adam")
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()
    targets = sorted(float(t) for t in args.targets.split(","))
    ds = load_dataset("mnist", data_dir=args.data_dir)
    print(f"MNIST {ds.X_train.shape}, torch {torch.__version__}, {torch.get_num_threads()} threads")
    rows = []
    for solver in args.solvers.split(","):
        for preset in args.models.split(","):
            budget = args.max_iter if solver == "lbfgs" else args.max_epochs
            clf = MSAEClassifier(
                args.n_components, preset=preset, lam=1e-5, beta=0.1, solver=solver,
                max_iter=budget, image_shape=ds.info.image_shape, batch_size=256,
                learning_rate=1e-3, random_state=0,
            )  # fmt: skip
            unit = "iterations" if solver == "lbfgs" else "epochs"
            print(f"{preset} / {solver}, at most {budget} {unit}")
            clock = _Clock(clf, ds, args.every if solver == "lbfgs" else 1, targets)
            clf.set_params(callbacks=[clock])
            with contextlib.suppress(_Reached):  # every target was reached: stop training
                clf.fit(ds.X_train, ds.y_train)
            rows.append((preset, solver, clock))

    header = " | ".join(f"{t:.1%}" for t in targets)
    print("\noptimiser seconds (iteration) to reach each test accuracy; '-' = not reached")
    print(f"| model | solver | {header} | best | optimiser s |")
    print("|---|---|" + "---:|" * (len(targets) + 2))
    for preset, solver, clock in rows:
        cells = [
            f"{clock.reached[t][1]:.0f} ({clock.reached[t][0]})" if t in clock.reached else "-"
            for t in targets
        ]
        cells += [f"{clock.best:.2%}", f"{clock.elapsed:.0f}"]
        print(f"| {preset} | {solver} | {' | '.join(cells)} |")


if __name__ == "__main__":
    main()
