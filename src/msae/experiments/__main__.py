"""``python -m msae.experiments reproduce|report ...``: the experiment commands on their own."""

import typer

from msae.experiments.cli import register

app = typer.Typer(help="Reproduce the experiments of Wang et al. (2022).", no_args_is_help=True)
register(app)

if __name__ == "__main__":
    app()
