"""Fig. 16: training and test time of every model on every dataset."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from msae.experiments import config, reporting
from msae.experiments.experiment import Experiment
from msae.experiments.paper import DATASETS, MODELS, label
from msae.experiments.runner import accuracy_run
from msae.experiments.spec import RunSpec
from msae.experiments.store import Row

NAME = "timing"
LARGE = ("mnist", "fashion-mnist", "cifar10")  # Fig. 16a; the others are in Fig. 16b


def expand(cfg: dict) -> list[RunSpec]:
    return config.expand(NAME, cfg)


def _bars(ax, times: dict, datasets: list[str], models: list[str], ylabel: str) -> None:
    width = 0.8 / len(models)
    x = np.arange(len(datasets))
    for k, model in enumerate(models):
        heights = [times.get((d, model), np.nan) for d in datasets]
        ax.bar(
            x + (k - (len(models) - 1) / 2) * width,
            heights,
            width,
            label=label(model),
            color=reporting.style(model)["color"],
        )
    ax.set_xticks(x, reporting.labelled(datasets))
    ax.set_ylabel(ylabel)
    ax.grid(axis="y", alpha=0.3)


def report(rows: list[Row], fig_dir: Path) -> str:
    datasets, models = reporting.datasets_of(rows), reporting.models_of(rows)
    cells = reporting.group(rows, lambda r: (r.dataset, r.model))
    train = {k: reporting.mean([r.train_time for r in rs]) for k, rs in cells.items()}
    test = {k: reporting.mean([r.test_time for r in rs]) for k, rs in cells.items()}
    groups = [
        ("training time (s)", [d for d in datasets if d in LARGE], train),
        ("training time (s)", [d for d in datasets if d not in LARGE], train),
        ("testing time (s)", datasets, test),
    ]
    groups = [g for g in groups if g[1]]
    fig, axes = reporting.panels(len(groups), ncols=1, size=(max(7.0, 1.8 * len(datasets)), 3.6))
    for i, (ax, (ylabel, names, times)) in enumerate(zip(axes, groups, strict=True)):
        _bars(ax, times, names, models, ylabel)
        reporting.panel_title(ax, i, ylabel.split(" (")[0])
    axes[0].legend(fontsize=8, ncols=len(models))
    body = [
        [label(d), label(m), f"{train[d, m]:.2f}", f"{test[d, m]:.3f}"]
        for d in datasets
        for m in models
        if (d, m) in train
    ]
    workers = sorted({r.env.get("workers", 1) for r in rows})
    warning = (
        f"\n**Note:** these runs shared the machine ({max(workers)} workers at once): rerun with "
        "`--workers 1` for clean timings.\n"
        if max(workers) > 1
        else ""
    )
    caption = "Fig. 16: training and testing time of the models on each dataset"
    return (
        "Mean wall-clock seconds over seeds; training includes the softmax, testing is the "
        f"prediction of the whole test split.{_machines(rows)}\n{warning}\n"
        f"{reporting.md_table(['dataset', 'model', 'train s', 'test s'], body)}\n"
        f"{reporting.save(fig, fig_dir, 'fig16_timing.png', caption)}"
    )


def _machines(rows: list[Row]) -> str:
    """Where the runs ran, as their stores recorded it (runs stored before msae recorded it
    have no processor): a sentence, which warns when times from several are compared."""
    seen = Counter(
        (r.env["cpu"], r.env["threads"], r.env.get("gpu")) for r in rows if "cpu" in r.env
    )
    if not seen:
        return ""
    parts = []
    for (cpu, threads, gpu), n in seen.most_common():
        where = f"{cpu} and {gpu}" if gpu else cpu
        parts.append(f"{where}, {reporting.count(threads, 'torch thread')} per run "
                     f"({reporting.count(n, 'run')})")  # fmt: skip
    if unknown := len(rows) - seen.total():
        parts.append(f"not recorded ({reporting.count(unknown, 'run')})")
    mixed = " **The times come from different settings and are not comparable.**"
    return f" Measured on {'; '.join(parts)}." + (mixed if len(parts) > 1 else "")


EXPERIMENT = Experiment(
    name=NAME,
    title="Fig. 16: computational time",
    expand=expand,
    run_one=accuracy_run,
    report=report,
    defaults={"datasets": list(DATASETS), "models": list(MODELS), "repeats": 3},
    quick={"repeats": 1},
    resumable=False,
)
