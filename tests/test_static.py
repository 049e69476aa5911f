"""The package type-checks and the code lints clean, with the versions that the ``test``
extra pins: what a contributor runs by hand, kept by CI (a new tool version may add checks,
so the pins move on purpose)."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
CODE = ["src", "tests", "bench"]


def _run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_mypy_finds_no_type_errors_in_the_package():
    """``mypy`` with pyproject.toml's settings (src/msae; it ships ``py.typed``)."""
    pytest.importorskip("mypy")
    result = _run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=" ".join)
def test_ruff_passes(command):
    pytest.importorskip("ruff")
    result = _run("ruff", *command, *CODE)
    assert result.returncode == 0, result.stdout + result.stderr
