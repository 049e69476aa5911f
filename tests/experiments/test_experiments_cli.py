from dataclasses import fields, replace

import pytest
import torch

from msae.experiments import EXPERIMENTS, ResultStore, Row, RunSpec, experiment_config, plan
from msae.experiments.eta import part_done, time_left
from msae.train import Checkpointer


def test_help_lists_the_experiments(invoke):
    text = invoke("reproduce", "--help").output
    for name in [*EXPERIMENTS, "all"]:
        assert name in text
    assert "--ray-address" in text and "--quick" in text


def test_bad_arguments_are_usage_errors(invoke, tmp_path):
    invoke("reproduce", "table4", code=2)
    assert (
        "unknown dataset"
        in invoke("reproduce", "table3", "--datasets", "nonsense", "--dry-run", code=2).output
    )
    assert "msae reproduce" in invoke("report", "--out", tmp_path, code=2).output
    assert "unknown experiment" in invoke("report", "--experiments", "tabel3", code=2).output
    typo = ("reproduce", "table3", "--dry-run", "--set", "hyper.usps.max_iterz=180")
    assert "max_iterz" in invoke(*typo, code=2).output
    model = ("reproduce", "table3", "--dry-run", "--models", "ae,aee")
    assert "unknown model 'aee'" in invoke(*model, code=2).output
    (tmp_path / "bad.json").write_text('{"repeats": ')
    bad = invoke("reproduce", "table3", "--dry-run", "--config", tmp_path / "bad.json", code=2)
    assert "bad.json" in bad.output and "not valid JSON" in bad.output


def test_a_damaged_store_is_a_usage_error_of_out_for_every_command(invoke, tmp_path):
    """Named, with what to do, and not a traceback; the file is left as it was."""
    store = tmp_path / "results.sqlite"
    store.write_bytes(b"not a database, but 100 bytes long " * 3)
    commands = [
        ("reproduce", "table3", "--datasets", "digits", "--models", "ae", "--dry-run"),
        ("reproduce", "table3", "--datasets", "digits", "--models", "ae", "--quick"),
        ("report",),
        ("export",),
    ]
    for command in commands:
        output = invoke(*command, "--out", tmp_path, code=2).output
        assert "--out" in output and "is not a usable results store" in output, command
        assert "move it aside" in output, command
    assert store.read_bytes() == b"not a database, but 100 bytes long " * 3


def test_a_config_without_runs_is_an_error_not_an_empty_sweep(invoke):
    """Zero seeds, a negative seed or an empty list would otherwise 'finish' 0 runs, exit 0."""
    args = ("reproduce", "tune", "--datasets", "digits", "--models", "ae", "--dry-run")
    assert "'repeats' must be at least 1, got 0" in invoke(*args, "--repeats", "0", code=2).output
    assert "'seed' must be at least 0, got -1" in invoke(*args, "--set", "seed=-1", code=2).output
    for setting, named in [
        ("datasets=[]", "empty datasets"),
        ("models=[]", "empty models"),
        ('grid={"classifier_alpha":[]}', "empty grid.classifier_alpha"),
    ]:
        assert f"tune has no runs to do: {named}" in invoke(*args, "--set", setting, code=2).output
    assert "9 runs, 0 already" in invoke(*args).output  # the same, with the lists as they were


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA device")
def test_a_device_that_is_not_here_stops_a_local_sweep_before_it_starts(invoke, tmp_path):
    args = ("--datasets", "digits", "--models", "ae", "--device", "cuda")
    out = invoke("reproduce", "table3", *args, "--out", tmp_path / "r", code=2).output
    assert "device 'cuda' is not available" in out and not (tmp_path / "r").exists()
    ray = invoke("reproduce", "table3", *args, "--backend", "ray", "--out", tmp_path, code=2)
    assert "device 'cuda' is not available" in ray.output  # a local Ray runs here too
    assert "device 'cuda' is not available" in invoke("train", "digits", "--device", "cuda",
                                                       code=2).output  # fmt: skip


def test_dry_run_counts_runs_and_writes_nothing(invoke, tmp_path):
    (tmp_path / "c.toml").write_text('repeats = 3\ndatasets = ["digits"]\nmodels = ["ae"]\n')
    out = invoke(
        "reproduce",
        "hidden",
        "--config",
        tmp_path / "c.toml",
        "--set",
        "repeats=2",
        "--set",
        "hyper.digits.max_iter=7",
        "--dry-run",
        "--out",
        tmp_path / "r",
    )
    assert "20 runs, 0 already" in out.output  # 10 hidden sizes x 2 seeds
    # What the runs will use, so that a --set can be seen to take effect.
    assert "digits (ae): " in out.output and "max_iter=7," in out.output
    assert "n_components=[" in out.output and "(10 values)]" in out.output
    assert not (tmp_path / "r").exists()


def test_fine_tune_flag_reaches_every_run(invoke, tmp_path):
    args = ("reproduce", "table3", "--datasets", "digits", "--models", "ae", "--dry-run")
    assert "fine_tune_iter" not in invoke(*args).output
    assert "fine_tune_iter=30" in invoke(*args, "--fine-tune-iter", "30").output
    assert "fine_tune_iter" in invoke("reproduce", "iterations", *args[2:],
                                      "--fine-tune-iter", "30", code=2).output  # fmt: skip


def test_dry_run_counts_the_runs_part_way(invoke, tmp_path):
    """A run with a training checkpoint under OUT/checkpoints is counted as part-way."""
    args = ["reproduce", "hidden", "--datasets", "digits", "--models", "ae", "--repeats", "1"]
    cfg = experiment_config("hidden", False, {"datasets": ["digits"], "models": ["ae"]})
    spec = plan("hidden", {**cfg, "repeats": 1})[0]
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / f"{spec.key}.ckpt").write_bytes(b"")
    out = invoke(*args, "--dry-run", "--out", tmp_path).output
    assert "10 runs, 0 already" in out and "1 part-way (a training checkpoint" in out


def test_dry_run_says_how_long_the_runs_left_take(invoke, tmp_path):
    """By the median train time of stored runs like them: 8 hidden sizes left of 10, the two
    stored took 100 s and 300 s, so about 8 x 200 s = 27 min."""
    args = ["reproduce", "hidden", "--datasets", "digits", "--models", "ae", "--repeats", "1"]
    assert "Left:" not in invoke(*args, "--dry-run", "--out", tmp_path).output  # none stored
    cfg = experiment_config("hidden", False, {"datasets": ["digits"], "models": ["ae"]})
    specs = plan("hidden", {**cfg, "repeats": 1})
    with ResultStore(tmp_path) as store:
        for spec, seconds in zip(specs, (100.0, 300.0), strict=False):
            outcome = {"status": "ok", "metrics": {"accuracy": 0.9, "train_time": seconds}}
            store.write(spec, outcome, {})
    out = invoke(*args, "--dry-run", "--out", tmp_path).output
    assert "10 runs, 2 already" in out
    # Those two were "made" by no commit or version, so --rerun would run them again too.
    rerun = invoke(*args, "--dry-run", "--rerun", "--out", tmp_path).output
    assert "10 runs, 0 already in" in rerun and "made by this code (--rerun)" in rerun
    assert "Left: about 27 min of training one after another, by the stored runs like them" in out
    # a run part-way counts for what is left of it: 3/4 of its iterations done, 1600 - 150 s
    left = specs[2]
    done = {"iteration": left.params["max_iter"] * 3 // 4}
    Checkpointer(tmp_path / "checkpoints" / f"{left.key}.ckpt", 1, "a fit").save(done)
    out = invoke(*args, "--dry-run", "--out", tmp_path).output
    assert "1 part-way" in out and "Left: about 24 min of training" in out
    # a run unlike any stored one (another max_iter) has no estimate, and says so
    out = invoke(*args, "--set", "hyper.digits.max_iter=7", "--dry-run", "--out", tmp_path).output
    assert "Left:" not in out


def test_time_left_matches_runs_apart_from_the_axes_and_seed():
    cfg = experiment_config("sensitivity", False, {"datasets": ["digits"], "lams": [1e-5, 0.1]})
    grid = plan("sensitivity", {**cfg, "betas": [0.1], "repeats": 2})  # 2 lams x 2 seeds
    stored = Row(**{f.name: None for f in fields(Row)})  # a Table 3 run of another seed
    stored = replace(stored, dataset="digits", model="lr21-msae", params=grid[0].params)
    stored = replace(stored, experiment="table3", seed=5, train_time=40.0)
    other = {**grid[0].params, "max_iter": 3}
    unlike = RunSpec("sensitivity", "digits", "lr21-msae", other, 0)
    assert time_left([*grid, unlike], [stored], EXPERIMENTS["sensitivity"].axes) == (160.0, 1)
    assert time_left(grid, [stored]) == (80.0, 2)  # no axes: only the same lam matches
    half = {grid[0].key: 0.5, "a run not pending": 1.0}
    assert time_left(grid, [stored], EXPERIMENTS["sensitivity"].axes, half) == (140.0, 0)


def test_part_done_reads_the_iteration_of_each_runs_checkpoint(tmp_path):
    """As a sweep starts, its runs carry their ``checkpoint_dir``; a damaged checkpoint counts
    as no progress (the run starts again) and a run without one is left out."""
    cfg = experiment_config("sensitivity", False, {"datasets": ["digits"], "lams": [1e-5, 0.1]})
    runs = [s.with_params(checkpoint_dir=str(tmp_path)) for s in plan("sensitivity", cfg)[:3]]
    Checkpointer(tmp_path / f"{runs[0].key}.ckpt", 1, "a fit").save({"iteration": 3})
    (tmp_path / f"{runs[1].key}.ckpt").write_bytes(b"not a checkpoint")
    assert part_done(runs) == {runs[0].key: 3 / runs[0].params["max_iter"], runs[1].key: 0.0}


def test_real_datasets_run_and_absent_ones_are_skipped(invoke, tiny_config, tmp_path):
    out = invoke(
        "reproduce", "table3", "--config", tiny_config, "--datasets", "usps,ecoli,cifar10",
        "--models", "ae,raw", "--data-dir", "/work/shared/data", "--out", tmp_path,
    )  # fmt: skip
    assert "CIFAR-10 skipped" in out.output
    with ResultStore(tmp_path) as store:
        rows = store.rows()
    assert sorted((r.dataset, r.model) for r in rows) == [
        ("ecoli", "ae"), ("ecoli", "raw"), ("usps", "ae"), ("usps", "raw")
    ]  # fmt: skip
    assert all(r.params["data_dir"] == "/work/shared/data" for r in rows)
