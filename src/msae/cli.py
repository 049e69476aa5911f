"""The ``msae`` command line."""

from __future__ import annotations

import time

import numpy as np
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from msae import PRESETS, MSAEClassifier, __version__
from msae.estimators import resolve_device
from msae.terminal import make_console
from msae.train import flush_denormals

app = typer.Typer(help="Multi-scale sparse auto-encoders: train, reproduce the paper, report.")
console = make_console()


def _version(value: bool) -> None:
    if value:
        console.print(f"msae {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True),
) -> None:
    """msae command line."""
    flush_denormals()  # before torch starts its threads, so that they all flush


@app.command()
def demo(
    n_components: int = typer.Option(100, min=1, help="Hidden units."),
    max_iter: int = typer.Option(100, min=1, help="L-BFGS iterations per model."),
    presets: str = typer.Option(",".join(PRESETS), help="Comma-separated preset names."),
    device: str = typer.Option("cpu", help="cpu, cuda or auto."),
    seed: int = typer.Option(0, help="Random seed (split and weights)."),
) -> None:
    """Train every preset on scikit-learn's digits (no download) and compare test accuracy."""
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.25, stratify=y, random_state=seed)
    names = [p.strip() for p in presets.split(",") if p.strip()]
    unknown = [name for name in names if name not in PRESETS]
    if unknown or not names:
        what = f"unknown preset {unknown[0]!r}" if unknown else "no preset given"
        choices = ", ".join(PRESETS)
        raise typer.BadParameter(f"{what}; the presets are {choices}", param_hint="--presets")
    try:
        resolve_device(device)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--device") from exc
    table = Table(
        title=f"digits: {len(x_tr)} train / {len(x_te)} test, {n_components} hidden units"
    )
    for column in ("model", "test accuracy", "train time (s)", "iterations"):
        table.add_column(column, justify="left" if column == "model" else "right")
    start = time.perf_counter()
    raw = LogisticRegression(max_iter=2000).fit(x_tr, y_tr)
    table.add_row("raw-pixel softmax", f"{raw.score(x_te, y_te):.4f}",
                  f"{time.perf_counter() - start:.2f}", "-")  # fmt: skip
    progress = Progress(
        TextColumn("{task.description:>10}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=console, transient=True,
    )  # fmt: skip
    with progress:
        for name in names:
            task = progress.add_task(name, total=max_iter)
            clf = MSAEClassifier(
                n_components, preset=name, max_iter=max_iter, image_shape=(8, 8, 1),
                device=device, random_state=seed,
                callbacks=[lambda info, task=task: progress.update(task, completed=info.iteration)],
            )  # fmt: skip
            start = time.perf_counter()
            clf.fit(x_tr, y_tr)
            elapsed = time.perf_counter() - start
            progress.update(task, completed=max_iter)
            table.add_row(name, f"{clf.score(x_te, y_te):.4f}", f"{elapsed:.2f}",
                          str(clf.transformer_.n_iter_))  # fmt: skip
    console.print(table)


def _register_subcommands() -> None:
    from msae.data.cli import register as register_data
    from msae.experiments.cli import register as register_experiments

    register_data(app)
    register_experiments(app)


_register_subcommands()
