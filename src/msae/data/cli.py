"""``msae datasets``: list the datasets with their local status, and download them."""

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from msae.data.dataset import dataset_status, download_dataset, get_data_dir
from msae.data.errors import DatasetError
from msae.data.registry import DATASETS
from msae.terminal import make_console

STATE_STYLE = {"present": "green", "missing": "yellow", "corrupt": "bold red"}


def datasets(
    data_dir: Annotated[
        Optional[Path],  # noqa: UP045 - typer reads this annotation at runtime
        typer.Option("--data-dir", help="Data root (default: $MSAE_DATA, else a user cache)."),
    ] = None,
    download: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option("--download", metavar="NAME", help="Download NAME first ('all': every one)."),
    ] = None,
) -> None:
    """List the datasets of the paper, whether their files are here, and where."""
    console = make_console()
    names = list(DATASETS) if download and "all" in download else download or []
    for name in names:
        try:
            paths = download_dataset(name, data_dir)
        except DatasetError as exc:
            console.print(f"[bold red]error:[/] {exc}")
            raise typer.Exit(1) from exc
        console.print(f"{name}: {', '.join(str(p) for p in paths)}")
    table = Table(title=f"Datasets in {get_data_dir(data_dir)}")
    for column in ("dataset", "train", "test", "features", "classes", "image", "status"):
        table.add_column(column, no_wrap=True)
    table.add_column("location / notes", overflow="fold", min_width=24)
    for name in DATASETS:
        status = dataset_status(name, data_dir)
        info = status.info
        image = "x".join(map(str, info.image_shape)) if info.image_shape else "-"
        state = f"[{STATE_STYLE[status.state]}]{status.state}[/]"
        where = f"{status.folder}" + (f"\n{status.detail}" if status.detail else "")
        row = (info.name, info.n_train, info.n_test, info.n_features, info.n_classes, image)
        table.add_row(*map(str, row), state, where)
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add the ``datasets`` command to the ``msae`` application."""
    app.command("datasets")(datasets)
