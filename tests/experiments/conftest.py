import json

import pytest
import torch
import typer
from typer.testing import CliRunner

from msae.experiments.cli import register

# Tiny settings: every experiment finishes in seconds on sklearn's digits.
TINY = {
    "datasets": ["digits"],
    "repeats": 1,
    "base": {"n_train": 200, "n_test": 150, "bins": 10},
    "override": {"max_iter": 3, "n_components": 8},
    "lams": [1e-5, 1e-1],
    "betas": [1e-4, 0.1],
    "hidden_sizes": [4, 8],
    "rhos": [0.1],
    "n_checkpoints": 2,
}


@pytest.fixture(scope="session", autouse=True)
def one_torch_thread():
    """Tiny runs are fastest on one thread, and on a busy machine far faster."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def app() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


@pytest.fixture(scope="session")
def tiny_config(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("config") / "tiny.json"
    path.write_text(json.dumps(TINY))
    return str(path)


@pytest.fixture(scope="session")
def invoke(app):
    """Run the CLI in-process; fail with its output unless it exits with ``code``."""

    def run(*args: str, code: int = 0):
        result = CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})
        assert result.exit_code == code, result.output + repr(result.exception)
        return result

    return run
