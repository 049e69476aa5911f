"""``msae reproduce``: resolve an experiment's config, list its runs, execute, store."""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console

from msae.data import DATASETS
from msae.estimators import resolve_device
from msae.experiments import config
from msae.experiments.backends import Summary, code_version, execute, say
from msae.experiments.data import LOCAL_DATASETS, missing
from msae.experiments.paper import RAW
from msae.experiments.registry import EXPERIMENTS
from msae.experiments.reporting import count
from msae.experiments.runner import check_params
from msae.experiments.spec import RUN_PARAMS, RUNTIME_KEYS, RunSpec
from msae.experiments.store import ResultStore, Row
from msae.models import PRESETS
from msae.terminal import make_console

# Under the output directory: the training checkpoints of the runs in progress.
CHECKPOINT_DIR = "checkpoints"


def _schema() -> config.Schema:
    """What a config layer may hold: the keys of any experiment, so that one config file can
    serve ``msae reproduce all``. Built on each call (it is cheap), so that a preset registered
    later is a known model."""
    defaults: dict[str, Any] = {}  # each key's first default that is not None: its type
    params = set(RUN_PARAMS)
    for layer in [config.COMMON, *(e.defaults for e in EXPERIMENTS.values())]:
        for key, value in layer.items():
            defaults[key] = value if defaults.get(key) is None else defaults[key]
        params.update(layer.get("base", {}))
    return config.Schema(
        defaults,
        frozenset(params),
        frozenset([*DATASETS, *LOCAL_DATASETS]),
        frozenset([*PRESETS, RAW]),
    )


def experiment_config(name: str, quick: bool = False, *layers: Mapping[str, Any]) -> dict[str, Any]:
    """The config of experiment ``name``: its defaults, then --quick, then ``layers``."""
    schema = _schema()
    for layer in layers:  # a key no experiment reads, or a value of the wrong type: an error
        config.check_layer(layer, schema)
    experiment = EXPERIMENTS[name]
    return config.resolve(experiment.defaults, experiment.quick if quick else None, *layers)


def plan(
    name: str, cfg: Mapping[str, Any], download: bool = False, console: Console | None = None
) -> list[RunSpec]:
    """The runs of experiment ``name``, leaving out (with a message) datasets not on disk."""
    console = console or make_console()
    present = []
    for dataset in cfg["datasets"]:
        reason = missing(dataset, config.dataset_params(cfg, dataset).get("data_dir"), download)
        if reason:
            say(console, reason, "yellow")
        else:
            present.append(dataset)
    specs = EXPERIMENTS[name].expand({**cfg, "datasets": present})
    if not specs and len(present) == len(cfg["datasets"]):  # none missing: an empty list
        empty = ", ".join(config.empty_lists(cfg))
        raise config.ConfigError(f"{name} has no runs to do: empty {empty}")
    for spec in specs:
        try:
            check_params(spec)
        except ValueError as exc:
            raise config.ConfigError(f"bad run parameter: {exc}") from exc
    return specs


def reproduce(
    name: str,
    cfg: Mapping[str, Any],
    out_dir: str | Path,
    backend: str = "local",
    workers: int = 1,
    ray_address: str | None = None,
    download: bool = False,
    console: Console | None = None,
    threads: int | None = None,
    rerun: bool = False,
) -> Summary:
    """Run experiment ``name`` into ``out_dir/results.sqlite``, skipping finished runs (those
    this code made, with ``rerun``)."""
    console = console or make_console()
    specs = plan(name, cfg, download, console)
    if backend == "local" or ray_address is None:  # the runs execute on this machine
        # a device it lacks would fail every run: say so before the first starts
        for device in {spec.params.get("device") or "cpu" for spec in specs}:
            try:
                resolve_device(device)
            except ValueError as exc:
                raise config.ConfigError(str(exc)) from exc
    checkpoints = Path(out_dir).resolve() / CHECKPOINT_DIR
    if EXPERIMENTS[name].resumable:
        specs = [spec.with_params(checkpoint_dir=str(checkpoints)) for spec in specs]
    with ResultStore(out_dir) as store:
        axes = EXPERIMENTS[name].axes
        made_by = code_version() if rerun else None
        done = store.finished((spec.key for spec in specs), made_by)
        if estimate := time_left_line([s for s in specs if s.key not in done], store.rows(), axes):
            say(console, estimate)
        summary = execute(
            specs, store, backend, workers, ray_address, console, threads, axes, rerun
        )
    if checkpoints.is_dir() and not any(checkpoints.iterdir()):
        checkpoints.rmdir()  # every run finished; a failed one's checkpoint stays
    return summary


def time_left(
    pending: Sequence[RunSpec], rows: Iterable[Row], axes: Sequence[str] = ()
) -> tuple[float, int]:
    """Seconds of training that ``pending`` should take one after another, by the median train
    time of the stored ``rows`` like each run (the same dataset, model and parameters, apart
    from the experiment's ``axes`` and the seed; from any experiment, so that Table 3's runs
    time those of Fig. 16), and how many pending runs have no stored run like them (left out
    of the seconds)."""

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
            seconds += statistics.median(found)
        else:
            unknown += 1
    return seconds, unknown


def time_left_line(pending: Sequence[RunSpec], rows: Iterable[Row], axes: Sequence[str]) -> str:
    """``Left: about 71 h of training ...`` for a log, or '' where no stored run is like one of
    ``pending``."""
    seconds, unknown = time_left(pending, rows, axes)
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
