"""Tuning on a validation split: accuracy over a grid of run parameters, never on the test set.

Not an experiment of the paper, but what its numbers must be checked with before a setting
other than the published one is used: every run scores a stratified share of the training rows
(``validation`` in ``base``, 0.2 by default), so choosing the best grid point here and then
running ``table3`` with it keeps the test set out of every decision.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from msae.experiments import config, reporting
from msae.experiments.experiment import Experiment
from msae.experiments.paper import MODELS, RAW, label
from msae.experiments.runner import accuracy_run
from msae.experiments.spec import RunSpec
from msae.experiments.store import Row

NAME = "tune"


def variants(grid: dict[str, list]) -> list[dict]:
    """Every combination of the grid's values: ``{"a": [1, 2], "b": [3]}`` -> 2 variants."""
    keys = sorted(grid)
    return [
        dict(zip(keys, values, strict=True))
        for values in itertools.product(*(grid[k] for k in keys))
    ]


def expand(cfg: dict) -> list[RunSpec]:
    """One run per dataset x seed x model x grid point; each remembers the grid's keys."""
    if not cfg["base"].get("validation"):
        raise config.ConfigError("tune scores a validation split: set base.validation (e.g. 0.2)")
    keys = {"grid_keys": sorted(cfg["grid"])}
    return config.expand(NAME, cfg, [{**v, **keys} for v in variants(cfg["grid"])])


def _setting(row: Row, keys: list[str]) -> str:
    return ", ".join(f"{k}={row.params.get(k)}" for k in keys) or "(no grid)"


def _order(row: Row, keys: list[str]) -> tuple:
    """Sort key of a row's grid point: by value, numbers before anything else.

    Sorting the setting strings would put ``1e-06`` after ``0.01``.
    """
    values = (row.params.get(k) for k in keys)
    return tuple((0, v, "") if isinstance(v, int | float) else (1, 0, str(v)) for v in values)


def _section(dataset: str, rows: list[Row], keys: list[str]) -> str:
    """One dataset's table: a row per grid point, in order of value; a column per model."""
    models = reporting.models_of(rows)
    cells = reporting.group(rows, lambda r: (_setting(r, keys), r.model))
    rank = {_setting(r, keys): _order(r, keys) for r in rows}
    settings = sorted({s for s, _ in cells}, key=rank.__getitem__)
    stats = {cell: reporting.mean_std(reporting.accuracies(rs)) for cell, rs in cells.items()}
    best = {
        m: max((s for s in settings if (s, m) in stats), key=lambda s: stats[s, m][0])
        for m in models
    }

    def text(setting: str, model: str) -> str:
        if (setting, model) not in stats:
            return "-"
        value = "{:.2f} ± {:.2f}".format(*stats[setting, model])
        return reporting.bold(value, best[model] == setting)

    table = reporting.md_table(
        ["setting", *reporting.labelled(models)],
        ([s, *(text(s, m) for m in models)] for s in settings),
    )
    fraction = rows[0].params["validation"]
    return (
        f"### {label(dataset)}\n\nValidation accuracy (%), mean ± std over seeds, on a "
        f"stratified {fraction:.0%} of the training rows; the best setting per model in "
        f"bold.\n\n{table}"
    )


def report(rows: list[Row], fig_dir: Path) -> str:
    keys = sorted({k for r in rows for k in r.params.get("grid_keys", [])})
    return "\n".join(
        _section(d, [r for r in rows if r.dataset == d], keys) for d in reporting.datasets_of(rows)
    )


EXPERIMENT = Experiment(
    name=NAME,
    title="Tuning on a validation split",
    expand=expand,
    run_one=accuracy_run,
    report=report,
    defaults={
        "datasets": ["pendigits"],
        "models": [*MODELS, RAW],
        "repeats": 3,
        "base": {"validation": 0.2},
        "grid": {"classifier_alpha": [1e-4, 1e-6, 1e-8]},
    },
    quick={"repeats": 1, "grid": {"classifier_alpha": [1e-4, 1e-8]}},
    of_paper=False,
)
