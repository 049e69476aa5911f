"""Fig. 7: test accuracy against training iterations, from checkpoints of one run per model."""

from __future__ import annotations

from pathlib import Path

from msae.experiments import config, curves, reporting
from msae.experiments.data import load_split
from msae.experiments.experiment import Experiment
from msae.experiments.paper import MODELS, label, paper_values
from msae.experiments.runner import curve_run
from msae.experiments.spec import RunSpec
from msae.experiments.store import Row

NAME = "iterations"
PANELS = ("isolet", "usps", "pendigits")  # Fig. 7 (a)-(c)


def expand(cfg: dict) -> list[RunSpec]:
    return config.expand(NAME, cfg, [{"n_checkpoints": cfg["n_checkpoints"]}])


def run_one(spec: RunSpec) -> dict:
    return curve_run(spec, load_split(spec))[1]


def report(rows: list[Row], fig_dir: Path) -> str:
    datasets = reporting.datasets_of(rows, PANELS)
    models = reporting.models_of(rows)
    by_dataset = reporting.group(rows, lambda r: r.dataset)
    fig, axes = reporting.panels(len(datasets))
    body = []
    for i, (ax, dataset) in enumerate(zip(axes, datasets, strict=True)):
        summary = curves.draw(
            ax, by_dataset[dataset], lambda r: r.model, models, reporting.labelled(models)
        )
        reporting.panel_title(ax, i, label(dataset))
        body += [[label(dataset), name, it, f"{acc:.2f}"] for name, it, acc in summary]
    low, high = paper_values()["convergence"]["iterations"]
    table = reporting.md_table(
        ["dataset", "model", "converged at iteration", "final accuracy %"], body
    )
    caption = "Fig. 7: classification accuracy against iterations"
    return (
        f"The paper reports convergence of LR21-MSAE in {low}-{high} iterations. 'Converged at' is "
        f"the first checkpoint within {curves.CONVERGED_WITHIN} points of the final accuracy; "
        "each checkpoint trains a softmax on the hidden features of that iteration.\n\n"
        f"{table}\n{reporting.save(fig, fig_dir, 'fig07_iterations.png', caption)}"
    )


EXPERIMENT = Experiment(
    name=NAME,
    title="Fig. 7: accuracy against iterations",
    expand=expand,
    run_one=run_one,
    report=report,
    defaults={
        "datasets": list(PANELS),
        "models": list(MODELS),
        "n_checkpoints": 20,
        "override": {"max_iter": 100},  # the x-axis of Fig. 7
    },
    quick={"n_checkpoints": 5},
    resumable=False,
)
