"""`msae export`: every stored number, as CSV or JSON Lines, the same as in the store."""

import csv
import io
import json

import pytest

from msae.experiments import ResultStore, RunSpec


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory, invoke, tiny_config):
    out = tmp_path_factory.mktemp("export")
    for name in ("sensitivity", "per-class"):  # a grid; metrics with a confusion matrix
        invoke("reproduce", name, "--quick", "--config", tiny_config, "--models", "lr21-msae",
               "--out", out)  # fmt: skip
    failed = RunSpec("table3", "digits", "ae", {"lam": 1e-5}, 0)
    with ResultStore(out) as store:  # a failed run, as a crashed one is stored
        store.write(failed, {"status": "error", "error": "Traceback\nValueError: x"}, {})
    return out


def test_csv_has_a_column_per_parameter_and_metric(store_dir, invoke):
    text = invoke("export", "--out", store_dir).output
    records = list(csv.DictReader(io.StringIO(text)))
    with ResultStore(store_dir) as store:
        rows = {row.key: row for row in store.rows()}
    assert sorted(r["key"] for r in records) == sorted(rows) and len(rows) == 5
    for record in records:
        row = rows[record["key"]]
        assert record["experiment"] == row.experiment and record["status"] == "ok"
        assert float(record["metrics.accuracy"]) == row.metrics["accuracy"]
        assert float(record["params.lam"]) == row.params["lam"]
        assert float(record["train_time"]) == row.train_time
        if row.experiment == "per-class":  # a matrix is a cell of JSON
            assert json.loads(record["metrics.confusion"]) == row.metrics["confusion"]
        else:  # a column that another experiment's runs have is empty here
            assert record["metrics.confusion"] == ""
    header = text.splitlines()[0].split(",")
    assert header[:5] == ["key", "experiment", "dataset", "model", "seed"]
    groups = [column.split(".")[0] for column in header if "." in column]
    assert groups == sorted(groups, key=["params", "metrics", "env"].index)


def test_jsonl_is_the_store_as_it_is(store_dir, invoke):
    out = invoke("export", "--out", store_dir, "--format", "jsonl", "--experiments", "sensitivity")
    records = [json.loads(line) for line in out.output.splitlines()]
    with ResultStore(store_dir) as store:
        rows = store.rows("sensitivity")
    assert len(records) == len(rows) == 4
    for record, row in zip(records, rows, strict=True):  # oldest first, as the store
        assert (record["key"], record["params"], record["metrics"], record["env"]) == (
            row.key, row.params, row.metrics, row.env)  # fmt: skip
        assert record["finished_at"].endswith("+00:00")


def test_failed_runs_on_request(store_dir, invoke, tmp_path):
    path = tmp_path / "failed.csv"
    out = invoke("export", "--out", store_dir, "--status", "error", "--file", path)
    assert f"Wrote 1 run to {path}" in out.output
    (record,) = csv.DictReader(path.open())
    assert (record["status"], record["model"], record["error"]) == (
        "error", "ae", "Traceback\nValueError: x")  # fmt: skip
    text = invoke("export", "--out", store_dir, "--status", "any").output
    assert len(list(csv.DictReader(io.StringIO(text)))) == 6


def test_bad_arguments(invoke, store_dir, tmp_path):
    assert "no results.sqlite" in invoke("export", "--out", tmp_path, code=2).output
    assert not (tmp_path / "results.sqlite").exists()  # nothing created where there was none
    bad = invoke("export", "--out", store_dir, "--experiments", "tabel3", code=2).output
    assert "unknown experiment tabel3" in bad
