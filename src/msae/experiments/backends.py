"""Where runs execute: in-process, a local process pool, or Ray tasks.

Every backend yields ``(spec, outcome)`` as runs finish; the driver alone writes the store.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import platform
import subprocess
import threading
import traceback
from collections.abc import Generator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import closing
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from time import monotonic
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from msae.experiments.eta import part_done, time_left_line
from msae.experiments.registry import EXPERIMENTS
from msae.experiments.reporting import shown
from msae.experiments.runner import Progressed, report_progress
from msae.experiments.spec import RUNTIME_KEYS, RunSpec
from msae.experiments.store import ResultStore
from msae.models import PRESETS
from msae.terminal import make_console
from msae.train import TrainConfig, flush_denormals

Outcomes = Generator[tuple[RunSpec, dict[str, Any]], None, None]


def run_spec(spec: RunSpec) -> dict[str, Any]:
    """Run one spec; a failure becomes an outcome with the traceback, not an exception. The
    outcome says which machine ran it (:func:`machine`), for the store's ``env``."""
    try:
        outcome = {"status": "ok", "metrics": EXPERIMENTS[spec.experiment].run_one(spec)}
    except Exception:
        outcome = {"status": "error", "error": traceback.format_exc()}
    return {**outcome, "machine": machine(spec)}


def machine(spec: RunSpec) -> dict[str, Any]:
    """Where a run executes (a Ray cluster's node, not the driver): host, processor, torch's
    thread count, and the GPU if the run asked for one; what its times are to be read with."""
    import torch

    where: dict[str, Any] = {
        "host": platform.node(),
        "cpu": _cpu_model(),
        "threads": torch.get_num_threads(),
    }
    if (spec.params.get("device") or "cpu") != "cpu" and torch.cuda.is_available():
        where["gpu"] = torch.cuda.get_device_name()
    return where


def _cpu_model() -> str:
    """The processor's name: Linux's /proc/cpuinfo, else what the platform module says."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _set_threads(threads: int | None) -> None:
    """Torch's intra-op threads for the runs of this process (None: leave torch's default)."""
    import torch

    if threads:
        torch.set_num_threads(threads)


def _init_worker(threads: int, progress: Any) -> None:
    """A pool worker (or a Ray task): denormals flushed in its torch threads (set before they
    start), its torch threads, and its runs' iterations put on the driver's ``progress`` queue."""
    flush_denormals()
    _set_threads(threads)
    report_progress(lambda key, iteration: progress.put((key, iteration)))


def _init_pool_worker(threads: int, progress: Any, stop: Any) -> None:
    """A pool worker, which also exits as soon as the driver closes ``stop`` or dies."""
    _init_worker(threads, progress)

    def exit_on_stop() -> None:
        # Nothing is ever sent: the connection turns readable when its other end is closed,
        # by the driver stopping early or by the system when the driver dies (SIGKILL too).
        multiprocessing.connection.wait([stop])
        os._exit(1)

    threading.Thread(target=exit_on_stop, name="msae-stop", daemon=True).start()


def _ray_run_spec(spec: RunSpec, threads: int, progress: Any) -> dict[str, Any]:
    """A Ray task; ``progress`` is a Ray queue actor whose put() returns once the actor has the
    item, so a task's iterations arrive before its result."""
    _init_worker(threads, progress)
    return run_spec(spec)


def _local(
    specs: Sequence[RunSpec],
    workers: int,
    threads: int | None,
    ray_address: str | None,
    progressed: Progressed,
) -> Outcomes:
    del ray_address
    if workers <= 1:
        _set_threads(threads)
        report_progress(progressed)
        try:
            yield from ((spec, run_spec(spec)) for spec in specs)
        finally:
            report_progress(None)
        return
    context = multiprocessing.get_context("spawn")
    # A SimpleQueue writes to its pipe in put() itself (a Queue leaves that to a thread), so a
    # run's last iterations are in the pipe before its result is, and are drained before it.
    progress = context.SimpleQueue()
    # Stopped early (Ctrl-C, an error, or killed), the driver must take its workers with it:
    # a pool's shutdown would wait for every queued run (hours, silently), and an orphaned
    # worker would train on beside the resumed sweep. Closing `stop` makes them exit.
    stop, stop_sender = context.Pipe(duplex=False)
    pool = ProcessPoolExecutor(
        workers,
        mp_context=context,
        initializer=_init_pool_worker,
        initargs=(threads or 1, progress, stop),
    )
    with closing(stop_sender), pool:
        futures = {pool.submit(run_spec, spec): spec for spec in specs}
        running = set(futures)
        try:
            while running:
                done, running = wait(running, timeout=0.5, return_when=FIRST_COMPLETED)
                _drain(progress, progressed)
                for future in done:
                    yield futures[future], future.result()
        except BaseException:  # GeneratorExit too: the caller stopped reading outcomes
            stop_sender.close()
            raise


def _drain(queue: Any, progressed: Progressed) -> None:
    """Hand on every progress message waiting in ``queue``."""
    while not queue.empty():
        progressed(*queue.get())


def _ray(
    specs: Sequence[RunSpec],
    workers: int,
    threads: int | None,
    ray_address: str | None,
    progressed: Progressed,
) -> Outcomes:
    import ray
    from ray.util.queue import Queue

    started = not ray.is_initialized()
    if started:
        cpus = None if ray_address else max(workers, 1)
        ray.init(address=ray_address, num_cpus=cpus, include_dashboard=False)
    threads = threads or 1
    progress = Queue(actor_options={"num_cpus": 0})  # takes no CPU from the runs
    task = ray.remote(num_cpus=threads)(_ray_run_spec)
    pending = {task.remote(spec, threads, progress): spec for spec in specs}
    try:
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1, timeout=0.5)
            for key, iteration in progress.get_nowait_batch(progress.qsize()):
                progressed(key, iteration)
            for ref in done:
                yield pending.pop(ref), ray.get(ref)
    finally:
        progress.shutdown()
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


def code_version() -> tuple[str | None, str | None]:
    """(git commit, package version) of the code running: what ``--rerun`` compares."""
    try:
        version = metadata.version("msae")
    except metadata.PackageNotFoundError:
        version = None
    return _git_commit(), version


def environment(backend: str, workers: int) -> dict[str, Any]:
    """What is recorded with every run about the code and the sweep that ran it (each run adds
    the machine it ran on, :func:`machine`)."""
    import torch

    commit, version = code_version()
    return {
        "version": version,
        "git_commit": commit,
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


def run_names(specs: Sequence[RunSpec], axes: Sequence[str] = ()) -> dict[str, str]:
    """A name per run key: ``dataset/model (seed s)``, with the experiment's ``axes`` and the
    other parameters that tell apart the runs of one dataset and model (a sensitivity sweep's
    ``lam=1e-05 beta=0.1``), so that a log line says which cell of a grid it is about, also in
    a sweep cut down to one cell."""
    groups: dict[tuple[str, str], list[RunSpec]] = {}
    for spec in specs:
        groups.setdefault((spec.dataset, spec.model), []).append(spec)
    names = {}
    for (dataset, model), group in groups.items():
        keys = dict.fromkeys(k for spec in group for k in spec.params if k not in RUNTIME_KEYS)
        varying = [k for k in keys if len({repr(s.params.get(k)) for s in group}) > 1]
        shown_keys = [k for k in axes if k in keys] + [k for k in varying if k not in axes]
        for spec in group:
            values = "".join(f" {k}={shown(spec.params.get(k))}" for k in shown_keys)
            names[spec.key] = f"{dataset}/{model}{values} (seed {spec.seed})"
    return names


def _outcome_line(name: str, outcome: dict[str, Any]) -> str:
    """``name: accuracy, train time`` of a finished run, for a log."""
    line = f"{name}: {outcome['status']}"
    metrics = outcome.get("metrics", {})
    if "accuracy" in metrics:
        line += f", accuracy {100 * metrics['accuracy']:.2f} %"
    if "train_time" in metrics:
        line += f", trained in {metrics['train_time']:.0f} s"
    return line


def finishing(spec: RunSpec) -> str:
    """What a run trains after its last optimiser iteration, which the iterations do not
    show ('' if nothing long): at MNIST's size, minutes with the bar full."""
    steps = []
    preset = PRESETS.get(spec.model)
    polished = preset is not None and preset.defaults.get("weight_penalty") == "l21"
    if polished and spec.params.get("lam") and spec.params.get("solver", "lbfgs") == "lbfgs":
        steps.append(f"the L2,1 polish ({TrainConfig.polish_iter} proximal-gradient steps)")
    if fine := spec.params.get("fine_tune_iter"):
        steps.append(f"{fine} iterations of fine-tuning")
    return " and ".join(steps)


class IterationProgress:
    """The iterations of the runs in progress: a bar each on a terminal; in a log file, a line
    at every tenth of a run's iterations, with its pace and the time it has left (a resumed
    run's first line says where it resumed)."""

    def __init__(
        self,
        progress: Progress,
        specs: dict[str, RunSpec],
        names: dict[str, str],
        terminal: bool,
    ) -> None:
        self.progress, self.specs, self.names, self.terminal = progress, specs, names, terminal
        self.bars: dict[str, Any] = {}
        self.tenths: dict[str, int] = {}
        self.first: dict[str, tuple[int, float]] = {}  # iteration and time of the first report

    def __call__(self, key: str, iteration: int) -> None:
        spec = self.specs[key]
        total = spec.params.get("max_iter") or iteration
        name = self.names[key]
        rest = finishing(spec) if iteration == total else ""
        then = f"; then {rest}" if rest else ""
        if self.terminal:
            if key not in self.bars:
                self.bars[key] = self.progress.add_task(f"  {name}", total=total)
            self.progress.update(self.bars[key], completed=iteration, description=f"  {name}{then}")
        elif (tenth := 10 * iteration // total) > self.tenths.get(key, -1):
            self.tenths[key] = tenth
            pace = self._pace(key, iteration, total)
            say(self.progress.console, f"  {name}: iteration {iteration}/{total}{pace}{then}")

    def _pace(self, key: str, iteration: int, total: int) -> str:
        """``, 8.6 s/iteration, 52 min left`` from the reports so far ('' at the first)."""
        start, then = self.first.setdefault(key, (iteration, monotonic()))
        if iteration == start:
            return ""
        pace = (monotonic() - then) / (iteration - start)
        return f", {pace:.2g} s/iteration, {pace * (total - iteration) / 60:.0f} min left"

    def finished(self, spec: RunSpec) -> None:
        if (bar := self.bars.pop(spec.key, None)) is not None:
            self.progress.remove_task(bar)


def execute(
    specs: Sequence[RunSpec],
    store: ResultStore,
    backend: str = "local",
    workers: int = 1,
    ray_address: str | None = None,
    console: Console | None = None,
    threads: int | None = None,
    axes: Sequence[str] = (),
    rerun: bool = False,
) -> Summary:
    """Run the specs not yet in ``store`` on ``backend``, storing each outcome as it lands.

    ``threads`` is torch's thread count per run: by default torch's own choice in-process
    and 1 per worker when runs execute in parallel. ``axes`` are shown in every run's name
    (``run_names``). ``rerun`` runs again the stored runs that other code made (another git
    commit or version), replacing their rows as they finish.
    """
    console = console or make_console()
    unique = list({spec.key: spec for spec in specs}.values())
    env = environment(backend, workers)
    made_by = (env["git_commit"], env["version"]) if rerun else None
    done = store.finished((spec.key for spec in unique), made_by)
    pending = [spec for spec in unique if spec.key not in done]
    started = part_done(pending)
    pending.sort(key=lambda spec: spec.key not in started)  # finish the part-way runs first
    if estimate := time_left_line(pending, store.rows(), axes, started):
        say(console, estimate)
    failed = 0
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as progress:
        bar = progress.add_task("runs", total=len(unique), completed=len(done))
        names = run_names(unique, axes)
        pending_specs = {spec.key: spec for spec in pending}
        watch = IterationProgress(progress, pending_specs, names, console.is_terminal)
        outcomes = BACKENDS[backend](pending, workers, threads, ray_address, watch)
        with closing(outcomes):  # an interrupted loop stops the backend's runs at once
            for spec, outcome in outcomes:
                watch.finished(spec)
                store.write(spec, outcome, env)
                failed += outcome["status"] != "ok"
                _announce(progress.console, names[spec.key], outcome)
                progress.update(bar, advance=1, description=f"{spec.dataset} {spec.model}")
                if not console.is_terminal:  # a log file gets no live bar: a line per run instead
                    finished = int(progress.tasks[bar].completed)
                    line = f"[{finished}/{len(unique)}] {_outcome_line(names[spec.key], outcome)}"
                    say(progress.console, line)
    return Summary(total=len(unique), skipped=len(done), failed=failed)


def _announce(console: Console, name: str, outcome: dict[str, Any]) -> None:
    """What a finished run has to say beyond its place in the bar: why it failed, or where it
    resumed."""
    if outcome["status"] != "ok":
        last_line = outcome["error"].strip().splitlines()[-1]
        say(console, f"failed {name}: {last_line}", "red")
    elif resumed := outcome["metrics"].get("resumed_at_iteration"):
        say(console, f"{name} resumed from its checkpoint at iteration {resumed}")


def say(console: Console, line: str, style: str | None = None) -> None:
    """One line as it is: no markup (an error message may hold brackets), and not wrapped, so
    that a log file has a line per message, whatever its width."""
    console.print(line, style=style, markup=False, highlight=False, soft_wrap=True)
