"""Every benchmark script still starts: it imports what it uses from the package (some use
private helpers, which a refactor may rename) and parses its options. The benchmarks
themselves run at MNIST's size, so they are run by hand, not here (docs/performance.md)."""

import runpy
import sys
from pathlib import Path

import pytest

BENCHES = sorted((Path(__file__).parents[1] / "bench").glob("bench_*.py"))


def test_the_benchmarks_are_found():
    assert len(BENCHES) >= 7


@pytest.mark.parametrize("path", BENCHES, ids=lambda p: p.name)
def test_a_benchmark_prints_its_options(path, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", [str(path), "--help"])
    with pytest.raises(SystemExit) as stopped:
        runpy.run_path(str(path), run_name="__main__")
    assert stopped.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: {path.name}")
    options = [line for line in out.splitlines() if line.startswith("  --")]
    assert options, "no option besides --help"
