"""Fig. 7: test accuracy against training iterations, from checkpoints of one run per model."""

from __future__ import annotations

from pathlib import Path

import numpy as np

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
    variant = {"n_checkpoints": cfg["n_checkpoints"]}
    if alphas := cfg["classifier_alphas"]:  # absent when empty: the run keys stay as they were
        if any(not isinstance(a, int | float) or a < 0 for a in alphas):
            raise config.ConfigError(f"classifier_alphas must be numbers >= 0, got {alphas!r}")
        variant["classifier_alphas"] = sorted({float(a) for a in alphas})
    if lengths := cfg["fine_tune_lengths"]:  # likewise
        if any(not isinstance(k, int) or isinstance(k, bool) or k < 1 for k in lengths):
            raise config.ConfigError(f"fine_tune_lengths must be integers >= 1, got {lengths!r}")
        variant["fine_tune_lengths"] = sorted(set(lengths))
    return config.expand(NAME, cfg, [variant])


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
        f"the checkpoint from which the accuracy stays within {curves.CONVERGED_WITHIN} points of "
        "the final one; "
        "each checkpoint trains a softmax on the hidden features of that iteration.\n\n"
        f"{table}\n{reporting.save(fig, fig_dir, 'fig07_iterations.png', caption)}"
        + _by_alpha(rows, datasets, models)
        + _fine_tuning(rows, datasets, models)
    )


def _by_alpha(rows: list[Row], datasets: list[str], models: list[str]) -> str:
    """For runs with ``classifier_alphas``: per dataset, model and softmax L2, the best mean
    accuracy over the checkpoints, its iteration, and the accuracy at the last iteration."""
    rows = [r for r in rows if "accuracy_by_alpha" in r.metrics.get("curve", {})]
    cells = reporting.group(rows, lambda r: (r.dataset, r.model))
    body = []
    for dataset in datasets:
        for model in models:
            if (dataset, model) not in cells:
                continue
            group = cells[dataset, model]
            alphas = {a for r in group for a in r.metrics["curve"]["accuracy_by_alpha"]}
            points = {}  # L2: (best accuracy, its iteration, last accuracy)
            for alpha in sorted(alphas, key=float):
                iterations, acc = curves.mean_curve(group, alpha)
                best = int(np.argmax(acc))
                points[alpha] = (acc[best], int(iterations[best]), acc[-1])
            chosen = max(points, key=lambda alpha: points[alpha][0])
            body += [
                [label(dataset), label(model), alpha,
                 reporting.bold(f"{top:.2f}", alpha == chosen), at, f"{last:.2f}"]
                for alpha, (top, at, last) in points.items()
            ]  # fmt: skip
    if not body:
        return ""
    head = ["dataset", "model", "softmax L2", "best accuracy %", "at iteration", "last %"]
    return (
        "\n\nEvery checkpoint also fitted a softmax with each L2 of `classifier_alphas` (mean "
        "over the seeds), so that one run per model chooses both the number of iterations and "
        "the L2 (on a validation split: `--validation`); each model's best L2 in bold.\n\n"
        + reporting.md_table(head, body)
    )


def _fine_tuning(rows: list[Row], datasets: list[str], models: list[str]) -> str:
    """For runs with ``fine_tune_lengths``: per dataset and model, the mean accuracy without
    fine-tuning (the last point of the curve) and after each length."""
    rows = [r for r in rows if "fine_tune" in r.metrics]
    cells = reporting.group(rows, lambda r: (r.dataset, r.model))
    lengths = sorted({k for r in rows for k in r.metrics["fine_tune"]["iteration"]})
    body = []
    for dataset in datasets:
        for model in models:
            if (dataset, model) not in cells:
                continue
            at: dict[int, list[float]] = {0: []} | {k: [] for k in lengths}
            for r in cells[dataset, model]:
                at[0].append(r.metrics["accuracy"])
                scan = r.metrics["fine_tune"]
                for k, acc in zip(scan["iteration"], scan["accuracy"], strict=True):
                    at[k].append(acc)
            means = {k: 100.0 * np.mean(v) for k, v in at.items() if v}
            best = max(means, key=means.__getitem__)
            body.append(
                [label(dataset), label(model)]
                + [reporting.bold(f"{means[k]:.2f}", k == best) if k in means else "-"
                   for k in at]
            )  # fmt: skip
    if not body:
        return ""
    head = ["dataset", "model", "no fine-tuning", *(f"{k} iterations" for k in lengths)]
    return (
        "\n\nAfter training, each run was fine-tuned on the labels (`fine_tune_lengths`: "
        "encoder and softmax together, as `fine_tune_iter` does) and scored after each "
        "length; mean accuracy (%) over the seeds, the best in bold.\n\n"
        + reporting.md_table(head, body)
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
        "classifier_alphas": [],  # more softmax L2s to score at every checkpoint
        "fine_tune_lengths": [],  # fine-tuning lengths to score after training
        "override": {"max_iter": 100},  # the x-axis of Fig. 7
    },
    quick={"n_checkpoints": 5},
    resumable=False,
)
