"""Command-line options that ``msae reproduce`` and ``msae train`` share, and the config layer
they make."""

from pathlib import Path
from typing import Annotated, Any

import typer

DataDir = Annotated[Path | None, typer.Option(help="Dataset directory (default: $MSAE_DATA).")]
Device = Annotated[str | None, typer.Option(help="Torch device of the models.")]
Download = Annotated[bool, typer.Option(help="Download datasets that are missing.")]
Lam = Annotated[float | None, typer.Option(help="λ, the weight penalty (default: the paper's).")]
Beta = Annotated[float | None, typer.Option(help="β, the sparsity weight (default: the paper's).")]
Iterations = Annotated[
    int | None, typer.Option(help="Optimiser iterations (default: the paper's).")
]
Hidden = Annotated[int | None, typer.Option(help="Hidden units (default: the paper's).")]
Rho = Annotated[float | None, typer.Option(help="Target mean activation ρ (default: 0.1).")]
Solver = Annotated[str | None, typer.Option(help="lbfgs or adam.")]
BatchSize = Annotated[
    int | None, typer.Option(min=1, help="Mini-batch size of the adam solver (default: 256).")
]
LearningRate = Annotated[
    float | None, typer.Option(help="Step size of the adam solver (default: 1e-3).")
]
ClassifierAlpha = Annotated[
    float | None, typer.Option(min=0.0, help="L2 of the softmax (default: 1e-4).")
]
FineTuneIter = Annotated[
    int | None,
    typer.Option(
        min=0,
        help="Supervised fine-tuning of encoder and softmax together, in L-BFGS "
        "iterations (default: 0, none, as in the paper).",
    ),
]
MatmulPrecision = Annotated[
    str | None,
    typer.Option(
        help="Training's float32 matrix products: ieee (exact, the default), bf16 (CPU: "
        "bfloat16 inputs, float32 sums; fast with AMX) or tf32 (CUDA).",
    ),
]
Validation = Annotated[
    float | None,
    typer.Option(
        min=0.0,
        max=0.9,
        help="Score on this stratified share of the training rows instead of the test "
        "set (for tuning: the test rows play no part).",
    ),
]
Threads = Annotated[
    int | None,
    typer.Option(
        min=1,
        help="Torch threads per run (default: 1 per worker; torch's own with one worker).",
    ),
]


def names(values: list[str] | None) -> list[str] | None:
    """``["mnist,usps", "isolet"]`` -> ``["mnist", "usps", "isolet"]``."""
    if not values:
        return None
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def flag_layer(**flags: Any) -> dict[str, Any]:
    """The config layer of the command-line flags that were given, from a command's parameters
    by name (``flag_layer(**locals())``; the names it does not know are left alone).

    Hyperparameter flags override every dataset and lift the --quick cap of their key.
    """
    keys = {
        "lam": "lam",
        "beta": "beta",
        "iterations": "max_iter",
        "hidden": "n_components",
        "rho": "rho",
        "solver": "solver",
        "batch_size": "batch_size",
        "learning_rate": "learning_rate",
        "classifier_alpha": "classifier_alpha",
        "fine_tune_iter": "fine_tune_iter",
        "matmul_precision": "matmul_precision",
        "validation": "validation",
    }
    override = {key: flags[flag] for flag, key in keys.items() if flags[flag] is not None}
    base = {k: str(flags[k]) for k in ("data_dir", "device") if flags[k] is not None}
    top = {
        "repeats": flags["repeats"],
        "datasets": names(flags["datasets"]),
        "models": names(flags["models"]),
    }
    layer = {k: v for k, v in top.items() if v is not None}
    return layer | {"base": base, "override": override, "caps": dict.fromkeys(override)}
