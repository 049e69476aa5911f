"""A sweep killed with SIGKILL resumes where it stopped and ends as if never interrupted."""

import os
import signal
import subprocess
import sys
import time

from msae.experiments import ResultStore

ARGS = ["reproduce", "table3", "--models", "ae,lr21-msae,raw", "--repeats", "4", "--threads", "1"]


def _metrics(out_dir) -> dict:
    with ResultStore(out_dir) as store:
        return {r.key: r.metrics for r in store.rows()}


def test_killed_sweep_resumes_to_the_same_table(tmp_path, invoke, tiny_config):
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
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if (killed / "results.sqlite").exists() and _metrics(killed):
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = _metrics(killed)
    assert 1 <= len(before) < 12, proc.stderr.read().decode()

    invoke(*ARGS, "--config", tiny_config, "--out", killed)
    invoke(*ARGS, "--config", tiny_config, "--out", tmp_path / "whole")
    after = _metrics(killed)
    assert len(after) == 12
    assert after == _metrics(tmp_path / "whole")
    assert {k: after[k] for k in before} == before
