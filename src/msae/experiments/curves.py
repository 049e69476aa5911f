"""Accuracy-against-iterations curves (Figs. 7 and 15): averaging and drawing."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator

from msae.experiments import reporting
from msae.experiments.store import Row

# A curve has converged at the checkpoint from which it stays within this many points of its
# final accuracy.
CONVERGED_WITHIN = 0.5


def mean_curve(rows: list[Row], alpha: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Iterations and mean accuracy (%) over the runs' curves, at every checkpoint any has:
    of the run's own softmax, or of the one with L2 ``alpha`` (a ``classifier_alphas`` run)."""
    at: dict[int, list[float]] = defaultdict(list)
    for row in rows:
        curve = row.metrics.get("curve", {"iteration": [], "accuracy": []})
        values = curve["accuracy"] if alpha is None else curve["accuracy_by_alpha"][alpha]
        for it, acc in zip(curve["iteration"], values, strict=True):
            at[it].append(100.0 * acc)
    iterations = np.array(sorted(at))
    return iterations, np.array([np.mean(at[it]) for it in iterations])


def converged_at(iterations: np.ndarray, acc: np.ndarray) -> int | None:
    """The checkpoint from which the accuracy stays within ``CONVERGED_WITHIN`` of the final
    one. Not the first to come within it: a curve can start near its end (random features
    already serve a softmax well), leave, and come back."""
    if acc.size == 0:
        return None
    away = np.flatnonzero(np.abs(acc - acc[-1]) > CONVERGED_WITHIN)
    return int(iterations[away[-1] + 1 if away.size else 0])


def draw(
    ax: Axes, rows: list[Row], key: Callable[[Row], str], names: list[str], labels: list[str]
) -> list[tuple[str, int | None, float]]:
    """One line per group of ``rows`` (``key``), in ``names`` order; returns, per line, its
    label, the iteration it converged at and its final accuracy."""
    groups = reporting.group(rows, key)
    summary = []
    for name, text in zip(names, labels, strict=True):
        if name not in groups:
            continue
        iterations, acc = mean_curve(groups[name])
        ax.plot(iterations, acc, label=text, markersize=4, **reporting.style(name))
        summary.append(
            (text, converged_at(iterations, acc), float(acc[-1]) if acc.size else float("nan"))
        )
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("iterations")
    ax.set_ylabel("classification accuracy (%)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    return summary
