"""``msae datasets``: the table of datasets, their status and location; --download."""

from __future__ import annotations

from pathlib import Path

import pooch
import pytest
import typer
from conftest import shared_data_dir
from typer.testing import CliRunner

from msae.data import DATASETS
from msae.data.cli import register

WIDE = {"COLUMNS": "250"}


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """msae (test stand-in)."""

    register(app)
    return app


def rows(output: str) -> dict[str, str]:
    """Table rows by dataset name."""
    table = {}
    for line in output.splitlines():
        cells = [c.strip() for c in line.split("│")]
        if len(cells) > 2 and cells[1] in DATASETS:
            table[cells[1]] = line
    return table


def test_lists_every_dataset_with_status_and_location(app: typer.Typer) -> None:
    shared = shared_data_dir()
    if not shared.is_dir():
        pytest.skip(f"{shared} is absent")
    result = CliRunner().invoke(app, ["datasets", "--data-dir", str(shared)], env=WIDE)
    assert result.exit_code == 0, result.output
    table = rows(result.output)
    assert list(table) == list(DATASETS)
    assert "60000" in table["mnist"] and "28x28x1" in table["mnist"]
    assert str(shared / "mnist") in table["mnist"]
    for name, line in table.items():
        present = any((shared / name).glob("*.*"))
        assert ("present" in line or "corrupt" in line) if present else "missing" in line


def test_shows_corrupt_and_missing(app: typer.Typer, tmp_path: Path) -> None:
    (tmp_path / "ecoli").mkdir()
    (tmp_path / "ecoli/ecoli.data").write_text("not the ecoli file\n")
    result = CliRunner().invoke(app, ["datasets", "--data-dir", str(tmp_path)], env=WIDE)
    assert result.exit_code == 0, result.output
    table = rows(result.output)
    assert "corrupt" in table["ecoli"] and "missing" in table["mnist"]


def test_download_option(app: typer.Typer, tmp_path: Path, monkeypatch) -> None:
    source = shared_data_dir() / "ecoli/ecoli.data"
    if not source.is_file():
        pytest.skip(f"{source} is absent")
    calls = []

    def retrieve(url: str, known_hash=None, fname=None, path=None, **kwargs) -> str:
        calls.append((url, known_hash))
        (Path(path)).mkdir(parents=True, exist_ok=True)
        (Path(path) / fname).write_bytes(source.read_bytes())
        return str(Path(path) / fname)

    monkeypatch.setattr(pooch, "retrieve", retrieve)
    args = ["datasets", "--data-dir", str(tmp_path), "--download", "ecoli"]
    result = CliRunner().invoke(app, args, env=WIDE)
    assert result.exit_code == 0, result.output
    assert calls == [
        (
            DATASETS["ecoli"].layouts[0].files[0].urls[0],
            DATASETS["ecoli"].layouts[0].files[0].known_hash,
        )
    ]
    assert "present" in rows(result.output)["ecoli"]


def test_download_failure_exits_with_an_error(app: typer.Typer, tmp_path: Path) -> None:
    args = ["datasets", "--data-dir", str(tmp_path), "--download", "ecoli"]
    result = CliRunner().invoke(app, args, env=WIDE)  # the autouse fixture blocks pooch
    assert result.exit_code != 0
