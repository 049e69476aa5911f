"""``msae reproduce``: resolve an experiment's config, list its runs, execute, store."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rich.console import Console

from msae.data import DATASETS
from msae.estimators import resolve_device
from msae.experiments import config
from msae.experiments.backends import Summary, execute, say
from msae.experiments.data import LOCAL_DATASETS, missing
from msae.experiments.paper import RAW
from msae.experiments.registry import EXPERIMENTS
from msae.experiments.runner import check_params
from msae.experiments.spec import RUN_PARAMS, RunSpec
from msae.experiments.store import ResultStore
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
        summary = execute(
            specs, store, backend, workers, ray_address, console, threads, axes, rerun
        )
    if checkpoints.is_dir() and not any(checkpoints.iterdir()):
        checkpoints.rmdir()  # every run finished; a failed one's checkpoint stays
    return summary
