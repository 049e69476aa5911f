"""Helpers the experiments' reports share: grouping rows, Markdown tables, figure style."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from pathlib import Path
from typing import TypeVar

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import TABLEAU_COLORS
from matplotlib.figure import Figure

from msae.experiments.paper import DATASETS, MODELS, RAW, SPARSITY_LABELS, label, ordered
from msae.experiments.store import Row

# Figures are drawn with the object-oriented API (no pyplot): no GUI backend, nothing to close.
_COLORS = list(TABLEAU_COLORS.values())  # the "tab10" colour cycle
_MARKERS = "osD^vPX*"
STYLE = {
    **{name: {"color": _COLORS[i], "marker": _MARKERS[i]} for i, name in enumerate((*MODELS, RAW))},
    **{
        name: {"color": _COLORS[i], "marker": _MARKERS[i]} for i, name in enumerate(SPARSITY_LABELS)
    },
}


def style(name: str) -> dict:
    """Colour and marker of a model (or sparsity metric), the same in every figure."""
    return STYLE.get(name, {"color": "0.4", "marker": "."})


K = TypeVar("K", bound=Hashable)


def group(rows: Iterable[Row], key: Callable[[Row], K]) -> dict[K, list[Row]]:
    groups: dict[K, list[Row]] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    return dict(groups)


def datasets_of(rows: Iterable[Row], order: Sequence[str] = DATASETS) -> list[str]:
    """The datasets of ``rows`` in ``order`` (a figure's panel order), then the paper's."""
    return ordered({r.dataset for r in rows}, (*order, *DATASETS))


def models_of(rows: Iterable[Row]) -> list[str]:
    return ordered({r.model for r in rows}, (*MODELS, RAW))


def mean_std(values: Sequence[float | None]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for a single value); a None (a value not
    recorded) counts as NaN, so that it shows rather than passing for a number."""
    arr = np.asarray(values, dtype=float)
    return float(arr.mean()), float(arr.std(ddof=1)) if arr.size > 1 else 0.0


def mean(values: Sequence[float | None]) -> float:
    return mean_std(values)[0]


def accuracies(rows: Iterable[Row]) -> list[float]:
    """Test accuracies of the rows, in percent."""
    return [100.0 * r.metrics["accuracy"] for r in rows]


def count(n: int | str, noun: str) -> str:
    """``1 run``, ``2 runs``, ``1/3 seeds``: a number (or several, as shown) and its noun,
    plural unless the number is one."""
    return f"{n} {noun}{'' if str(n) == '1' else 's'}"


def in_order(value: object) -> tuple[int, float, str]:
    """A sort key for parameter values: numbers by value (1e-07 before 0.1 before 10), then
    anything else by its text."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return 0, float(value), ""
    return 1, 0.0, str(value)


def shown(value: object) -> str:
    """A parameter value for a log or a table: floats short (``1e-05``, ``10``), the rest as
    text."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def bold(text: str, on: bool) -> str:
    """``text`` in Markdown bold when ``on`` (a table's best value)."""
    return f"**{text}**" if on else text


def md_table(header: Sequence[str], body: Iterable[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(map(str, header)) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(map(str, cells)) + " |" for cells in body]
    return "\n".join(lines) + "\n"


def panels(n: int, ncols: int = 3, size: tuple[float, float] = (4.6, 3.6)) -> tuple[Figure, list]:
    """A figure with ``n`` panels on a grid of ``ncols`` columns (unused cells hidden)."""
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig = Figure(figsize=(size[0] * ncols, size[1] * nrows))
    flat = list(fig.subplots(nrows, ncols, squeeze=False).flat)
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


def panel_title(ax: Axes, index: int, text: str) -> None:
    """The paper's panel naming: ``(a) MNIST``."""
    ax.set_title(f"({chr(ord('a') + index)}) {text}")


def save(fig: Figure, fig_dir: Path, name: str, caption: str) -> str:
    """Write ``fig`` as a PNG and return its Markdown image line (relative to the report)."""
    fig_dir.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(fig_dir / name, dpi=120)
    return f"![{caption}]({fig_dir.name}/{name})\n\n*{caption}*\n"


def labelled(names: Iterable[str]) -> list[str]:
    return [label(n) for n in names]
