"""``msae train``: one model on one dataset, with the paper's settings for it, scored and saved.

It is one run of Table 3 (the same defaults, data split, subsampling and timing as ``msae
reproduce table3``) without a results store: to try a setting, watch a model train, or keep
the fitted model (``MSAEClassifier.load``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import torch
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from msae.data import DatasetError
from msae.estimators import resolve_device
from msae.experiments import config, options
from msae.experiments.backends import IterationProgress, run_names
from msae.experiments.data import Split, load_split, missing
from msae.experiments.model_cli import scored, write_run
from msae.experiments.paper import RAW
from msae.experiments.runner import Fitted, accuracy, fit_predict
from msae.experiments.spec import RunSpec
from msae.experiments.sweep import experiment_config, plan
from msae.experiments.weights import exact_zero_groups
from msae.terminal import make_console

_SOURCE = "table3"  # the experiment whose defaults (the paper's settings) a model trains with


def train_command(
    dataset: Annotated[
        str, typer.Argument(metavar="DATASET", help="A dataset of the paper, or digits.")
    ],
    model: Annotated[str, typer.Option(help="A preset (lr21-msae, sae, ...) or raw.")] = (
        "lr21-msae"
    ),
    seed: Annotated[int, typer.Option(min=0, help="Seed of the weights and the split.")] = 0,
    n_train: Annotated[
        int | None, typer.Option(min=1, help="Train on a stratified subsample of this size.")
    ] = None,
    save: Annotated[
        Path | None, typer.Option(help="Save the fitted classifier to this directory.")
    ] = None,
    checkpoint_dir: Annotated[
        Path | None,
        typer.Option(help="Save the training state here as it trains; the same command resumes."),
    ] = None,
    data_dir: options.DataDir = None,
    download: options.Download = False,
    device: options.Device = None,
    matmul_precision: options.MatmulPrecision = None,
    threads: Annotated[int | None, typer.Option(min=1, help="Torch threads.")] = None,
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
) -> None:
    """Train one model on one dataset (the paper's settings by default) and score it."""
    console = make_console()
    if save is not None:  # checked now, not after an hour of training
        if model == RAW:
            raise typer.BadParameter(
                "the raw softmax is not a model that can be saved", param_hint="--save"
            )
        try:
            save.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise typer.BadParameter(
                f"cannot write to {save}: {exc.strerror}", param_hint="--save"
            ) from exc
    flags = {**locals(), "repeats": 1, "datasets": [dataset], "models": [model]}
    layer = options.flag_layer(**flags)  # the flags, by their names
    layer |= {"seed": seed, "base": {**layer["base"], "n_train": n_train}}
    try:
        if reason := missing(dataset, data_dir, download):
            raise DatasetError(reason)
        (spec,) = plan(_SOURCE, experiment_config(_SOURCE, False, layer))
    except DatasetError as exc:
        raise typer.BadParameter(str(exc), param_hint="DATASET") from exc
    except config.ConfigError as exc:
        raise typer.BadParameter(str(exc)) from exc
    try:
        resolve_device(spec.params.get("device") or "cpu")
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--device") from exc
    if checkpoint_dir is not None:
        spec = spec.with_params(checkpoint_dir=str(checkpoint_dir))
    if threads is not None:
        torch.set_num_threads(threads)
    split = load_split(spec)
    console.print(_describe(spec, split), highlight=False)
    fitted = _fit(spec, split, console)
    for line in _results(spec, split, fitted):
        console.print(line, highlight=False)
    if save is not None:
        fitted.estimator.save(save)
        write_run(save, spec, accuracy(split.y_test, fitted.y_pred))
        console.print(f"Saved to {save} (msae evaluate {save}; MSAEClassifier.load)")


# What the raw softmax reads of the run parameters (the rest are the auto-encoders').
_RAW_PARAMS = {"n_train", "n_test", "validation", "classifier_alpha"}


def _describe(spec: RunSpec, split: Split) -> str:
    shown = [
        (k, v)
        for k, v in sorted(spec.params.items())
        if v is not None and k != "data_dir" and (spec.model != RAW or k in _RAW_PARAMS)
    ]
    settings = ", ".join(f"{k}={v}" for k, v in shown) or "default settings"
    return (
        f"{spec.dataset}/{spec.model} (seed {spec.seed}): {len(split.y_train)} training rows, "
        f"{len(split.y_test)} {scored(spec)} rows; {settings}"
    )


def _fit(spec: RunSpec, split: Split, console: Console) -> Fitted:
    """Fit with a bar of the iterations on a terminal (a line at every tenth in a log)."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    terminal = console.is_terminal
    bar = Progress(
        *columns, TimeElapsedColumn(), console=console, transient=True, disable=not terminal
    )
    with bar as progress:
        watch = IterationProgress(progress, {spec.key: spec}, run_names([spec]), terminal)
        try:
            return fit_predict(spec, split, [lambda info: watch(spec.key, info.iteration)])
        except KeyboardInterrupt:
            where = spec.params.get("checkpoint_dir")
            resume = f": the same command resumes from {where}" if where else ""
            console.print(f"Stopped{resume}.")
            raise typer.Exit(130) from None


def _results(spec: RunSpec, split: Split, fitted: Fitted) -> list[str]:
    lines = [f"{scored(spec)} accuracy {100 * accuracy(split.y_test, fitted.y_pred):.2f} %"]
    timing = f"trained in {fitted.train_time:.1f} s"
    if fitted.resumed_at:
        timing += f" (resumed from its checkpoint at iteration {fitted.resumed_at})"
    if (transformer := getattr(fitted.estimator, "transformer_", None)) is not None:
        timing += f", {transformer.n_iter_} iterations"
        off_units, off_inputs = exact_zero_groups(transformer.components_)
        lines.append(
            f"hidden units switched off: {off_units.sum()} of {off_units.size}; inputs: "
            f"{off_inputs.sum()} of {off_inputs.size}; "
            f"mean hidden activation {transformer.mean_activation_.mean():.4f}"
        )
    lines.insert(1, f"{timing}; predicted in {fitted.test_time:.2f} s")
    return lines
