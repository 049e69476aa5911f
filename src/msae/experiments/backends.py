"""Where runs execute: in-process, a local process pool, or Ray tasks.

Every backend yields ``(spec, outcome)`` as runs finish; the driver alone writes the store.
"""

from __future__ import annotations

import multiprocessing
import platform
import subprocess
import traceback
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from msae.experiments.registry import EXPERIMENTS
from msae.experiments.spec import RunSpec
from msae.experiments.store import ResultStore

Outcomes = Iterator[tuple[RunSpec, dict[str, Any]]]


def run_spec(spec: RunSpec) -> dict[str, Any]:
    """Run one spec; a failure becomes an outcome with the traceback, not an exception."""
    try:
        return {"status": "ok", "metrics": EXPERIMENTS[spec.experiment].run_one(spec)}
    except Exception:
        return {"status": "error", "error": traceback.format_exc()}


def _set_threads(threads: int | None) -> None:
    """Torch's intra-op threads for the runs of this process (None: leave torch's default)."""
    import torch

    if threads:
        torch.set_num_threads(threads)


def _ray_run_spec(spec: RunSpec, threads: int) -> dict[str, Any]:
    _set_threads(threads)
    return run_spec(spec)


def _local(
    specs: Sequence[RunSpec], workers: int, threads: int | None, ray_address: str | None
) -> Outcomes:
    del ray_address
    if workers <= 1:
        _set_threads(threads)
        yield from ((spec, run_spec(spec)) for spec in specs)
        return
    context = multiprocessing.get_context("spawn")
    init = {"initializer": _set_threads, "initargs": (threads or 1,)}
    with ProcessPoolExecutor(workers, mp_context=context, **init) as pool:
        futures = {pool.submit(run_spec, spec): spec for spec in specs}
        for future in as_completed(futures):
            yield futures[future], future.result()


def _ray(
    specs: Sequence[RunSpec], workers: int, threads: int | None, ray_address: str | None
) -> Outcomes:
    import ray

    started = not ray.is_initialized()
    if started:
        cpus = None if ray_address else max(workers, 1)
        ray.init(address=ray_address, num_cpus=cpus, include_dashboard=False)
    threads = threads or 1
    task = ray.remote(num_cpus=threads)(_ray_run_spec)
    pending = {task.remote(spec, threads): spec for spec in specs}
    try:
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                yield pending.pop(ref), ray.get(ref)
    finally:
        if started:
            ray.shutdown()


BACKENDS = {"local": _local, "ray": _ray}


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def environment(backend: str, workers: int) -> dict[str, Any]:
    """What is recorded with every run about the code and the machine that ran it."""
    import torch

    try:
        version = metadata.version("msae")
    except metadata.PackageNotFoundError:
        version = None
    return {
        "version": version,
        "git_commit": _git_commit(),
        "host": platform.node(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "backend": backend,
        "workers": workers,
    }


@dataclass(frozen=True)
class Summary:
    total: int
    skipped: int
    failed: int


def _outcome_line(spec: RunSpec, outcome: dict[str, Any]) -> str:
    """``dataset/model (seed s): accuracy, train time`` of a finished run, for a log."""
    line = f"{spec.dataset}/{spec.model} (seed {spec.seed}): {outcome['status']}"
    metrics = outcome.get("metrics", {})
    if "accuracy" in metrics:
        line += f", accuracy {100 * metrics['accuracy']:.2f} %"
    if "train_time" in metrics:
        line += f", trained in {metrics['train_time']:.0f} s"
    return line


def execute(
    specs: Sequence[RunSpec],
    store: ResultStore,
    backend: str = "local",
    workers: int = 1,
    ray_address: str | None = None,
    console: Console | None = None,
    threads: int | None = None,
) -> Summary:
    """Run the specs not yet in ``store`` on ``backend``, storing each outcome as it lands.

    ``threads`` is torch's thread count per run: by default torch's own choice in-process
    and 1 per worker when runs execute in parallel.
    """
    console = console or Console()
    unique = list({spec.key: spec for spec in specs}.values())
    done = store.finished(spec.key for spec in unique)
    pending = [spec for spec in unique if spec.key not in done]
    env = environment(backend, workers)
    failed = 0
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        bar = progress.add_task("runs", total=len(unique), completed=len(done))
        for spec, outcome in BACKENDS[backend](pending, workers, threads, ray_address):
            store.write(spec, outcome, env)
            if outcome["status"] != "ok":
                failed += 1
                last_line = outcome["error"].strip().splitlines()[-1]
                progress.console.print(f"[red]failed[/] {spec.dataset}/{spec.model}: {last_line}")
            elif resumed := outcome["metrics"].get("resumed_at_iteration"):
                progress.console.print(
                    f"{spec.dataset}/{spec.model} (seed {spec.seed}) resumed from its checkpoint "
                    f"at iteration {resumed}"
                )
            progress.update(bar, advance=1, description=f"{spec.dataset} {spec.model}")
            if not console.is_terminal:  # a log file gets no live bar: a line per run instead
                finished = int(progress.tasks[bar].completed)
                line = f"[{finished}/{len(unique)}] {_outcome_line(spec, outcome)}"
                progress.console.print(line, markup=False, highlight=False)
    return Summary(total=len(unique), skipped=len(done), failed=failed)
