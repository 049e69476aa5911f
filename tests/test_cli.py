"""The top-level ``msae`` command: its help texts survive rich's rendering."""

import re
import subprocess
import sys

import numpy as np
import pytest
import typer
from rich.markup import render
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from typer.testing import CliRunner

from msae import MSAEClassifier, __version__
from msae.cli import app


def _commands(command, path: str = "msae"):
    # typer may ship its own click, so look for sub-commands rather than at the class
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, f"{path} {name}")


COMMANDS = list(_commands(typer.main.get_command(app)))


@pytest.mark.parametrize("path,command", COMMANDS, ids=[path for path, _ in COMMANDS])
def test_help_texts_are_not_eaten_as_markup(path, command):
    """Rich renders help as markup, so "[default: 1]" in a help string silently vanished."""
    texts = [command.help or ""] + [getattr(p, "help", None) or "" for p in command.params]
    for text in texts:
        assert render(text).plain == text, f"{path}: rich markup in {text!r}"


def test_every_command_is_checked():
    names = {path for path, _ in COMMANDS}
    assert {"msae demo", "msae datasets", "msae train", "msae reproduce", "msae report"} <= names
    assert "msae export" in names


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--presets", "ae,foo"], "unknown preset 'foo'"),
        (["--presets", ","], "no preset given"),
        (["--max-iter", "0"], "--max-iter"),
        (["--device", "cudaa"], "unknown device 'cudaa'"),
    ],
)
def test_demo_rejects_bad_options_before_training(args, message):
    result = CliRunner().invoke(app, ["demo", *args], env={"COLUMNS": "200"})
    assert result.exit_code == 2 and message in result.output, result.output


def test_the_command_flushes_denormals_before_torch_starts_its_threads():
    """Set in the app's callback, before any command's first torch operation."""
    import msae.train

    assert CliRunner().invoke(app, ["demo", "--presets", "nope"]).exit_code == 2
    assert msae.train._flushing_denormals()


def test_demo_reports_the_scores_its_models_get():
    """The README's first command, end to end: a row per model, and each accuracy the one the
    estimator gets with the same settings on the same split."""
    args = ["demo", "--presets", "ae,lr21-msae", "--max-iter", "15", "--n-components", "16"]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    rows = dict(re.findall(r"│ (\S[^│]*?) +│ +([0-9.]+) │ +[0-9.]+ │ +(?:\d+|-) │", result.output))
    assert set(rows) == {"raw-pixel softmax", "ae", "lr21-msae"}, result.output
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.25, stratify=y, random_state=0)
    for preset in ("ae", "lr21-msae"):
        clf = MSAEClassifier(16, preset=preset, max_iter=15, image_shape=(8, 8, 1), random_state=0)
        assert rows[preset] == f"{clf.fit(x_tr, y_tr).score(x_te, y_te):.4f}"
    assert f"msae {__version__}" in CliRunner().invoke(app, ["--version"]).output


def test_python_m_msae_is_the_msae_command():
    """A fresh interpreter, as a user without the script on their PATH would run it."""
    result = subprocess.run(
        [sys.executable, "-m", "msae", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "Usage: msae " in result.stdout and "reproduce" in result.stdout
