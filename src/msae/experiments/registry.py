"""The experiments, by the name ``msae reproduce`` takes."""

from __future__ import annotations

from collections.abc import Iterable

from msae.experiments import (
    hidden,
    iterations,
    per_class,
    sensitivity,
    sparsity,
    table3,
    timing,
    tune,
    weights,
)
from msae.experiments.experiment import Experiment

EXPERIMENTS: dict[str, Experiment] = {
    e.name: e
    for e in (
        table3.EXPERIMENT,
        sensitivity.EXPERIMENT,
        iterations.EXPERIMENT,
        hidden.EXPERIMENT,
        weights.EXPERIMENT,
        per_class.EXPERIMENT,
        sparsity.EXPERIMENT,
        timing.EXPERIMENT,
        tune.EXPERIMENT,
    )
}


def check_names(names: Iterable[str] | None) -> None:
    """ValueError naming the experiments that do not exist, and those that do."""
    unknown = [name for name in names or () if name not in EXPERIMENTS]
    if unknown:
        raise ValueError(
            f"unknown experiment {', '.join(unknown)}; the experiments are {', '.join(EXPERIMENTS)}"
        )
