"""`msae train`: one model on one dataset, scored as Table 3 scores it, saved, resumable."""

import os
import re
import signal

from msae import MSAEClassifier
from msae.experiments import ResultStore, experiment_config, plan
from msae.experiments.data import load_split
from msae.experiments.spec import RunSpec

ARGS = ("train", "digits", "--iterations", "8", "--hidden", "16", "--threads", "1")


def _accuracy(output: str, scored: str = "test") -> float:
    return float(re.search(rf"^{scored} accuracy ([\d.]+) %$", output, re.M).group(1))


def test_trains_scores_and_saves_the_model(invoke, tmp_path):
    out = invoke(*ARGS, "--save", tmp_path / "model").output
    assert "digits/lr21-msae (seed 0): 1257 training rows, 540 test rows;" in out
    assert "max_iter=8, n_components=16" in out and "trained in" in out
    assert re.search(r"hidden units switched off: \d+ of 16; inputs: \d+ of 64;", out), out
    # The saved classifier is the one scored, on the split Table 3 uses for this seed.
    cfg = experiment_config("table3", False, {"datasets": ["digits"], "models": ["lr21-msae"]})
    split = load_split(plan("table3", cfg)[0])
    model = MSAEClassifier.load(tmp_path / "model")
    assert model.transformer_.n_components == 16
    assert round(100 * model.score(split.X_test, split.y_test), 2) == _accuracy(out)


def test_validation_scores_without_the_test_set(invoke):
    out = invoke(*ARGS, "--validation", "0.2", "--model", "sae").output
    assert "1005 training rows, 252 validation rows" in out
    assert 50 < _accuracy(out, "validation") <= 100


def test_bad_arguments_are_usage_errors(invoke, tmp_path):
    assert "unknown dataset 'mnistt'" in invoke("train", "mnistt", code=2).output
    absent = invoke("train", "usps", "--data-dir", tmp_path, code=2).output
    assert "its files are not in" in absent
    assert "'lam' parameter" in invoke(*ARGS, "--lam", "-1", code=2).output
    assert "unknown model 'aee'" in invoke(*ARGS, "--model", "aee", code=2).output
    raw = invoke(*ARGS, "--model", "raw", "--save", tmp_path / "m", code=2).output
    assert "not a model that can be saved" in raw and not (tmp_path / "m").exists()
    (tmp_path / "file").write_text("")  # --save is checked before training, not after
    blocked = invoke(*ARGS, "--save", tmp_path / "file" / "model", code=2).output
    assert f"cannot write to {tmp_path / 'file' / 'model'}" in blocked and "accuracy" not in blocked
    tf32 = invoke(*ARGS, "--matmul-precision", "tf32", code=2).output  # a CUDA setting
    assert "matmul_precision 'tf32' is not offered on cpu" in tf32


def test_matmul_precision_is_a_setting_of_the_run(invoke):
    """It changes what a run computes, so it is part of the run's key (when given: the runs
    stored before it existed keep theirs), and the command line hands it to training."""
    out = invoke(*ARGS, "--matmul-precision", "bf16").output
    assert "matmul_precision=bf16" in out and "test accuracy" in out
    plain = RunSpec("table3", "usps", "ae", {"lam": 1e-5}, 0)
    assert plain.key != plain.with_params(matmul_precision="bf16").key
    assert plain.key == plain.with_params(device="cuda").key  # unlike where it runs


def test_adam_settings_reach_the_estimator(invoke, tmp_path):
    args = ("--solver", "adam", "--batch-size", "64", "--learning-rate", "3e-3")
    out = invoke(*ARGS, *args, "--save", tmp_path / "model").output
    assert all(f"{setting}," in out for setting in ("batch_size=64", "learning_rate=0.003"))
    assert "solver=adam" in out
    model = MSAEClassifier.load(tmp_path / "model")
    assert (model.solver, model.batch_size, model.learning_rate) == ("adam", 64, 3e-3)
    assert model.transformer_.n_iter_ == 8  # epochs
    assert "'learning_rate' parameter" in invoke(*ARGS, "--learning-rate", "0", code=2).output
    spec = RunSpec("table3", "usps", "ae", {"lam": 1e-5, "solver": "adam"}, 0)
    assert spec.key != spec.with_params(learning_rate=1e-2).key  # a setting of the run


def test_stopped_training_resumes_from_its_checkpoint(invoke, tmp_path, start_cli, wait_until):
    """Ctrl-C once a checkpoint is saved: the command says how to resume, and the same command
    carries the run on from there to the accuracy of a run never stopped."""
    args = [*ARGS[:2], "--iterations", "300", "--hidden", "16", "--threads", "1"]
    args += ["--checkpoint-dir", str(tmp_path / "ckpt")]
    proc = start_cli(*args)
    saved = lambda: bool(list((tmp_path / "ckpt").glob("*.ckpt")))  # noqa: E731
    wait_until(saved, 120, while_=lambda: proc.poll() is None)
    os.kill(proc.pid, signal.SIGINT)
    stopped = proc.communicate(timeout=60)[0].decode()
    assert proc.returncode == 130, stopped
    assert f"Stopped: the same command resumes from {tmp_path / 'ckpt'}." in stopped
    resumed = invoke(*args).output
    assert re.search(r"resumed from its checkpoint at iteration \d+", resumed), resumed
    assert not list((tmp_path / "ckpt").glob("*.ckpt"))  # deleted once the run ended
    whole = invoke(*ARGS[:2], "--iterations", "300", "--hidden", "16", "--threads", "1").output
    assert _accuracy(resumed) == _accuracy(whole)


def test_it_is_the_run_that_table3_stores(invoke, tmp_path):
    """Same defaults, split, seed and fit: the accuracy Table 3 stores for that run."""
    flags = ("--iterations", "8", "--hidden", "16", "--threads", "1")
    out = invoke("train", "digits", "--model", "sae", "--seed", "1", *flags).output
    invoke("reproduce", "table3", "--datasets", "digits", "--models", "sae", "--repeats", "2",
           *flags, "--out", tmp_path)  # fmt: skip
    with ResultStore(tmp_path) as store:
        (row,) = [r for r in store.rows() if r.seed == 1]
    assert round(100 * row.metrics["accuracy"], 2) == _accuracy(out)
