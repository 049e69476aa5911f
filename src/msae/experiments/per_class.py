"""Figs. 11-13: per-class accuracy bars and confusion matrices."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.metrics import confusion_matrix

from msae.experiments import config, reporting
from msae.experiments.data import load_split
from msae.experiments.experiment import Experiment
from msae.experiments.paper import MODELS, label
from msae.experiments.runner import fit_predict, timed_metrics
from msae.experiments.spec import RunSpec
from msae.experiments.store import Row

NAME = "per-class"


def expand(cfg: dict) -> list[RunSpec]:
    return config.expand(NAME, cfg)


def run_one(spec: RunSpec) -> dict:
    split = load_split(spec)
    fitted = fit_predict(spec, split)
    labels = list(range(len(split.class_names)))
    confusion = confusion_matrix(split.y_test, fitted.y_pred, labels=labels)
    return timed_metrics(fitted, split) | {
        "confusion": confusion.tolist(),
        "class_names": list(split.class_names),
    }


def _normalised(rows: list[Row]) -> np.ndarray:
    """Confusion matrix summed over seeds, each row divided by its class count."""
    total = np.sum([np.asarray(r.metrics["confusion"], dtype=float) for r in rows], axis=0)
    return total / np.maximum(total.sum(axis=1, keepdims=True), 1.0)


def _bars(dataset: str, confusions: dict[str, np.ndarray], names: list[str], fig_dir: Path) -> str:
    models = list(confusions)
    fig, (ax,) = reporting.panels(1, size=(max(8.0, 1.1 * len(names)), 4.2))
    width = 0.8 / len(models)
    x = np.arange(len(names))
    for k, model in enumerate(models):
        ax.bar(
            x + (k - (len(models) - 1) / 2) * width,
            100 * np.diag(confusions[model]),
            width,
            label=label(model),
            color=reporting.style(model)["color"],
        )
    ax.set_xticks(x, names, rotation=30, ha="right")
    ax.set_ylabel("classification accuracy (%)")
    low = min(100 * np.diag(c).min() for c in confusions.values())
    ax.set_ylim(max(0.0, 10 * np.floor(low / 10) - 10), 100)
    ax.legend(fontsize=8, ncols=len(models), loc="lower center", bbox_to_anchor=(0.5, 1.0))
    ax.grid(axis="y", alpha=0.3)
    caption = f"Figs. 11-12: accuracy on each class of {label(dataset)}"
    return reporting.save(fig, fig_dir, f"fig11_12_per_class_{dataset}.png", caption)


def _matrices(
    dataset: str, confusions: dict[str, np.ndarray], names: list[str], fig_dir: Path
) -> str:
    fig, axes = reporting.panels(len(confusions), ncols=4, size=(4.0, 3.8))
    for i, (ax, (model, matrix)) in enumerate(zip(axes, confusions.items(), strict=True)):
        ax.imshow(matrix, cmap="Blues", vmin=0, vmax=1)
        for k, value in enumerate(np.diag(matrix)):
            ax.text(
                k,
                k,
                f"{value:.2f}",
                ha="center",
                va="center",
                fontsize=6,
                color="w" if value > 0.5 else "k",
            )
        ticks = range(len(names))
        ax.set_xticks(ticks, names, rotation=90, fontsize=6)
        ax.set_yticks(ticks, names, fontsize=6)
        ax.set_xlabel("predicted class")
        ax.set_ylabel("true class")
        reporting.panel_title(ax, i, label(model))
    caption = f"Fig. 13: confusion matrices on {label(dataset)} (rows sum to 1)"
    return reporting.save(fig, fig_dir, f"fig13_confusion_{dataset}.png", caption)


def report(rows: list[Row], fig_dir: Path) -> str:
    cells = reporting.group(rows, lambda r: (r.dataset, r.model))
    sections = []
    for dataset in reporting.datasets_of(rows):
        models = [m for m in reporting.models_of(rows) if (dataset, m) in cells]
        confusions = {m: _normalised(cells[dataset, m]) for m in models}
        names = cells[dataset, models[0]][0].metrics["class_names"]
        per_class = np.array([np.diag(confusions[m]) for m in models]) * 100
        best = per_class.max(axis=0)
        body = [
            [name, *(reporting.bold(f"{v:.1f}", v == best[k]) for v in per_class[:, k])]
            for k, name in enumerate(names)
        ]
        wins = {label(m): int(np.sum(per_class[i] == best)) for i, m in enumerate(models)}
        sections.append(
            f"### {label(dataset)}\n\nAccuracy (%) per class, best in bold; classes won: "
            + ", ".join(f"{m} {w}" for m, w in wins.items())
            + f".\n\n{reporting.md_table(['class', *reporting.labelled(models)], body)}\n"
            + _bars(dataset, confusions, names, fig_dir)
            + "\n"
            + _matrices(dataset, confusions, names, fig_dir)
        )
    return "\n".join(sections)


EXPERIMENT = Experiment(
    name=NAME,
    title="Figs. 11-13: per-class accuracy and confusion matrices",
    expand=expand,
    run_one=run_one,
    report=report,
    defaults={"datasets": ["fashion-mnist", "cifar10", "usps"], "models": list(MODELS)},
)
