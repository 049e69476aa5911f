"""Fig. 8: test accuracy against the number of hidden neurons."""

from __future__ import annotations

from pathlib import Path

from msae.experiments import config, reporting
from msae.experiments.experiment import Experiment
from msae.experiments.paper import MODELS, label, paper_values
from msae.experiments.runner import accuracy_run
from msae.experiments.spec import RunSpec
from msae.experiments.store import Row

NAME = "hidden"
PANELS = ("isolet", "usps", "pendigits")  # Fig. 8 (a)-(c)


def expand(cfg: dict) -> list[RunSpec]:
    return config.expand(NAME, cfg, [{"n_components": n} for n in cfg["hidden_sizes"]])


def report(rows: list[Row], fig_dir: Path) -> str:
    datasets = reporting.datasets_of(rows, PANELS)
    models = reporting.models_of(rows)
    sizes = sorted({r.params["n_components"] for r in rows})
    cells = reporting.group(rows, lambda r: (r.dataset, r.model, r.params["n_components"]))
    mean = {key: reporting.mean(reporting.accuracies(rs)) for key, rs in cells.items()}
    fig, axes = reporting.panels(len(datasets))
    body = []
    for i, (ax, dataset) in enumerate(zip(axes, datasets, strict=True)):
        for model in models:
            points = [(n, mean[dataset, model, n]) for n in sizes if (dataset, model, n) in mean]
            if points:
                xs, ys = zip(*points, strict=True)
                ax.plot(xs, ys, label=label(model), markersize=4, **reporting.style(model))
                body.append(
                    [
                        label(dataset),
                        label(model),
                        *(f"{mean.get((dataset, model, n), float('nan')):.2f}" for n in sizes),
                    ]
                )
        ax.set_xlabel("number of hidden neurons")
        ax.set_ylabel("classification accuracy (%)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
        reporting.panel_title(ax, i, label(dataset))
    table = reporting.md_table(["dataset", "model", *map(str, sizes)], body)
    caption = "Fig. 8: classification accuracy against the number of hidden neurons"
    return (
        f"The paper reports LR21-MSAE converged with {paper_values()['convergence']['hidden']} "
        "hidden neurons. Test accuracy (%) per hidden size:\n\n"
        f"{table}\n{reporting.save(fig, fig_dir, 'fig08_hidden.png', caption)}"
    )


EXPERIMENT = Experiment(
    name=NAME,
    title="Fig. 8: accuracy against hidden size",
    expand=expand,
    run_one=accuracy_run,
    report=report,
    defaults={
        "datasets": list(PANELS),
        "models": list(MODELS),
        "hidden_sizes": list(range(50, 501, 50)),
    },
    quick={"hidden_sizes": [16, 32, 64]},
    axes=("n_components",),
)
