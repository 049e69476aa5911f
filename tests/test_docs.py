"""The Python in README.md and docs/*.md still matches the API: an import, function or
keyword that changes breaks these tests rather than the first thing a user types."""

import ast
import dataclasses
import importlib
import inspect
import re
from pathlib import Path

import numpy as np
import pytest

import msae.data

ROOT = Path(__file__).parents[1]
README = ROOT / "README.md"


def _examples(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(), re.DOTALL)


DOCS = [path for path in sorted((ROOT / "docs").glob("*.md")) if _examples(path)]


def test_the_readme_python_example_runs(monkeypatch, tmp_path):
    """As written, but with USPS cut to a few hundred rows: it trains three models."""
    (example,) = _examples(README)
    load = msae.data.load_dataset

    def fewer_rows(*args, **kwargs):
        ds = load(*args, **kwargs)
        rows = {"X_train": ds.X_train[:300], "y_train": ds.y_train[:300]}
        return dataclasses.replace(ds, **rows, X_test=ds.X_test[:100], y_test=ds.y_test[:100])

    monkeypatch.setattr(msae.data, "load_dataset", fewer_rows)
    monkeypatch.chdir(tmp_path)  # it saves a model and a checkpoint in the working directory
    names: dict = {}
    exec(compile(example, str(README), "exec"), names)
    ds, clf, features = names["ds"], names["clf"], names["features"]
    assert features.shape == (100, 200) and names["images"].shape == ds.X_test.shape
    assert names["errors"].shape == (100,) and np.all(names["errors"] >= 0)
    assert names["small"].components_.shape[0] <= 400  # the hidden units kept
    assert (tmp_path / "usps-model").is_dir()
    assert not (tmp_path / "usps.ckpt").exists()  # a finished fit removes its checkpoint
    assert 0.5 < clf.score(ds.X_test, ds.y_test) <= 1.0
    # Early stopping saw the held-out error stall before 500 iterations. The example seeds that
    # fit: unseeded, a start may improve on the held-out rows for all 500 (random_state=3 does).
    stop = names["stop"]
    assert stop.best_iteration is not None and stop.scores[-1][0] < 500


@pytest.mark.parametrize("path", DOCS, ids=[p.name for p in DOCS])
def test_the_docs_python_names_what_the_package_has(path):
    """Too long to run (MNIST for 500 iterations, a whole sweep): their imports are made, and
    each call of an imported function or class binds its arguments to the signature."""
    checked = 0
    for example in _examples(path):
        tree = ast.parse(example)
        names: dict = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module.split(".")[0] == "msae":
                module = importlib.import_module(node.module)
                names |= {a.asname or a.name: getattr(module, a.name) for a in node.names}
        for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
            if isinstance(call.func, ast.Name) and call.func.id in names:
                kwargs = {k.arg: None for k in call.keywords}
                signature = inspect.signature(names[call.func.id])
                signature.bind(*[None] * len(call.args), **kwargs)  # TypeError if it changed
                checked += 1
    assert checked


def test_the_run_parameters_docs_list_are_those_a_config_accepts():
    """docs/experiments.md lists the run parameters a config may set: all of them, no other."""
    from msae.experiments.spec import RUN_PARAMS

    text = " ".join((ROOT / "docs" / "experiments.md").read_text().split())
    (listed,) = re.findall(r"run parameters \(in `base`.*?\) are (.*?)\.", text)
    assert set(re.findall(r"`(\w+)`", listed)) == RUN_PARAMS | {"bins"}  # bins: `weights`'
