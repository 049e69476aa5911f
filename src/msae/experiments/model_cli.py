"""``msae evaluate`` and ``msae predict``: use a model that ``msae train --save`` (or ``save()``)
wrote, without writing Python.

``msae train --save DIR`` puts ``run.json`` beside the model: the run that made it (dataset,
model, seed, parameters). ``evaluate`` rebuilds that run's split from it, so it scores the very
rows ``train`` scored and prints the same accuracy, then says how each class fared.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.table import Table
from sklearn.metrics import confusion_matrix

from msae import __version__
from msae.data import DatasetError
from msae.estimators import MSAEClassifier
from msae.experiments import options
from msae.experiments.data import Split, load_split, missing
from msae.experiments.runner import accuracy
from msae.experiments.spec import RUNTIME_KEYS, RunSpec
from msae.io import ModelFileError, load
from msae.terminal import make_console

RUN_FILE = "run.json"

ModelDir = Annotated[
    Path, typer.Argument(metavar="MODEL", help="A directory that msae train --save wrote.")
]


def write_run(directory: Path, spec: RunSpec, accuracy: float) -> None:
    """Record beside a saved model the run that trained it and what it scored."""
    record = {
        "experiment": spec.experiment,
        "dataset": spec.dataset,
        "model": spec.model,
        "seed": spec.seed,
        "params": {k: v for k, v in spec.params.items() if k not in RUNTIME_KEYS},
        "scored": scored(spec),
        "accuracy": accuracy,
        "version": __version__,
    }
    (directory / RUN_FILE).write_text(json.dumps(record, indent=2) + "\n")


def _read_run(directory: Path, data_dir: Path | None) -> RunSpec:
    file = directory / RUN_FILE
    try:
        record = json.loads(file.read_text())
        fields = ("experiment", "dataset", "model", "params", "seed")
        spec = RunSpec(**{k: record[k] for k in fields})
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise typer.BadParameter(f"{file}: not a run record ({exc!r})", param_hint="MODEL") from exc
    return spec.with_params(data_dir=None if data_dir is None else str(data_dir))


def scored(spec: RunSpec) -> str:
    """What a run scores on: its validation rows, or the test set."""
    return "validation" if spec.params.get("validation") else "test"


def _load_model(directory: Path) -> Any:
    try:
        return load(directory)
    except ModelFileError as exc:
        raise typer.BadParameter(str(exc), param_hint="MODEL") from exc


def _split(
    model_dir: Path, dataset: str | None, data_dir: Path | None, download: bool
) -> tuple[RunSpec, Split]:
    """The run's own split from its record, or ``dataset``'s official one (seed 0)."""
    if dataset is None and not (model_dir / RUN_FILE).is_file():
        raise typer.BadParameter(
            f"{model_dir} has no {RUN_FILE} (only msae train --save writes one): "
            "name the data with --dataset",
            param_hint="--dataset",
        )
    if dataset is None:
        spec = _read_run(model_dir, data_dir)
    else:
        data = None if data_dir is None else str(data_dir)
        spec = RunSpec("evaluate", dataset, "model", {"data_dir": data}, 0)
    try:
        if reason := missing(spec.dataset, data_dir, download):
            raise DatasetError(reason)
    except DatasetError as exc:
        raise typer.BadParameter(str(exc), param_hint="--dataset") from exc
    return spec, load_split(spec)


def _check_width(model: Any, X: np.ndarray, source: str) -> None:
    if X.shape[1] != model.n_features_in_:
        raise typer.BadParameter(
            f"{source} has {X.shape[1]} features a row; the model takes {model.n_features_in_}"
        )


def evaluate_command(
    model_dir: ModelDir,
    dataset: Annotated[
        str | None,
        typer.Option(help="Score on this dataset's test set (default: the run's own split)."),
    ] = None,
    confusion: Annotated[bool, typer.Option(help="Print the confusion matrix too.")] = False,
    data_dir: options.DataDir = None,
    download: options.Download = False,
) -> None:
    """Score a saved model: accuracy, each class's accuracy, reconstruction error."""
    console = make_console()
    model = _load_model(model_dir)
    spec, split = _split(model_dir, dataset, data_dir, download)
    rows = f"{len(split.y_test)} {scored(spec)} rows of {spec.dataset}"
    _check_width(model, split.X_test, spec.dataset)
    transformer = model.transformer_ if isinstance(model, MSAEClassifier) else model
    error = -transformer.score_samples(split.X_test).mean()
    if not isinstance(model, MSAEClassifier):
        console.print(f"{rows}: mean reconstruction error ‖x - x'‖²/2 {error:.4f}")
        return
    if not np.isin(model.classes_, np.arange(len(split.class_names))).all():
        raise typer.BadParameter(
            f"the model's classes {model.classes_.tolist()} are not {spec.dataset}'s",
            param_hint="--dataset",
        )
    y_pred = model.predict(split.X_test)
    share = 100 * accuracy(split.y_test, y_pred)
    console.print(f"{scored(spec)} accuracy {share:.2f} % on {rows}", highlight=False)
    console.print(f"mean reconstruction error ‖x - x'‖²/2 {error:.4f}", highlight=False)
    labels = np.arange(len(split.class_names))  # row: true class, column: predicted
    matrix = confusion_matrix(split.y_test, y_pred, labels=labels)
    console.print(_per_class_table(split.class_names, matrix))
    if confusion:
        console.print(_confusion_table(split.class_names, matrix))


def _per_class_table(names: tuple[str, ...], matrix: np.ndarray) -> Table:
    table = Table("class", "rows", "accuracy", "most often taken for")
    for column in table.columns[1:3]:
        column.justify = "right"
    for i, name in enumerate(names):
        total = int(matrix[i].sum())
        wrong = np.where(np.arange(len(names)) == i, -1, matrix[i])
        j = int(wrong.argmax())
        taken = f"{names[j]} ({wrong[j]})" if wrong[j] > 0 else "-"
        share = f"{100 * matrix[i, i] / total:.2f} %" if total else "-"
        table.add_row(name, str(total), share, taken)
    return table


def _confusion_table(names: tuple[str, ...], matrix: np.ndarray) -> Table:
    table = Table("true \\ predicted", title="confusion matrix")
    for name in names:
        table.add_column(name, justify="right")
    for name, row in zip(names, matrix, strict=True):
        table.add_row(name, *(str(v) for v in row))
    return table


_OUTPUTS = ("labels", "proba", "features", "reconstruction")


def predict_command(
    model_dir: ModelDir,
    rows: Annotated[
        Path,
        typer.Argument(
            metavar="INPUT",
            exists=True,
            dir_okay=False,
            help="Rows to predict: .npy, or CSV / whitespace-separated text (a header is skipped).",
        ),
    ],
    output: Annotated[
        str | None,
        typer.Option(
            help="labels or proba (classifiers), features or reconstruction "
            "(default: labels for a classifier, features otherwise)."
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Write here (.npy or CSV) instead of standard output.")
    ] = None,
) -> None:
    """Apply a saved model to rows scaled as it was trained (to [0, 1]): write its output."""
    model = _load_model(model_dir)
    is_classifier = isinstance(model, MSAEClassifier)
    output = output or ("labels" if is_classifier else "features")
    if output not in _OUTPUTS or (output in _OUTPUTS[:2] and not is_classifier):
        allowed = _OUTPUTS if is_classifier else _OUTPUTS[2:]
        raise typer.BadParameter(
            f"{output!r}: this model gives one of {', '.join(allowed)}", param_hint="--output"
        )
    X = read_rows(rows)
    _check_width(model, X, str(rows))
    if X.min() < 0 or X.max() > 1:
        typer.echo(
            f"warning: {rows} has values in [{X.min():g}, {X.max():g}]; the model was trained "
            "on inputs scaled to [0, 1]",
            err=True,
        )
    transformer = model.transformer_ if is_classifier else model
    result, header = {
        "labels": lambda: (model.predict(X)[:, None], ["label"]),
        "proba": lambda: (model.predict_proba(X), [f"p_{c}" for c in model.classes_]),
        "features": lambda: (transformer.transform(X), _names("h", transformer.n_components)),
        "reconstruction": lambda: (
            transformer.inverse_transform(transformer.transform(X)),
            _names("x", X.shape[1]),
        ),
    }[output]()
    _write(result, header, out)


def _names(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{i}" for i in range(n)]


def read_rows(path: Path) -> np.ndarray:
    """A 2-D float array from ``path`` (.npy or delimited text); errors name the file."""
    try:
        if path.suffix == ".npy":
            X = np.load(path, allow_pickle=False)
        else:
            delimiter = "," if path.suffix.lower() == ".csv" else None
            with path.open() as f:
                first = f.readline()
            header = any(not _is_number(v) for v in first.replace(",", " ").split())
            X = np.loadtxt(path, delimiter=delimiter, skiprows=int(header), ndmin=2)
        X = np.atleast_2d(np.asarray(X, dtype=np.float32))
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise typer.BadParameter(
            f"{path}: not a table of numbers ({exc})", param_hint="INPUT"
        ) from exc
    if X.ndim != 2 or X.size == 0:
        raise typer.BadParameter(
            f"{path}: expected rows of features, found an array of shape {X.shape}",
            param_hint="INPUT",
        )
    if not np.isfinite(X).all():
        row = int(np.flatnonzero(~np.isfinite(X).all(axis=1))[0])
        raise typer.BadParameter(f"{path}: row {row} holds NaN or inf", param_hint="INPUT")
    return X


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _write(result: np.ndarray, header: list[str], out: Path | None) -> None:
    if out is not None and out.suffix == ".npy":
        np.save(out, result)
        return
    stream = sys.stdout if out is None else out.open("w", newline="")
    try:
        if result.dtype.kind == "f":  # one format per row, not one per value
            np.savetxt(stream, result, fmt="%.7g", delimiter=",", header=",".join(header),
                       comments="")  # fmt: skip
        else:  # labels, which may be strings that need quoting
            writer = csv.writer(stream, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(result.tolist())
    finally:
        if out is not None:
            stream.close()
