"""Figs. 9-10: encoder weight histograms and the rows and columns the L2,1 norm zeroes."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from msae.experiments import config, reporting
from msae.experiments.data import load_split
from msae.experiments.experiment import Experiment
from msae.experiments.paper import label
from msae.experiments.runner import fit_predict, timed_metrics
from msae.experiments.spec import RunSpec
from msae.experiments.store import Row

NAME = "weights"
# A weight, row or column counts as zero when its magnitude (L2 norm) is at most this
# fraction of the largest one.
ZERO_TOL = 1e-3
ZERO_METRICS = ("zero_rows", "zero_cols", "zero_weights", "pruned_rows", "pruned_cols")


def zero_fraction(magnitudes: np.ndarray) -> float:
    """Fraction of the entries of ``magnitudes`` (>= 0) that are at most ZERO_TOL x the max."""
    largest = float(magnitudes.max(initial=0.0))
    return float(np.mean(magnitudes <= ZERO_TOL * largest)) if largest > 0 else 1.0


def exact_zero_groups(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Masks of the rows (hidden units) and columns (inputs) of ``w`` that are exactly zero:
    what MSAETransformer.prune() removes."""
    return np.linalg.norm(w, axis=1) == 0, np.linalg.norm(w, axis=0) == 0


def weight_metrics(w: np.ndarray, bins: int) -> dict:
    """Histogram of the encoder weight ``w`` (hidden x input) and its zero fractions."""
    counts, edges = np.histogram(w, bins=bins)
    pruned_rows, pruned_cols = exact_zero_groups(w)
    return {
        "shape": list(w.shape),
        "histogram": {"counts": counts.tolist(), "edges": edges.tolist()},
        "zero_weights": zero_fraction(np.abs(w)),
        "zero_rows": zero_fraction(np.linalg.norm(w, axis=1)),  # dead hidden units
        "zero_cols": zero_fraction(np.linalg.norm(w, axis=0)),  # unused input features
        "pruned_rows": float(pruned_rows.mean()),
        "pruned_cols": float(pruned_cols.mean()),
    }


def expand(cfg: dict) -> list[RunSpec]:
    return config.expand(NAME, cfg)


def run_one(spec: RunSpec) -> dict:
    split = load_split(spec)
    fitted = fit_predict(spec, split)
    w = np.asarray(fitted.estimator.transformer_.components_, dtype=np.float64)
    return timed_metrics(fitted, split) | weight_metrics(w, spec.params["bins"])


def report(rows: list[Row], fig_dir: Path) -> str:
    datasets, models = reporting.datasets_of(rows), reporting.models_of(rows)
    cells = reporting.group(rows, lambda r: (r.dataset, r.model))
    fig, axes = reporting.panels(len(datasets) * len(models), ncols=len(models), size=(4.2, 3.2))
    axes_iter = iter(axes)
    body = []
    for dataset in datasets:
        for j, model in enumerate(models):
            ax = next(axes_iter)
            runs = sorted(cells.get((dataset, model), []), key=lambda r: r.seed)
            if not runs:
                ax.set_visible(False)
                continue
            hist = runs[0].metrics["histogram"]
            ax.stairs(
                hist["counts"], hist["edges"], fill=True, color=reporting.style(model)["color"]
            )
            ax.set_xlabel("weight value")
            ax.set_ylabel("number of weights")
            fractions = {k: reporting.mean([r.metrics[k] for r in runs]) for k in ZERO_METRICS}
            reporting.panel_title(ax, j, f"{label(dataset)}, {label(model)}")
            ax.text(
                0.98,
                0.95,
                f"zero rows {fractions['zero_rows']:.0%}\nzero cols {fractions['zero_cols']:.0%}",
                transform=ax.transAxes,
                ha="right",
                va="top",
                fontsize=8,
            )
            acc = reporting.mean(reporting.accuracies(runs))
            body.append(
                [
                    label(dataset),
                    label(model),
                    "x".join(map(str, runs[0].metrics["shape"])),
                    f"{acc:.2f}",
                    *(f"{fractions[k]:.1%}" for k in ZERO_METRICS),
                ]
            )
    table = reporting.md_table(
        [
            "dataset",
            "model",
            "W shape",
            "accuracy %",
            "zero rows",
            "zero columns",
            "zero weights",
            "exactly zero rows",
            "exactly zero columns",
        ],
        body,
    )
    caption = "Figs. 9-10: encoder weight distributions (one row of panels per dataset)"
    return (
        "The paper shows LR21-MSAE's weights concentrated at zero (Section 4.2 item 3). A row "
        "(hidden unit), column (input feature) or weight counts as zero when its L2 norm is at "
        f"most {ZERO_TOL:g} of the largest; *exactly* zero rows and columns are the ones "
        "`prune()` removes. Mean over seeds:\n\n"
        f"{table}\n{reporting.save(fig, fig_dir, 'fig09_10_weights.png', caption)}"
    )


EXPERIMENT = Experiment(
    name=NAME,
    title="Figs. 9-10: weight distributions",
    expand=expand,
    run_one=run_one,
    report=report,
    defaults={
        "datasets": ["usps", "isolet"],
        "models": ["ae", "sae", "lr21-msae"],
        "base": {"bins": 80},
    },
)
