"""What an experiment is: a config, a list of independent runs, one run, and a report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from msae.experiments.spec import RunSpec
from msae.experiments.store import Row


@dataclass(frozen=True)
class Experiment:
    """One experiment of the paper.

    ``expand(cfg)`` lists its runs; ``run_one(spec)`` (a top-level function, so that it can be
    sent to a process pool or a Ray task) returns a run's metrics, with ``train_time`` and
    ``test_time`` in seconds; ``report(rows, fig_dir)`` draws its figures into ``fig_dir``
    and returns its Markdown section. ``defaults`` and ``quick`` are config layers.
    ``of_paper`` is False for tools such as tuning, which ``msae reproduce all`` leaves out.
    ``resumable`` runs save a training checkpoint under the output directory, so that a run
    that is killed resumes mid-training; off where a run's callbacks hold state a checkpoint
    cannot restore (accuracy curves) or where saving would distort what is measured (timing).
    ``axes`` are the run parameters the experiment sweeps: a log names every run by them, even
    when a sweep cut down with ``--set`` holds a single value of one.
    """

    name: str
    title: str
    expand: Callable[[dict[str, Any]], list[RunSpec]]
    run_one: Callable[[RunSpec], dict[str, Any]]
    report: Callable[[list[Row], Path], str]
    defaults: dict[str, Any] = field(default_factory=dict)
    quick: dict[str, Any] = field(default_factory=dict)
    of_paper: bool = True
    resumable: bool = True
    axes: tuple[str, ...] = ()
