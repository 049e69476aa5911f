"""The experiments of Wang et al. (2022), a results store, run backends and a report.

``EXPERIMENTS`` maps each experiment's name (as ``msae reproduce`` takes it) to an
:class:`Experiment`: its config defaults, its runs (:class:`RunSpec`), one run, its report.
"""

from msae.experiments.backends import execute, run_spec
from msae.experiments.experiment import Experiment
from msae.experiments.registry import EXPERIMENTS
from msae.experiments.spec import RunSpec
from msae.experiments.store import ResultStore, Row
from msae.experiments.sweep import experiment_config, plan, reproduce

__all__ = [
    "EXPERIMENTS",
    "Experiment",
    "ResultStore",
    "Row",
    "RunSpec",
    "execute",
    "experiment_config",
    "plan",
    "reproduce",
    "run_spec",
]
