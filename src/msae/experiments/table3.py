"""Table 3: test accuracy of the seven models on the seven datasets, over repeated seeds."""

from __future__ import annotations

from pathlib import Path

from msae.experiments import config, reporting
from msae.experiments.experiment import Experiment
from msae.experiments.paper import DATASETS, MODELS, RAW, label, paper_values
from msae.experiments.runner import accuracy_run
from msae.experiments.spec import RunSpec
from msae.experiments.store import Row

NAME = "table3"


def expand(cfg: dict) -> list[RunSpec]:
    return config.expand(NAME, cfg)


def _stats(rows: list[Row]) -> dict[tuple[str, str], tuple[float, float, int]]:
    """(dataset, model) -> (mean, std, n) of the accuracy in percent."""
    cells = reporting.group(rows, lambda r: (r.dataset, r.model))
    return {
        cell: (*reporting.mean_std(reporting.accuracies(rs)), len(rs)) for cell, rs in cells.items()
    }


def _delta(ours: tuple[float, float, int], paper: list[float]) -> str:
    """``▲ +0.52 (2.6 sd)``: ours minus the paper, in points and in the paper's std."""
    diff = ours[0] - paper[0]
    arrow = "▲" if diff > 0 else "▼" if diff < 0 else "="
    sds = f" ({abs(diff) / paper[1]:.1f} sd)" if paper[1] > 0 else ""
    return f"{arrow} {diff:+.2f}{sds}"


def _figure(stats: dict, datasets: list[str], models: list[str], fig_dir: Path) -> str:
    paper = paper_values()["table3"]["values"]
    fig, axes = reporting.panels(len(datasets), ncols=4, size=(4.2, 3.4))
    encoders = [m for m in models if m != RAW]
    for i, (ax, dataset) in enumerate(zip(axes, datasets, strict=True)):
        x = range(len(encoders))
        ours = [stats.get((dataset, m), (float("nan"), 0.0, 0)) for m in encoders]
        ax.errorbar(
            x,
            [o[0] for o in ours],
            yerr=[o[1] for o in ours],
            fmt="o",
            capsize=3,
            color="tab:blue",
            label="ours (mean ± std)",
        )
        theirs = [paper.get(dataset, {}).get(m, [float("nan"), 0.0]) for m in encoders]
        ax.errorbar(
            x,
            [p[0] for p in theirs],
            yerr=[p[1] for p in theirs],
            fmt="s",
            capsize=3,
            mfc="none",
            color="tab:red",
            label="paper",
        )
        if (dataset, RAW) in stats:
            ax.axhline(stats[dataset, RAW][0], color="0.3", ls="--", lw=1, label="softmax on raw")
        ax.set_xticks(list(x), reporting.labelled(encoders), rotation=45, ha="right")
        ax.set_ylabel("test accuracy (%)")
        reporting.panel_title(ax, i, label(dataset))
        ax.grid(axis="y", alpha=0.3)
    axes[-1].legend(loc="upper left", bbox_to_anchor=(1.05, 1.0))
    return reporting.save(fig, fig_dir, "table3.png", "Table 3 as a figure: ours against the paper")


def report(rows: list[Row], fig_dir: Path) -> str:
    stats = _stats(rows)
    datasets = reporting.datasets_of(rows)
    models = reporting.models_of(rows)
    paper = paper_values()["table3"]
    encoders = [m for m in models if m != RAW]
    most = max(n for (_, _, n) in stats.values())

    def cell(dataset: str, model: str) -> str:
        """``mean ± std``; a cell with fewer seeds than the most says how many (no std for 1)."""
        if (dataset, model) not in stats:
            return "-"
        mean, std, n = stats[dataset, model]
        best = max((stats[dataset, m][0] for m in encoders if (dataset, m) in stats), default=None)
        text = f"{mean:.2f} ± {std:.2f}" if n > 1 else f"{mean:.2f}"
        text = reporting.bold(text, model != RAW and mean == best)
        return text if n == most else f"{text} ({reporting.count(n, 'seed')})"

    header = ["model", *(label(d) for d in datasets)]
    ours = reporting.md_table(header, ([label(m), *(cell(d, m) for d in datasets)] for m in models))
    theirs = reporting.md_table(
        ["model", *(label(d) for d in DATASETS)],
        (
            [label(m), *("{:.2f} ± {:.2f}".format(*paper["values"][d][m]) for d in DATASETS)]
            for m in MODELS
        ),
    )

    def compare(dataset: str, model: str) -> str:
        theirs = paper["values"].get(dataset, {}).get(model)
        if (dataset, model) not in stats or theirs is None:
            return "-"
        floor = stats.get((dataset, RAW))
        below = " *below floor*" if floor and stats[dataset, model][0] <= floor[0] else ""
        return _delta(stats[dataset, model], theirs) + below

    deltas = reporting.md_table(
        header, ([label(m), *(compare(d, m) for d in datasets)] for m in encoders)
    )
    repeats = "/".join(map(str, sorted({n for (_, _, n) in stats.values()})))
    comparison = (
        "Ours minus the paper, in points and in units of the paper's standard deviation "
        "(▲ above, ▼ below; *below floor*: no better than softmax on the raw features):\n\n"
        f"{deltas}\n{_figure(stats, datasets, models, fig_dir)}"
        if encoders
        else "No auto-encoder ran here, so there is nothing to set beside the paper's.\n"
    )
    return (
        f"Test accuracy (%), mean ± std over {reporting.count(repeats, 'seed')}; the best "
        f"auto-encoder per dataset in bold; `{label(RAW)}` is the floor.\n\n{ours}\n"
        f"The paper ({paper['source']}; 100 repeats):\n\n{theirs}\n"
        f"{comparison}"
    )


EXPERIMENT = Experiment(
    name=NAME,
    title="Table 3: classification accuracy",
    expand=expand,
    run_one=accuracy_run,
    report=report,
    defaults={"datasets": list(DATASETS), "models": [*MODELS, RAW], "repeats": 10},
    quick={"repeats": 2},
)
