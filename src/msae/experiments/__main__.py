"""``python -m msae.experiments reproduce|report ...``: the experiment commands on their own."""

import typer

from msae.experiments.cli import register
from msae.train import flush_denormals

app = typer.Typer(help="Reproduce the experiments of Wang et al. (2022).", no_args_is_help=True)
app.callback()(flush_denormals)  # before torch starts its threads, so that they all flush
register(app)

if __name__ == "__main__":
    app()
