"""The process pool and Ray give the runs the inline backend gives, into the same store."""

import io
import re
import sqlite3
from dataclasses import replace

import pytest
import torch
from rich.console import Console
from rich.progress import Progress

from msae.experiments import (
    EXPERIMENTS,
    ResultStore,
    execute,
    experiment_config,
    plan,
    reproduce,
    run_spec,
)
from msae.experiments.backends import BACKENDS, IterationProgress, finishing, run_names
from msae.experiments.spec import RunSpec
from msae.train import Checkpointer

LAYER = {
    "datasets": ["digits"],
    "models": ["ae", "raw"],
    "base": {"n_train": 150, "n_test": 100},
    "override": {"max_iter": 3, "n_components": 8},
}


def _run(out_dir, backend: str, workers: int) -> dict:
    specs = plan("table3", experiment_config("table3", False, LAYER, {"repeats": 1}))
    with ResultStore(out_dir) as store:
        summary = execute(specs, store, backend, workers)
        assert summary.failed == 0 and summary.total == 2
        return {r.key: r.metrics for r in store.rows()}


@pytest.fixture(scope="module")
def inline(tmp_path_factory):
    assert torch.get_num_threads() == 1  # as in the workers, so that the numbers match exactly
    return _run(tmp_path_factory.mktemp("inline"), "local", 1)


def test_process_pool(tmp_path, inline):
    assert _run(tmp_path, "local", 2) == inline
    with ResultStore(tmp_path) as store:  # where each ran: a worker of 1 thread, 2 at a time
        envs = [r.env for r in store.rows()]
    assert all(e["threads"] == 1 and e["workers"] == 2 and e["cpu"] and e["host"] for e in envs)


def test_a_run_says_which_machine_ran_it():
    import platform

    spec = RunSpec("table3", "digits", "raw", {"n_train": 100, "n_test": 50}, 0)
    where = run_spec(spec)["machine"]
    assert where["host"] == platform.node() and where["threads"] == torch.get_num_threads()
    assert isinstance(where["cpu"], str) and where["cpu"] and "gpu" not in where
    failed = run_spec(replace(spec, dataset="nonexistent"))
    assert failed["status"] == "error" and failed["machine"] == where


def test_ray(tmp_path, inline):
    pytest.importorskip("ray")
    assert _run(tmp_path, "ray", 2) == inline
    with ResultStore(tmp_path) as store:
        assert {r.env["backend"] for r in store.rows()} == {"ray"}


def test_a_log_file_gets_a_line_per_finished_run(tmp_path):
    """Without a terminal there is no live progress bar, so each run says when it is done, on
    one line however narrow the console."""
    log = io.StringIO()
    specs = plan("table3", experiment_config("table3", False, LAYER, {"repeats": 1}))
    with ResultStore(tmp_path) as store:
        execute(specs, store, console=Console(file=log, force_terminal=False, width=40))
        accuracy = {r.model: r.metrics["accuracy"] for r in store.rows()}
    lines = [line for line in log.getvalue().splitlines() if line.startswith("[")]
    pattern = r"\[(\d)/2\] digits/(\w+) \(seed 0\): ok, accuracy ([\d.]+) %, trained in \d+ s"
    matches = [re.fullmatch(pattern, line) for line in lines]
    assert all(matches) and [int(m[1]) for m in matches] == [1, 2], lines
    assert {m[2]: float(m[3]) for m in matches} == {
        model: pytest.approx(100 * value, abs=0.005) for model, value in accuracy.items()
    }


def test_a_one_cell_sweep_names_its_cell_in_the_log(tmp_path):
    """``msae reproduce sensitivity --set 'lams=[100]' --set 'betas=[10]'``: nothing varies, yet
    the log line says which cell of the grid ran."""
    log = io.StringIO()
    cell = {**LAYER, "models": ["lr21-msae"], "lams": [100.0], "betas": [10.0]}
    cfg = experiment_config("sensitivity", False, cell, {"repeats": 1})
    reproduce("sensitivity", cfg, tmp_path, console=Console(file=log, force_terminal=False))
    lines = [line for line in log.getvalue().splitlines() if line.startswith("[1/1]")]
    assert lines and lines[0].startswith("[1/1] digits/lr21-msae lam=100 beta=10 (seed 0): ok")
    assert "Left:" not in log.getvalue()  # nothing stored to time it by
    # A second cell: like the first apart from β, so the log says how long it should take.
    log = io.StringIO()
    cfg = experiment_config("sensitivity", False, {**cell, "betas": [10.0, 0.1]}, {"repeats": 1})
    reproduce("sensitivity", cfg, tmp_path, console=Console(file=log, force_terminal=False))
    with ResultStore(tmp_path) as store:
        first = min(store.rows(), key=lambda r: r.finished_at)
    expected = f"Left: about {first.train_time:.0f} s of training one after another, by the"
    assert f"{expected} stored runs like them" in log.getvalue()


def test_rerun_runs_again_what_other_code_made_and_resumes(tmp_path):
    """``--rerun`` after a change to the code: the runs stored by another commit run again and
    replace their rows; those this code made are kept, so a stopped rerun resumes."""
    cfg = experiment_config("table3", False, LAYER, {"repeats": 1})
    assert reproduce("table3", cfg, tmp_path).skipped == 0
    assert reproduce("table3", cfg, tmp_path, rerun=True).skipped == 2  # made by this code
    with ResultStore(tmp_path) as store:
        before = {r.model: r for r in store.rows()}
        key = before["ae"].key
    with sqlite3.connect(tmp_path / "results.sqlite") as db:  # as if an older commit made it
        db.execute("UPDATE runs SET git_commit = 'older' WHERE key = ?", (key,))
    assert reproduce("table3", cfg, tmp_path).skipped == 2  # without --rerun: kept
    summary = reproduce("table3", cfg, tmp_path, rerun=True)
    assert (summary.total, summary.skipped, summary.failed) == (2, 1, 0)
    with ResultStore(tmp_path) as store:
        after = {r.model: r for r in store.rows()}
    assert after["ae"].git_commit == before["ae"].git_commit  # replaced, by this code
    assert after["ae"].finished_at > before["ae"].finished_at
    assert after["raw"].finished_at == before["raw"].finished_at  # not run again
    assert after["ae"].metrics == before["ae"].metrics  # seeded: the same numbers


def test_a_terminal_gets_live_bars_not_log_lines(tmp_path):
    screen = io.StringIO()
    specs = plan("table3", experiment_config("table3", False, LAYER, {"repeats": 1}))
    with ResultStore(tmp_path) as store:
        execute(specs, store, console=Console(file=screen, force_terminal=True, width=200))
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen.getvalue())  # without the colours
    assert re.search(r"runs +━+ 2/2", text) or re.search(r"digits raw +━+ 2/2", text), text
    # The run's own bar, drawn when it is added; how far it got depends on when the live
    # display last refreshed (test_a_runs_bar_follows_its_iterations checks that part).
    assert re.search(r"digits/ae \(seed 0\) +━+ [0-3]/3", text), text
    assert "iteration" not in text and "ok, accuracy" not in text  # the log file's lines


def test_a_runs_bar_follows_its_iterations():
    specs = plan("table3", experiment_config("table3", False, LAYER, {"repeats": 1}))
    ae = next(spec for spec in specs if spec.model == "ae")
    progress = Progress(console=Console(file=io.StringIO(), force_terminal=True))
    watch = IterationProgress(progress, {ae.key: ae}, run_names([ae]), terminal=True)
    for iteration in (1, 2, 3):
        watch(ae.key, iteration)
        (task,) = progress.tasks
        assert (task.completed, task.total) == (iteration, 3)
        assert task.description == "  digits/ae (seed 0)"
    watch.finished(ae)
    assert progress.tasks == []  # a finished run's bar goes away


@pytest.mark.parametrize(("backend", "workers"), [("local", 1), ("local", 2), ("ray", 2)])
def test_a_log_file_gets_each_runs_iterations(tmp_path, backend, workers):
    """A run of an hour must show that it is moving: a line at every tenth of its iterations,
    from a pool's workers and Ray's tasks too, each before the line that says the run is done."""
    if backend == "ray":
        pytest.importorskip("ray")
    log = io.StringIO()
    specs = plan("table3", experiment_config("table3", False, LAYER, {"repeats": 1}))
    with ResultStore(tmp_path) as store:
        console = Console(file=log, force_terminal=False, width=40)  # no line is wrapped
        execute(specs, store, backend, workers, console=console)
    lines = [line.strip() for line in log.getvalue().splitlines()]
    ae = [line for line in lines if line.startswith("digits/ae")]
    assert ae[0] == "digits/ae (seed 0): iteration 1/3"  # 3 iterations, a line each
    pace = r"digits/ae \(seed 0\): iteration {}/3, [\d.e-]+ s/iteration, \d+ min left"
    assert len(ae) == 3, ae
    assert all(re.fullmatch(pace.format(i), ae[i - 1]) for i in (2, 3)), ae
    done = next(i for i, line in enumerate(lines) if "] digits/ae" in line)
    assert lines.index(ae[-1]) < done
    assert not any(line.startswith("digits/raw") for line in lines)  # no iterations to show


def test_a_failed_run_says_why_on_one_line(tmp_path, monkeypatch):
    """The last line of its traceback, as it is: brackets are not taken for markup."""
    message = "[/] the loss is nan at iteration 3 (a message longer than the console is wide)"

    def fail(spec):
        raise FloatingPointError(message)

    monkeypatch.setitem(EXPERIMENTS, "table3", replace(EXPERIMENTS["table3"], run_one=fail))
    log = io.StringIO()
    specs = plan("table3", experiment_config("table3", False, LAYER, {"repeats": 1}))
    with ResultStore(tmp_path) as store:
        console = Console(file=log, force_terminal=False, width=40)
        summary = execute(specs, store, console=console)
        assert len(store.rows(status="error")) == summary.failed == 2
    lines = log.getvalue().splitlines()
    assert f"failed digits/ae (seed 0): FloatingPointError: {message}" in lines, lines


def test_a_sweep_finishes_its_part_way_runs_first(tmp_path, monkeypatch):
    """A run with a training checkpoint goes before the runs not begun, whatever the grid's
    order: its work is not left for the sweep's end, or for another session."""
    grid = {**LAYER, "models": ["lr21-msae"], "lams": [1e-5, 0.1, 10.0], "betas": [0.1]}
    cfg = experiment_config("sensitivity", False, grid, {"repeats": 1})
    specs = [s.with_params(checkpoint_dir=str(tmp_path / "c")) for s in plan("sensitivity", cfg)]
    Checkpointer(tmp_path / "c" / f"{specs[1].key}.ckpt", 1, "a fit").save({"iteration": 1})
    order = []

    def backend(pending, *args):
        order.extend(spec.key for spec in pending)
        yield from ()

    monkeypatch.setitem(BACKENDS, "local", backend)
    with ResultStore(tmp_path) as store:
        execute(specs, store)
    assert order == [specs[1].key, specs[0].key, specs[2].key]


def test_run_names_tell_apart_the_cells_of_a_grid():
    """A sweep's log names each run by what differs between the runs of its dataset and model:
    the grid's parameters in a sensitivity sweep, nothing beyond the seed in Table 3."""
    grid = {**LAYER, "models": ["lr21-msae"], "lams": [1e-5, 0.1], "betas": [0.1]}
    specs = plan("sensitivity", experiment_config("sensitivity", False, grid, {"repeats": 2}))
    names = run_names(specs)
    assert len(specs) == 4 and set(names.values()) == {
        f"digits/lr21-msae lam={lam} (seed {seed})" for lam in ("1e-05", "0.1") for seed in (0, 1)
    }
    table3 = plan("table3", experiment_config("table3", False, LAYER, {"repeats": 2}))
    assert sorted(run_names(table3).values()) == [
        f"digits/{model} (seed {seed})" for model in ("ae", "raw") for seed in (0, 1)
    ]
    # a sweep cut down to one beta (or one cell) still names the grid's axes
    axes = EXPERIMENTS["sensitivity"].axes
    assert set(run_names(specs, axes).values()) == {
        f"digits/lr21-msae lam={lam} beta=0.1 (seed {seed})"
        for lam in ("1e-05", "0.1")
        for seed in (0, 1)
    }
    one = {**grid, "lams": [100.0]}
    cell = plan("sensitivity", experiment_config("sensitivity", False, one, {"repeats": 1}))
    assert list(run_names(cell, axes).values()) == ["digits/lr21-msae lam=100 beta=0.1 (seed 0)"]


def test_the_last_iteration_says_what_training_still_does():
    """After its last L-BFGS iteration an L2,1 model polishes for minutes at MNIST's size, and
    fine-tuning follows: the line of that iteration says so, so that a full bar is not a hang."""

    def spec(model: str, **params) -> RunSpec:
        return RunSpec("table3", "mnist", model, {"lam": 1e-5, "solver": "lbfgs", **params}, 0)

    polish = "the L2,1 polish (30 proximal-gradient steps)"
    assert finishing(spec("lr21-msae")) == finishing(spec("lr21-sae")) == polish
    assert (
        finishing(spec("lr21-msae", fine_tune_iter=50))
        == f"{polish} and 50 iterations of fine-tuning"
    )
    for plain in [
        spec("ae"),
        spec("raw"),
        spec("lr21-msae", lam=0.0),
        spec("lr21-msae", solver="adam"),
    ]:
        assert finishing(plain) == ""
    log = io.StringIO()
    run = spec("lr21-msae", max_iter=3)
    progress = Progress(console=Console(file=log, force_terminal=False, width=40))
    watch = IterationProgress(progress, {run.key: run}, run_names([run]), terminal=False)
    for iteration in (1, 2, 3):
        watch(run.key, iteration)
    lines = log.getvalue().splitlines()
    assert lines[-1].endswith(f"min left; then {polish}") and "then" not in lines[-2], lines
