"""A sweep killed with SIGKILL resumes where it stopped and ends as if never interrupted."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from msae.experiments import ResultStore

ARGS = ["reproduce", "table3", "--models", "ae,lr21-msae,raw", "--repeats", "4", "--threads", "1"]


def _metrics(out_dir) -> dict:
    with ResultStore(out_dir) as store:
        return {r.key: r.metrics for r in store.rows()}


def _results(out_dir) -> dict:
    """The metrics without the note of where a run resumed (a killed sweep's runs may)."""
    return {
        key: {k: v for k, v in m.items() if k != "resumed_at_iteration"}
        for key, m in _metrics(out_dir).items()
    }


def test_killed_sweep_resumes_to_the_same_table(tmp_path, invoke, tiny_config, wait_until):
    killed = tmp_path / "killed"
    command = [
        sys.executable,
        "-m",
        "msae.experiments",
        *ARGS,
        "--config",
        tiny_config,
        "--out",
        str(killed),
    ]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stored = lambda: (killed / "results.sqlite").exists() and bool(_metrics(killed))  # noqa: E731
    wait_until(stored, 60, while_=lambda: proc.poll() is None)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = _metrics(killed)
    assert 1 <= len(before) < 12, proc.stderr.read().decode()

    invoke(*ARGS, "--config", tiny_config, "--out", killed)
    invoke(*ARGS, "--config", tiny_config, "--out", tmp_path / "whole")
    after = _results(killed)
    assert len(after) == 12
    assert after == _results(tmp_path / "whole")
    assert {k: after[k] for k in before} == before


def test_a_run_killed_mid_training_resumes_from_its_checkpoint(
    tmp_path, invoke, tiny_config, wait_until
):
    """SIGKILL once the run has saved a training checkpoint: the rerun carries that run on from
    there (and says so), and its accuracy is that of a run never stopped."""
    args = [
        *["reproduce", "table3", "--models", "lr21-msae", "--repeats", "1", "--threads", "1"],
        *["--config", tiny_config, "--iterations", "400", "--hidden", "16"],
    ]
    killed = tmp_path / "killed"
    command = [sys.executable, "-m", "msae.experiments", *args, "--out", str(killed)]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    saved = lambda: bool(list((killed / "checkpoints").glob("*.ckpt")))  # noqa: E731
    wait_until(saved, 120, while_=lambda: proc.poll() is None)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert list((killed / "checkpoints").glob("*.ckpt")), proc.stderr.read().decode()
    assert _metrics(killed) == {}  # the run had not finished

    out = invoke(*args, "--out", killed).output
    assert "resumed from its checkpoint at iteration" in out
    invoke(*args, "--out", tmp_path / "whole")
    (resumed,) = _metrics(killed).values()
    (whole,) = _metrics(tmp_path / "whole").values()
    assert resumed.pop("resumed_at_iteration") % 10 == 0
    assert resumed == whole
    assert not (killed / "checkpoints").exists()


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's new parent may be slow to reap it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL])
def test_a_stopped_sweep_stops_its_workers(tmp_path, tiny_config, how, start_cli, wait_until):
    """Ctrl-C or a kill of the driver alone (a worker gets no signal) ends the pool's runs
    too: Ctrl-C does not wait for the queued runs, and no worker trains on, orphaned, for a
    result nobody will store, beside the rerun that resumes it."""
    args = [
        *["reproduce", "table3", "--models", "ae", "--repeats", "4", "--workers", "2"],
        *["--threads", "1", "--iterations", "1000000", "--hidden", "16"],
        *["--config", tiny_config, "--out", str(tmp_path)],
    ]
    proc = start_cli(*args)
    workers: list[int] = []
    try:
        training = lambda: len(list((tmp_path / "checkpoints").glob("*.ckpt"))) == 2  # noqa: E731
        wait_until(training, 120, while_=lambda: proc.poll() is None)  # both runs are training
        workers = _children(proc.pid)
        os.kill(proc.pid, how)
        output = proc.communicate(timeout=60)[0].decode()
        assert len(workers) >= 2, output  # the two workers, and multiprocessing's resource tracker
        assert wait_until(lambda: not any(map(_running, workers)), 30), output
    finally:  # should this fail, leave no million-iteration run behind
        for pid in [proc.pid, *_children(proc.pid), *workers]:
            if _running(pid):
                os.kill(pid, signal.SIGKILL)
    assert _metrics(tmp_path) == {}  # no run had finished
    if how == signal.SIGINT:
        assert proc.returncode == 130
        assert "the same command resumes" in output, output
