import multiprocessing
import os
import re
import sqlite3

import pytest

from msae.experiments.spec import RunSpec
from msae.experiments.store import ResultStore, StoreError, stored_rows

ENV = {"version": "0.1.0", "git_commit": "abc", "host": "h"}


def _spec(i: int, experiment: str = "table3") -> RunSpec:
    return RunSpec(experiment, "usps", "ae", {"i": i}, 0)


def test_rows_round_trip_with_times_and_source_in_columns(tmp_path):
    with ResultStore(tmp_path) as store:
        ok = {"status": "ok", "metrics": {"accuracy": 0.9, "train_time": 2.0, "test_time": 0.1}}
        store.write(_spec(0), ok, ENV)
        store.write(_spec(1), {"status": "error", "metrics": {}, "error": "boom"}, ENV)
        (row,) = store.rows()
        assert store.finished() == {_spec(0).key}
        assert store.rows(status="error")[0].error == "boom"
    assert row.metrics == {"accuracy": 0.9}
    assert (row.train_time, row.test_time, row.version, row.git_commit) == (
        2.0,
        0.1,
        "0.1.0",
        "abc",
    )
    assert row.params == {"i": 0} and row.env == {"host": "h"}
    journal = sqlite3.connect(tmp_path / "results.sqlite").execute("PRAGMA journal_mode").fetchone()
    assert journal == ("wal",)


def test_a_failed_run_is_retried_and_replaced(tmp_path):
    with ResultStore(tmp_path) as store:
        store.write(_spec(0), {"status": "error", "error": "boom"}, ENV)
        assert store.finished() == set()
        store.write(_spec(0), {"status": "ok", "metrics": {"accuracy": 1.0}}, ENV)
        assert len(store.rows(status=None)) == 1


def test_finished_runs_can_be_told_apart_by_the_code_that_made_them(tmp_path):
    ok = {"status": "ok", "metrics": {"accuracy": 1.0}}
    with ResultStore(tmp_path) as store:
        store.write(_spec(0), ok, ENV)
        store.write(_spec(1), ok, {**ENV, "git_commit": "def"})
        store.write(_spec(2), ok, {**ENV, "version": "0.2.0"})
        assert store.finished() == {_spec(i).key for i in range(3)}
        assert store.finished(made_by=("abc", "0.1.0")) == {_spec(0).key}
        assert store.finished([_spec(1).key], made_by=("def", "0.1.0")) == {_spec(1).key}
        assert store.finished(made_by=(None, "0.1.0")) == set()


def _writer(out_dir, start: int, count: int) -> None:
    with ResultStore(out_dir) as store:
        for i in range(start, start + count):
            store.write(_spec(i), {"status": "ok", "metrics": {"accuracy": i / 100}}, ENV)


def test_two_processes_writing_at_once_lose_nothing(tmp_path):
    ResultStore(tmp_path).close()
    context = multiprocessing.get_context("fork")
    procs = [context.Process(target=_writer, args=(tmp_path, k * 100, 60)) for k in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    with ResultStore(tmp_path) as store:
        assert len(store.rows()) == 120


def _stored(tmp_path, n: int = 40):
    """A store of ``n`` runs, checkpointed into its main file; the file's path."""
    with ResultStore(tmp_path) as store:
        for i in range(n):
            store.write(_spec(i), {"status": "ok", "metrics": {"accuracy": 0.5, "i": i}}, ENV)
    sqlite3.connect(tmp_path / "results.sqlite").execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return tmp_path / "results.sqlite"


def test_a_file_that_is_not_a_store_is_named_and_left_as_it_was(tmp_path):
    path = tmp_path / "results.sqlite"
    junk = os.urandom(5000)
    path.write_bytes(junk)
    named = re.escape(f"{path} is not a usable results store (file is not a database)")
    with pytest.raises(StoreError, match=named):
        ResultStore(tmp_path)
    assert path.read_bytes() == junk


def test_a_truncated_store_is_named_when_read(tmp_path):
    path = _stored(tmp_path)
    with open(path, "r+b") as f:
        f.truncate(path.stat().st_size // 2)
    before = path.read_bytes()
    malformed = re.escape("is not a usable results store (database disk image is malformed)")
    with pytest.raises(StoreError, match=malformed):
        stored_rows(tmp_path)
    assert path.read_bytes() == before


def test_another_programs_runs_table_is_not_taken_for_a_store(tmp_path):
    path = tmp_path / "results.sqlite"
    with sqlite3.connect(path) as other:
        other.execute("CREATE TABLE runs (id INTEGER, name TEXT)")
        other.execute("INSERT INTO runs VALUES (1, 'theirs')")
    with pytest.raises(StoreError, match=r"'runs' table with the columns id, name, not those"):
        ResultStore(tmp_path)
    assert sqlite3.connect(path).execute("SELECT * FROM runs").fetchall() == [(1, "theirs")]
