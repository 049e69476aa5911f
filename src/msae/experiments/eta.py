"""How long the runs left of a sweep should take, by the stored runs like them."""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from msae.experiments.reporting import count
from msae.experiments.runner import checkpoint_file
from msae.experiments.spec import RUNTIME_KEYS, RunSpec
from msae.experiments.store import Row
from msae.train import CheckpointError, read_checkpoint


def part_done(pending: Sequence[RunSpec], directory: str | Path | None = None) -> dict[str, float]:
    """The share of its iterations that each part-way run of ``pending`` has done, by its
    training checkpoint in ``directory`` (else in the run's own ``checkpoint_dir``); runs
    without one are left out. An unreadable checkpoint counts as none: the run starts again."""
    shares = {}
    for spec in pending:
        folder = directory or spec.params.get("checkpoint_dir")
        path = checkpoint_file(folder, spec) if folder else None
        if path is None or not path.exists():
            continue
        try:
            iteration = int(read_checkpoint(path, mmap=True)["iteration"])
        except CheckpointError:
            iteration = 0
        total = spec.params.get("max_iter")
        shares[spec.key] = min(iteration / total, 1.0) if total else 0.0
    return shares


def time_left(
    pending: Sequence[RunSpec],
    rows: Iterable[Row],
    axes: Sequence[str] = (),
    done: Mapping[str, float] | None = None,
) -> tuple[float, int]:
    """Seconds of training that ``pending`` should take one after another, by the median train
    time of the stored ``rows`` like each run (the same dataset, model and parameters, apart
    from the experiment's ``axes`` and the seed; from any experiment, so that Table 3's runs
    time those of Fig. 16), and how many pending runs have no stored run like them (left out
    of the seconds). A run with a share in ``done`` (:func:`part_done`) counts for the rest."""
    done = done or {}

    def like(dataset: str, model: str, params: Mapping[str, Any]) -> tuple:
        kept = {k: v for k, v in params.items() if k not in RUNTIME_KEYS and k not in axes}
        return dataset, model, json.dumps(kept, sort_keys=True)

    times: dict[tuple, list[float]] = {}
    for row in rows:
        if row.train_time is not None:
            group = like(row.dataset, row.model, row.params)
            times.setdefault(group, []).append(row.train_time)
    seconds, unknown = 0.0, 0
    for spec in pending:
        found = times.get(like(spec.dataset, spec.model, spec.params))
        if found:
            seconds += statistics.median(found) * (1.0 - done.get(spec.key, 0.0))
        else:
            unknown += 1
    return seconds, unknown


def time_left_line(
    pending: Sequence[RunSpec],
    rows: Iterable[Row],
    axes: Sequence[str],
    done: Mapping[str, float] | None = None,
) -> str:
    """``Left: about 71 h of training ...`` for a log, or '' where no stored run is like one of
    ``pending``."""
    seconds, unknown = time_left(pending, rows, axes, done)
    if not seconds:
        return ""
    others = f"; {count(unknown, 'run')} unlike any stored run, not counted" if unknown else ""
    guess = f"about {_duration(seconds)} of training one after another"
    return f"Left: {guess}, by the stored runs like them{others}"


def _duration(seconds: float) -> str:
    """``40 s``, ``53 min``, ``2.5 h``, ``96 h``: a time to the precision a plan needs."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.2g} h" if seconds < 36000 else f"{seconds / 3600:.0f} h"
