"""The experiments, by the name ``msae reproduce`` takes."""

from __future__ import annotations

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
