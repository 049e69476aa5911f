import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable

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


def _start_cli(*args: str, **options) -> subprocess.Popen:
    """``python -m msae.experiments ARGS`` in a child process, its output piped. SIGINT is
    restored to its default there, so that it raises KeyboardInterrupt as from a shell's
    foreground even when the tests run where SIGINT is ignored (a background job's)."""
    return subprocess.Popen(
        [sys.executable, "-m", "msae.experiments", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        **options,
    )


def _wait_until(ready: Callable[[], bool], seconds: float, while_=lambda: True) -> bool:
    """Poll ``ready()`` for up to ``seconds`` while ``while_()`` holds; whether it came true."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and while_():
        if ready():
            return True
        time.sleep(0.02)
    return ready()


@pytest.fixture(scope="session")
def start_cli():
    return _start_cli


@pytest.fixture(scope="session")
def wait_until():
    return _wait_until
