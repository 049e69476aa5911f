"""Fig. 6: test accuracy of LR21-MSAE over the (lambda, beta) grid, as heat maps."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from matplotlib.patches import Rectangle

from msae.experiments import config, reporting
from msae.experiments.experiment import Experiment
from msae.experiments.paper import label, paper_values
from msae.experiments.runner import accuracy_run
from msae.experiments.spec import RunSpec
from msae.experiments.store import Row

NAME = "sensitivity"
GRID = [10.0**e for e in range(-7, 3)]  # {1e-7, ..., 1e2} for both (Section 4.2 item 1)
FLAT = 1.0  # points: a cell this close to the best counts as part of the flat region
MIN_RANGE = 10.0  # points: the least range of accuracy a heat map's colours span


def coarse_first(n: int) -> list[int]:
    """0 .. n-1 in an order whose every prefix spreads over the range: the two ends, then the
    middle of each gap, halving them level by level (0, 9, 4, 2, 6, 1, 3, 5, 7, 8 for n = 10)."""
    order, gaps = list(dict.fromkeys([0, n - 1]))[:n], [(0, n - 1)]
    while gaps:
        low, high = gaps.pop(0)
        if high - low > 1:
            middle = (low + high) // 2
            order.append(middle)
            gaps += [(low, middle), (middle, high)]
    return order


def expand(cfg: dict) -> list[RunSpec]:
    """The grid from coarse to fine: a sequence of nested sub-grids (the extreme λ and β, then
    with the middle values, ...), so that a sweep stopped part-way has covered the whole range
    at a coarser step rather than a few rows of it."""
    lams, betas = sorted(cfg["lams"]), sorted(cfg["betas"])
    lams = [lams[i] for i in coarse_first(len(lams))]
    betas = [betas[i] for i in coarse_first(len(betas))]
    cells = sorted(
        ((i, j) for i in range(len(lams)) for j in range(len(betas))),
        key=lambda cell: (max(cell), cell),  # the (k + 1) x (k + 1) sub-grid after the k x k
    )
    variants = [{"lam": lams[i], "beta": betas[j]} for i, j in cells]
    return config.expand(NAME, cfg, variants)


def _axis(values: set[float]) -> list[float]:
    """A heat map's rows or columns for the values run. Where they are all powers of ten, the
    axis has every power from the least to the greatest at their common step, so that equal
    distances on the map are equal ratios and a grid run in part shows its gaps (MNIST's
    λ = 1e-7, 1e-5, 1e-3, 1e-1 become ten rows with 1e-6, 1e-4, ... not run); a sub-grid at a
    wider step, such as ``--quick``'s 1e-7, 1e-4, 1e-1, 1e2, keeps its step."""
    ordered = sorted(values)
    if len(ordered) < 2 or ordered[0] <= 0:
        return ordered
    powers = [math.log10(v) for v in ordered]
    if any(not math.isclose(p, round(p), abs_tol=1e-9) for p in powers):
        return ordered
    low, high = round(powers[0]), round(powers[-1])
    step = math.gcd(*(round(p) - low for p in powers[1:]))
    return [10.0**e for e in range(low, high + 1, step)]


def _index(axis: list[float], value: float) -> int:
    return next(i for i, v in enumerate(axis) if math.isclose(v, value))


def _surface(rows: list[Row]) -> tuple[list[float], list[float], np.ndarray]:
    """lambdas, betas and the mean accuracy (%) on the lambda x beta grid (NaN: no run)."""
    lams = _axis({r.params["lam"] for r in rows})
    betas = _axis({r.params["beta"] for r in rows})
    acc = np.full((len(lams), len(betas)), np.nan)
    for (lam, beta), cell in reporting.group(
        rows, lambda r: (r.params["lam"], r.params["beta"])
    ).items():
        acc[_index(lams, lam), _index(betas, beta)] = reporting.mean(reporting.accuracies(cell))
    return lams, betas, acc


def _flat_region(lams: list[float], betas: list[float], acc: np.ndarray) -> str:
    """How much of the grid is within FLAT points of the best, and the largest lambda and beta
    found there: the paper's claim of insensitivity, as a number."""
    near = np.isfinite(acc) & (acc >= np.nanmax(acc) - FLAT)
    rows, cols = np.nonzero(near)
    return (
        f"{near.sum()}/{np.isfinite(acc).sum()} cells; "
        f"λ up to {lams[rows.max()]:.0e}, β up to {betas[cols.max()]:.0e}"
    )


def _paper_cells(lams: list[float], betas: list[float], acc: np.ndarray) -> str:
    """How many of the paper's 10 x 10 cells have a result: a grid run in part (or a
    sub-grid) says so beside its best cell."""
    lam_on, beta_on = (
        np.array([any(math.isclose(v, g) for g in GRID) for v in values])
        for values in (lams, betas)
    )
    run = np.isfinite(acc) & np.outer(lam_on, beta_on)
    return f"{run.sum()}/{len(GRID) ** 2}"


def report(rows: list[Row], fig_dir: Path) -> str:
    panels = reporting.group(rows, lambda r: (r.dataset, r.model))
    keys = [
        (d, m)
        for d in reporting.datasets_of(rows)
        for m in reporting.models_of(rows)
        if (d, m) in panels
    ]
    fig, axes = reporting.panels(len(keys), ncols=3, size=(5.2, 4.4))
    best_paper = paper_values()["sensitivity_best"]["values"]
    body = []
    for i, (ax, (dataset, model)) in enumerate(zip(axes, keys, strict=True)):
        lams, betas, acc = _surface(panels[dataset, model])
        # The colours span at least MIN_RANGE points: a grid run in part, its cells 0.02 apart,
        # must not look as different as 17.9 and 94.1 do on a whole one.
        top = np.nanmax(acc)
        bottom = min(np.nanmin(acc), top - MIN_RANGE)
        image = ax.imshow(acc, origin="lower", cmap="viridis", aspect="auto", vmin=bottom, vmax=top)
        middle = (top + bottom) / 2  # dark text on viridis' bright half
        for (r, c), value in np.ndenumerate(acc):
            if np.isfinite(value):
                colour = "k" if value > middle else "w"
                ax.text(c, r, f"{value:.1f}", ha="center", va="center", fontsize=6, color=colour)
            else:  # a grid run in part, or a sub-grid with a row or column added
                ax.text(c, r, "not run", ha="center", va="center", fontsize=5, color="0.5")
        ax.set_xticks(range(len(betas)), [f"{b:.0e}" for b in betas], rotation=90, fontsize=7)
        ax.set_yticks(range(len(lams)), [f"{v:.0e}" for v in lams], fontsize=7)
        ax.set_xlabel("β (sparsity weight)")
        ax.set_ylabel("λ (weight-decay weight)")
        fig.colorbar(image, ax=ax, label="test accuracy (%)")
        reporting.panel_title(ax, i, f"{label(dataset)}, {label(model)}")
        r, c = np.unravel_index(np.nanargmax(acc), acc.shape)
        ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, edgecolor="red", lw=2))
        paper = best_paper.get(dataset, {})
        body.append(
            [
                label(dataset),
                label(model),
                f"λ={lams[r]:.0e}, β={betas[c]:.0e}",
                f"λ={paper['lam']:.0e}, β={paper['beta']:.0e}" if paper else "-",
                f"{np.nanmax(acc):.2f}",
                f"{np.nanmin(acc):.2f}",
                f"{np.nanmax(acc) - np.nanmin(acc):.2f}",
                _flat_region(lams, betas, acc),
                _paper_cells(lams, betas, acc),
            ]
        )
    table = reporting.md_table(
        [
            "dataset",
            "model",
            "best (ours)",
            "best (paper)",
            "max %",
            "min %",
            "spread",
            f"within {FLAT:g} pt of max",
            "paper's grid run",
        ],
        body,
    )
    caption = "Fig. 6: test accuracy over (λ, β); the best cell is framed in red"
    return (
        "The paper finds accuracy flat over a wide (λ, β) range (Section 4.2 item 1). "
        "Mean over seeds, in percent:\n\n"
        f"{table}\n{reporting.save(fig, fig_dir, 'fig06_sensitivity.png', caption)}"
    )


EXPERIMENT = Experiment(
    name=NAME,
    title="Fig. 6: sensitivity to λ and β",
    expand=expand,
    run_one=accuracy_run,
    report=report,
    defaults={
        "datasets": ["mnist", "usps", "isolet"],
        "models": ["lr21-msae"],
        "lams": GRID,
        "betas": GRID,
    },
    quick={"lams": GRID[::3], "betas": GRID[::3]},
    axes=("lam", "beta"),
)
