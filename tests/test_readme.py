"""The README's Python example runs as written: an API it names that changes breaks this test
rather than the first thing a new user types. USPS is cut to a few hundred rows so that the
example, which trains three models, takes seconds."""

import dataclasses
import re
from pathlib import Path

import numpy as np

import msae.data

README = Path(__file__).parents[1] / "README.md"


def test_the_readme_python_example_runs(monkeypatch, tmp_path):
    (example,) = re.findall(r"```python\n(.*?)```", README.read_text(), re.DOTALL)
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
