"""The unit of work of every experiment: one seeded training run, identified by a hash."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from typing import Any

# Parameters that say where or on what a run executes, not what it computes: they are stored
# with the run but left out of its key, so moving the data or the device does not rerun it.
RUNTIME_KEYS = frozenset({"data_dir", "device", "checkpoint_dir"})

# Real-valued parameters: an integer given for one (``--set lams=[10]`` reads 10 as JSON's
# integer) is stored as the float, so that 10 and 10.0 name the same run.
REAL_KEYS = frozenset({"lam", "beta", "rho", "learning_rate", "classifier_alpha", "validation"})

# Run parameters handed to MSAEClassifier when present (None leaves its default).
ESTIMATOR_PARAMS = (
    "n_components",
    "lam",
    "beta",
    "rho",
    "max_iter",
    "solver",
    "batch_size",
    "learning_rate",
    "sparsity",
    "classifier_alpha",
    "fine_tune_iter",
    "matmul_precision",
    "device",
)

# The run parameters a config may set for every experiment (in ``base``, ``hyper.<dataset>``,
# ``override``, ``caps`` or a ``tune`` grid); an experiment adds those its defaults put in
# ``base`` (``weights``: ``bins``).
RUN_PARAMS = frozenset({*ESTIMATOR_PARAMS, "n_train", "n_test", "validation", "data_dir"})


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace: equal values give equal strings."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


@dataclass(frozen=True)
class RunSpec:
    """One independent run: an experiment's model trained on a dataset with a seed."""

    experiment: str
    dataset: str
    model: str
    params: dict[str, Any] = field(hash=False)
    seed: int

    def __post_init__(self) -> None:
        real = {
            k: float(v)
            for k, v in self.params.items()
            if k in REAL_KEYS and isinstance(v, int) and not isinstance(v, bool)
        }
        if real:
            object.__setattr__(self, "params", {**self.params, **real})

    def with_params(self, **params: Any) -> RunSpec:
        """The same run with ``params`` added or replaced."""
        return replace(self, params={**self.params, **params})

    @property
    def key(self) -> str:
        """Stable hash of everything that determines the run's result."""
        identity = {
            "experiment": self.experiment,
            "dataset": self.dataset,
            "model": self.model,
            "params": {k: v for k, v in self.params.items() if k not in RUNTIME_KEYS},
            "seed": self.seed,
        }
        return hashlib.sha256(canonical_json(identity).encode()).hexdigest()[:20]
