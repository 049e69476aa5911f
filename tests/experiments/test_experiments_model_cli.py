"""`msae evaluate` and `msae predict`: a saved model used from the command line."""

import csv
import io
import json
import re

import numpy as np
import pytest

from msae import MSAEClassifier, MSAETransformer
from msae.experiments.data import load_split
from msae.experiments.spec import RunSpec

TRAIN = ("train", "digits", "--iterations", "8", "--hidden", "16", "--threads", "1")


@pytest.fixture(scope="module")
def saved(tmp_path_factory, invoke):
    """A classifier that `msae train --save` wrote, and what train printed."""
    directory = tmp_path_factory.mktemp("model") / "m"
    out = invoke(*TRAIN, "--seed", "1", "--save", directory).output
    return directory, out


@pytest.fixture(scope="module")
def test_rows():
    split = load_split(RunSpec("table3", "digits", "lr21-msae", {}, 1))
    return split.X_test, split.y_test


def _accuracy(output: str, scored: str = "test") -> str:
    return re.search(rf"^{scored} accuracy ([\d.]+) %", output, re.M).group(1)


def test_evaluate_scores_the_rows_train_scored(invoke, saved, test_rows):
    directory, trained = saved
    record = json.loads((directory / "run.json").read_text())
    assert (record["dataset"], record["model"], record["seed"]) == ("digits", "lr21-msae", 1)
    assert record["params"]["max_iter"] == 8 and "data_dir" not in record["params"]
    out = invoke("evaluate", directory, "--confusion").output
    assert "on 540 test rows of digits" in out
    assert _accuracy(out) == _accuracy(trained) == f"{100 * record['accuracy']:.2f}"
    # Each class's line and the matrix are the model's predictions on those rows, counted.
    X, y = test_rows
    model = MSAEClassifier.load(directory)
    y_pred = model.predict(X)
    for k in range(10):
        rows = int((y == k).sum())
        share = 100 * np.mean(y_pred[y == k] == k)
        assert re.search(rf"│ {k}\s+│\s+{rows} │\s+{share:.2f} % │", out), out
    matrix = out[out.index("confusion matrix") :]
    diagonal = [int(re.search(rf"│ {k}\s+│((?:\s+\d+ │){{10}})", matrix).group(1).split("│")[k])
                for k in range(10)]  # fmt: skip
    assert diagonal == [int(np.sum((y == k) & (y_pred == k))) for k in range(10)]
    error = -model.transformer_.score_samples(X).mean()
    assert f"mean reconstruction error ‖x - x'‖²/2 {error:.4f}" in out


def test_evaluate_a_model_saved_from_python(invoke, tmp_path, test_rows):
    """No run record: the dataset is named, and its official test split is scored."""
    X, _ = test_rows
    transformer = MSAETransformer(8, max_iter=3, random_state=0).fit(X)
    transformer.save(tmp_path / "t")
    need = invoke("evaluate", tmp_path / "t", code=2).output
    assert "has no run.json" in need and "--dataset" in need
    out = invoke("evaluate", tmp_path / "t", "--dataset", "digits").output
    split = load_split(RunSpec("evaluate", "digits", "model", {}, 0))
    error = -transformer.score_samples(split.X_test).mean()
    assert f"540 test rows of digits: mean reconstruction error ‖x - x'‖²/2 {error:.4f}" in out


def test_evaluate_reports_bad_models_and_mismatched_data(invoke, saved, tmp_path):
    directory, _ = saved
    assert "not a saved msae model" in invoke("evaluate", tmp_path / "none", code=2).output
    wrong = invoke("evaluate", directory, "--dataset", "usps", "--data-dir", tmp_path, code=2)
    assert "its files are not in" in wrong.output
    narrow = invoke("evaluate", directory, "--dataset", "usps", code=2).output
    assert "usps has 256 features a row; the model takes 64" in narrow
    X, y = load_split(RunSpec("table3", "digits", "ae", {}, 0)).X_test, np.arange(540) % 3 + 10
    MSAEClassifier(4, max_iter=2, random_state=0).fit(X, y).save(tmp_path / "other")
    other = invoke("evaluate", tmp_path / "other", "--dataset", "digits", code=2).output
    assert "the model's classes [10, 11, 12] are not digits's" in other
    (tmp_path / "copy").mkdir()
    for name in ("config.json", "model.safetensors"):
        (tmp_path / "copy" / name).write_bytes((directory / name).read_bytes())
    (tmp_path / "copy" / "run.json").write_text("{}")
    assert "run.json: not a run record" in invoke("evaluate", tmp_path / "copy", code=2).output


def _csv(text: str) -> tuple[list[str], np.ndarray]:
    header, *rows = list(csv.reader(io.StringIO(text)))
    return header, np.array(rows, dtype=np.float64)


def test_predict_reads_npy_csv_and_text(invoke, saved, test_rows, tmp_path):
    directory, _ = saved
    model = MSAEClassifier.load(directory)
    X = test_rows[0][:7]
    np.save(tmp_path / "x.npy", X)
    header = ",".join(f"pixel{i}" for i in range(64))
    np.savetxt(tmp_path / "x.csv", X, delimiter=",", header=header, comments="")
    np.savetxt(tmp_path / "x.txt", X, fmt="%.9g")
    for name in ("x.npy", "x.csv", "x.txt"):
        header, labels = _csv(invoke("predict", directory, tmp_path / name).stdout)
        assert header == ["label"]
        np.testing.assert_array_equal(labels[:, 0], model.predict(X))
    header, proba = _csv(
        invoke("predict", directory, tmp_path / "x.npy", "--output", "proba").stdout
    )
    assert header == [f"p_{k}" for k in range(10)]
    np.testing.assert_allclose(proba, model.predict_proba(X), rtol=1e-6)
    invoke("predict", directory, tmp_path / "x.npy", "--output", "features", "--out",
           tmp_path / "h.npy")  # fmt: skip
    np.testing.assert_array_equal(np.load(tmp_path / "h.npy"), model.transformer_.transform(X))
    invoke("predict", directory, tmp_path / "x.npy", "--output", "reconstruction", "--out",
           tmp_path / "z.csv")  # fmt: skip
    header, z = _csv((tmp_path / "z.csv").read_text())
    assert header == [f"x{i}" for i in range(64)]
    expected = model.transformer_.inverse_transform(model.transformer_.transform(X))
    np.testing.assert_allclose(z, expected, rtol=1e-6)


def test_predict_rejects_bad_rows_and_options(invoke, saved, tmp_path):
    directory, _ = saved
    X = np.full((3, 64), 0.5, dtype=np.float32)
    X[2, 5] = np.nan
    np.save(tmp_path / "nan.npy", X)
    nan = invoke("predict", directory, tmp_path / "nan.npy", code=2).output
    assert "nan.npy: row 2 holds NaN or inf" in nan
    np.save(tmp_path / "narrow.npy", X[:2, :10])
    narrow = invoke("predict", directory, tmp_path / "narrow.npy", code=2).output
    assert "has 10 features a row; the model takes 64" in narrow
    (tmp_path / "words.csv").write_text("a,b\nc,d\n")
    words = invoke("predict", directory, tmp_path / "words.csv", code=2).output
    assert "words.csv: not a table of numbers" in words
    np.save(tmp_path / "wide.npy", 255 * X[:2])
    scaled = invoke("predict", directory, tmp_path / "wide.npy")
    assert "values in [127.5, 127.5]" in scaled.stderr and "scaled to [0, 1]" in scaled.stderr
    bad = invoke("predict", directory, tmp_path / "wide.npy", "--output", "logits", code=2).output
    assert "labels, proba, features, reconstruction" in bad
    MSAETransformer(4, max_iter=2, random_state=0).fit(X[:2]).save(tmp_path / "t")
    features_only = invoke("predict", tmp_path / "t", tmp_path / "wide.npy", "--output",
                           "labels", code=2).output  # fmt: skip
    assert "this model gives one of features, reconstruction" in features_only


def test_evaluate_a_model_tuned_on_validation_scores_its_validation_rows(invoke, tmp_path):
    trained = invoke(*TRAIN, "--validation", "0.2", "--model", "sae", "--save", tmp_path / "v")
    out = invoke("evaluate", tmp_path / "v").output
    assert "on 252 validation rows of digits" in out
    assert _accuracy(out, "validation") == _accuracy(trained.output, "validation")
