"""The `msae reproduce`, `report` and `export` commands, added to an app by :func:`register`."""

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from msae.data import DatasetError
from msae.experiments import config, export, options
from msae.experiments.backends import code_version
from msae.experiments.eta import part_done, time_left_line
from msae.experiments.registry import EXPERIMENTS, check_names
from msae.experiments.reporting import count, in_order
from msae.experiments.spec import RunSpec
from msae.experiments.store import STORE_NAME, ResultStore, Row, StoreError, stored_rows
from msae.experiments.sweep import CHECKPOINT_DIR, experiment_config, plan, reproduce
from msae.terminal import make_console

StoreDir = Annotated[Path, typer.Option(help="Output directory holding results.sqlite.")]
ExperimentNames = Annotated[
    list[str] | None, typer.Option(help="Comma-separated experiments (default: all).")
]

ALL = "all"
# The choices of the EXPERIMENT argument and of --format, from their registries (so a type
# checker cannot list their members).
_experiments = {name: name for name in [*EXPERIMENTS, ALL]}
ExperimentName = Enum("ExperimentName", _experiments, type=str)  # type: ignore[misc]
ExportFormat = Enum("ExportFormat", {n: n for n in export.FORMATS}, type=str)  # type: ignore[misc]
CSV = ExportFormat("csv")


class Backend(str, Enum):
    local = "local"
    ray = "ray"


def reproduce_command(
    experiment: Annotated[
        ExperimentName,
        typer.Argument(help="A table or figure of the paper (all: each in turn), or tune."),
    ],
    out: Annotated[Path, typer.Option(help="Output directory (results.sqlite, report).")] = Path(
        "results"
    ),
    data_dir: options.DataDir = None,
    repeats: Annotated[int | None, typer.Option(help="Seeds per configuration.")] = None,
    datasets: Annotated[list[str] | None, typer.Option(help="Comma-separated datasets.")] = None,
    models: Annotated[
        list[str] | None, typer.Option(help="Comma-separated models (presets, raw).")
    ] = None,
    quick: Annotated[
        bool, typer.Option(help="Reduced size: subsampled data, few iterations.")
    ] = False,
    backend: Annotated[Backend, typer.Option(help="Where runs execute.")] = Backend.local,
    workers: Annotated[int, typer.Option(min=1, help="Parallel runs (processes or Ray CPUs).")] = 1,
    ray_address: Annotated[str | None, typer.Option(help="Join this Ray cluster.")] = None,
    threads: options.Threads = None,
    device: options.Device = None,
    matmul_precision: options.MatmulPrecision = None,
    config_file: Annotated[
        Path | None, typer.Option("--config", help="JSON or TOML config layer.")
    ] = None,
    assignments: Annotated[
        list[str] | None,
        typer.Option("--set", help="KEY=VALUE (dotted, JSON value), e.g. hyper.usps.lam=1e-4."),
    ] = None,
    lam: options.Lam = None,
    beta: options.Beta = None,
    iterations: options.Iterations = None,
    hidden: options.Hidden = None,
    rho: options.Rho = None,
    solver: options.Solver = None,
    batch_size: options.BatchSize = None,
    learning_rate: options.LearningRate = None,
    classifier_alpha: options.ClassifierAlpha = None,
    fine_tune_iter: options.FineTuneIter = None,
    validation: options.Validation = None,
    download: options.Download = False,
    dry_run: Annotated[bool, typer.Option(help="List the runs, run nothing.")] = False,
    rerun: Annotated[
        bool,
        typer.Option(
            help="Run again the stored runs made by other code (another git commit or "
            "version), replacing them; a stopped --rerun resumes."
        ),
    ] = False,
) -> None:
    """Run an experiment of the paper; finished runs are skipped, so a killed sweep resumes."""
    console = make_console()
    try:
        file_layers = [config.load_file(config_file)] if config_file else []
        set_layer = config.parse_assignments(assignments or [])
    except config.ConfigError as exc:
        raise typer.BadParameter(str(exc), param_hint="'--config' / '--set'") from exc
    flag_layer = options.flag_layer(**locals())  # the flags, by their names
    layers = [*file_layers, flag_layer, set_layer]
    failed = 0
    try:
        paper = [name for name, e in EXPERIMENTS.items() if e.of_paper]
        for name in paper if experiment.value == ALL else [experiment.value]:
            console.rule(f"{name}: {EXPERIMENTS[name].title}")
            cfg = experiment_config(name, quick, *layers)
            if dry_run:
                _dry_run(name, cfg, out, download, console, rerun)
                continue
            summary = reproduce(
                name, cfg, out, backend.value, workers, ray_address, download, console, threads,
                rerun,
            )  # fmt: skip
            console.print(
                f"{count(summary.total, 'run')} ({summary.skipped} already done, "
                f"{summary.failed} failed) in {out / STORE_NAME}"
            )
            failed += summary.failed
    except DatasetError as exc:
        raise typer.BadParameter(str(exc), param_hint="--datasets") from exc
    except config.ConfigError as exc:  # from a file, a flag or --set: the message names the key
        raise typer.BadParameter(str(exc)) from exc
    except StoreError as exc:
        raise typer.BadParameter(str(exc), param_hint="--out") from exc
    except KeyboardInterrupt:
        console.print(
            f"Stopped. The finished runs are in {out / STORE_NAME}: the same command resumes "
            "from them, and a run cut part-way from its last training checkpoint."
        )
        raise typer.Exit(130) from None
    if not dry_run:
        console.print(f"Report: msae report --out {out}")
    if failed:
        raise typer.Exit(1)


def _dry_run(
    name: str, cfg: dict, out: Path, download: bool, console: Console, rerun: bool
) -> None:
    """Say how many runs ``name`` has and how many are stored already (by this code, with
    ``rerun``); write nothing."""
    specs = plan(name, cfg, download, console)
    done: set[str] = set()
    rows: list[Row] = []
    if (out / STORE_NAME).exists():
        with ResultStore(out) as store:
            done = store.finished((s.key for s in specs), code_version() if rerun else None)
            rows = store.rows()
    checkpoints = out / CHECKPOINT_DIR
    pending = [s for s in specs if s.key not in done]
    started = part_done(pending, checkpoints) if EXPERIMENTS[name].resumable else {}
    part = f", {len(started)} part-way (a training checkpoint in {checkpoints})" if started else ""
    made = " made by this code (--rerun)" if rerun else ""
    console.print(
        f"{count(len(specs), 'run')}, {len(done)} already in {out / STORE_NAME}{made}{part}"
    )
    if estimate := time_left_line(pending, rows, EXPERIMENTS[name].axes, started):
        console.print(estimate)
    for dataset in dict.fromkeys(s.dataset for s in specs):  # what the runs will use
        runs = [s for s in specs if s.dataset == dataset]
        models = ", ".join(dict.fromkeys(s.model for s in runs))
        console.print(f"  {dataset} ({models}): {_values(runs)}", highlight=False, soft_wrap=True)


def _values(specs: list[RunSpec]) -> str:
    """``lam=1e-05, max_iter=180, ...``: each run parameter's value, or its values over
    ``specs`` (a sensitivity grid, say), the first few of them and how many."""
    parts = []
    for key in sorted({k for s in specs for k in s.params}):
        found = {json.dumps(s.params.get(key)): s.params.get(key) for s in specs}
        values = sorted(found, key=lambda text: in_order(found[text]))  # not in run order
        shown = ", ".join(values[:4]) + (f", ... ({len(values)} values)" if len(values) > 4 else "")
        parts.append(f"{key}={shown if len(values) == 1 else '[' + shown + ']'}")
    return ", ".join(parts)


def report_command(
    out: StoreDir = Path("results"),
    experiments: ExperimentNames = None,
) -> None:
    """Write report.md and figures/*.png: our results beside the paper's."""
    from msae.report import write_report

    with _store_errors():
        path = write_report(out, options.names(experiments))
    make_console().print(f"Wrote {path}")


@contextmanager
def _store_errors() -> Iterator[None]:
    """A missing or unusable store and an unknown experiment name as usage errors of their
    options."""
    try:
        yield
    except (FileNotFoundError, StoreError) as exc:
        raise typer.BadParameter(str(exc), param_hint="--out") from exc
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--experiments") from exc


class Status(str, Enum):
    ok = "ok"
    error = "error"
    any = "any"


def export_command(
    out: StoreDir = Path("results"),
    experiments: ExperimentNames = None,
    fmt: Annotated[
        ExportFormat,
        typer.Option("--format", help="csv: a column per parameter and metric; jsonl: nested."),
    ] = CSV,
    status: Annotated[Status, typer.Option(help="The runs that succeeded, failed, or any.")] = (
        Status.ok
    ),
    file: Annotated[
        Path | None, typer.Option(help="Write to this file (default: standard output).")
    ] = None,
) -> None:
    """Write every stored run as CSV or JSON Lines, for pandas, R or a spreadsheet."""
    names = options.names(experiments)
    with _store_errors():
        check_names(names)
        rows = stored_rows(out, status=None if status is Status.any else status.value)
    rows = [row for row in rows if names is None or row.experiment in names]
    if file is None:
        export.write(rows, sys.stdout, fmt.value)
        return
    with open(file, "w", newline="", encoding="utf-8") as stream:
        export.write(rows, stream, fmt.value)
    make_console().print(f"Wrote {count(len(rows), 'run')} to {file}")


def register(app: typer.Typer) -> None:
    """Add the ``train``, ``evaluate``, ``predict``, ``reproduce``, ``report`` and ``export``
    commands to ``app``."""
    from msae.experiments.model_cli import evaluate_command, predict_command
    from msae.experiments.train_cli import train_command

    app.command("train")(train_command)
    app.command("evaluate")(evaluate_command)
    app.command("predict")(predict_command)
    app.command("reproduce")(reproduce_command)
    app.command("report")(report_command)
    app.command("export")(export_command)
