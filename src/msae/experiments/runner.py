"""What the runs of all experiments share: build the model, fit, time, evaluate."""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from numbers import Integral, Real
from pathlib import Path
from time import perf_counter
from typing import Any

import numpy as np
import torch
from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    validate_parameter_constraints,
)

from msae.classify import DEFAULT_ALPHA, fit_softmax, softmax_proba
from msae.estimators import parse_device
from msae.experiments.data import Split, load_split
from msae.experiments.paper import RAW
from msae.experiments.spec import ESTIMATOR_PARAMS, RunSpec
from msae.train import check_matmul_precision, read_checkpoint


def _tensor(x: np.ndarray) -> torch.Tensor:
    return torch.as_tensor(np.require(x, requirements="W"))  # torch wraps writable arrays only


class Softmax:
    """Softmax regression fitted exactly as MSAEClassifier fits its own (``msae.classify``):
    the raw-feature floor, and the classifier of the hidden features at checkpoints."""

    def __init__(self, n_classes: int, alpha: float = DEFAULT_ALPHA) -> None:
        self.n_classes, self.alpha = n_classes, alpha

    def fit(self, X: np.ndarray, y: np.ndarray) -> Softmax:
        labels = _tensor(y).long()
        self.coef_, self.intercept_ = fit_softmax(
            _tensor(X), labels, self.n_classes, alpha=self.alpha
        )
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        return softmax_proba(_tensor(X), self.coef_, self.intercept_).argmax(dim=1).numpy()


def classifier_alpha(spec: RunSpec) -> float:
    """The softmax L2 of a run: its ``classifier_alpha``, else the library's default."""
    alpha = spec.params.get("classifier_alpha")
    return DEFAULT_ALPHA if alpha is None else alpha


def make_estimator(spec: RunSpec, split: Split, callbacks: Sequence[Callable] = ()) -> Any:
    """The classifier of ``spec.model``: an MSAEClassifier preset, or softmax on raw features."""
    if spec.model == RAW:
        return Softmax(len(split.class_names), classifier_alpha(spec))
    return _classifier(spec, image_shape=split.image_shape, callbacks=list(callbacks))


def _classifier(spec: RunSpec, **options: Any) -> Any:
    from msae import MSAEClassifier

    kwargs = {k: spec.params[k] for k in ESTIMATOR_PARAMS if spec.params.get(k) is not None}
    return MSAEClassifier(preset=spec.model, random_state=spec.seed, **options, **kwargs)


# The run parameters that are not the estimator's, as the runs read them.
RUN_CONSTRAINTS = {
    "n_train": [Interval(Integral, 0, None, closed="left"), None],
    "n_test": [Interval(Integral, 0, None, closed="left"), None],
    "validation": [Interval(Real, 0, 1, closed="left"), None],
    "bins": [Interval(Integral, 1, None, closed="left")],
    "classifier_alpha": [Interval(Real, 0, None, closed="left"), None],
}


def check_params(spec: RunSpec) -> None:
    """Raise ValueError, naming the run, for a parameter value its run would reject: so that a
    sweep with a bad value stops before its first run, not in every run."""
    own = {k: spec.params[k] for k in RUN_CONSTRAINTS if k in spec.params}
    try:
        validate_parameter_constraints(RUN_CONSTRAINTS, own, caller_name="the run")
        if spec.params.get("n_checkpoints") and spec.params.get("fine_tune_iter"):
            raise InvalidParameterError(
                "fine_tune_iter cannot be used with an accuracy curve (n_checkpoints): its "
                "checkpoints score the features before fine-tuning, its last point after"
            )
        if spec.model != RAW:
            _classifier(spec)._validate_params()
            device = parse_device(spec.params.get("device") or "cpu")  # its name; whether it
            # is here, only where the runs execute (a Ray cluster's GPUs are not the driver's)
            check_matmul_precision(spec.params.get("matmul_precision") or "ieee", device)
    except (InvalidParameterError, ValueError) as exc:
        raise ValueError(f"{spec.dataset}/{spec.model}: {exc}") from exc


@dataclass(frozen=True)
class Fitted:
    estimator: Any
    y_pred: np.ndarray
    train_time: float
    test_time: float
    resumed_at: int = 0  # the iteration a training checkpoint was resumed from (0: none)


def checkpoint_path(spec: RunSpec) -> Path | None:
    """Where a run saves its training state: ``checkpoint_dir``/<run key>.ckpt, if set.

    None, with a warning, where the directory cannot be made: a Ray worker on another machine
    gets the driver's path, and runs there without checkpoints rather than failing.
    """
    directory = spec.params.get("checkpoint_dir")
    if directory is None or spec.model == RAW:
        return None
    try:
        Path(directory).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        warnings.warn(f"no training checkpoints for this run: {exc}", stacklevel=2)
        return None
    return checkpoint_file(directory, spec)


def checkpoint_file(directory: str | Path, spec: RunSpec) -> Path:
    """The name of ``spec``'s training checkpoint in ``directory``."""
    return Path(directory) / f"{spec.key}.ckpt"


Progressed = Callable[[str, int], None]  # (run key, iteration), as runs train

# Set by the backend in a process that executes runs: told each run's iterations as it trains.
_progress: Progressed | None = None


def report_progress(hook: Progressed | None) -> None:
    """Call ``hook(run key, iteration)`` after every training iteration of the runs in this
    process (None: stop)."""
    global _progress
    _progress = hook


def fit_predict(spec: RunSpec, split: Split, callbacks: Sequence[Callable] = ()) -> Fitted:
    """Fit on the training split and predict the test split, timing both.

    A run with a ``checkpoint_dir`` resumes from its checkpoint there, if an earlier attempt
    left one; its training time then adds the optimiser time that attempt had saved.
    """
    if (hook := _progress) is not None:
        callbacks = [*callbacks, lambda info: hook(spec.key, info.iteration)]
    estimator = make_estimator(spec, split, callbacks)
    checkpoint = checkpoint_path(spec)
    earlier, resumed_at, options = 0.0, 0, {}
    if checkpoint is not None:
        options = {"checkpoint": checkpoint}
        if checkpoint.exists():
            saved = read_checkpoint(checkpoint, mmap=True)
            earlier, resumed_at = float(saved["elapsed"]), int(saved["iteration"])
            del saved  # unmapped before training replaces the file (Windows refuses, mapped)
    start = perf_counter()
    estimator.fit(split.X_train, split.y_train, **options)
    fitted_at = perf_counter()
    y_pred = estimator.predict(split.X_test)
    train_time = earlier + fitted_at - start
    return Fitted(estimator, y_pred, train_time, perf_counter() - fitted_at, resumed_at)


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


def timed_metrics(fitted: Fitted, split: Split, train_time: float | None = None) -> dict:
    """Test accuracy and the two times every run reports, and an auto-encoder's iterations
    (fewer than ``max_iter`` where the optimiser stopped by its own test)."""
    metrics = {
        "accuracy": accuracy(split.y_test, fitted.y_pred),
        "train_time": fitted.train_time if train_time is None else train_time,
        "test_time": fitted.test_time,
    }
    if (n_iter := getattr(fitted.estimator, "n_iter_", None)) is not None:  # not the raw softmax
        metrics["n_iter"] = int(n_iter)
    if fitted.resumed_at:
        metrics["resumed_at_iteration"] = fitted.resumed_at
    return metrics


def accuracy_run(spec: RunSpec) -> dict[str, Any]:
    """Run of the experiments that need only the test accuracy and the times."""
    split = load_split(spec)
    return timed_metrics(fit_predict(spec, split), split)


def checkpoint_iterations(max_iter: int, n_checkpoints: int) -> list[int]:
    """``n_checkpoints`` iterations spread evenly over 1..max_iter, the last one included."""
    points = np.linspace(0, max_iter, n_checkpoints + 1)[1:]
    return sorted({max(1, round(float(p))) for p in points})


class Checkpoints:
    """Optimiser callback: test accuracy of a softmax on the hidden features at checkpoints,
    one softmax per L2 in ``alphas`` (the run's own first).

    Its own time is counted in ``elapsed`` so that it can be taken out of the training time.
    """

    def __init__(self, split: Split, iterations: Sequence[int], alphas: Sequence[float]) -> None:
        self.split, self.iterations, self.alphas = split, set(iterations), list(alphas)
        self.curve: list[tuple[int, list[float]]] = []
        self.elapsed = 0.0

    def __call__(self, info: Any) -> None:
        if info.iteration not in self.iterations:
            return
        start = perf_counter()
        self.curve.append((info.iteration, self.score(info.transform, self.alphas)))
        self.elapsed += perf_counter() - start

    def score(self, transform: Callable, alphas: Sequence[float]) -> list[float]:
        """Accuracy of a softmax with each L2 of ``alphas`` on the features of ``transform``."""
        if not alphas:
            return []
        s = self.split
        train, test = transform(s.X_train), transform(s.X_test)
        return [
            accuracy(s.y_test, Softmax(len(s.class_names), a).fit(train, s.y_train).predict(test))
            for a in alphas
        ]


def curve_run(spec: RunSpec, split: Split) -> tuple[Fitted, dict[str, Any]]:
    """Fit once, evaluating at checkpoints; the metrics hold the accuracy-vs-iteration curve.

    The last point is the fitted model itself (after any final proximal polish), at the
    iteration the optimiser stopped: its softmax is the one the classifier fitted. With
    ``classifier_alphas`` every checkpoint also fits a softmax with each of those L2s
    (``curve["accuracy_by_alpha"]``), so one training run tunes the iterations and the L2.
    With ``fine_tune_lengths`` the fitted model is then fine-tuned, and scored after each
    length (``fine_tune``), so the same run also tunes ``fine_tune_iter``.
    """
    max_iter, n_checkpoints = spec.params["max_iter"], spec.params.get("n_checkpoints", 0)
    own = classifier_alpha(spec)
    alphas = list(dict.fromkeys([own, *spec.params.get("classifier_alphas", [])]))
    checkpoints = Checkpoints(split, checkpoint_iterations(max_iter, n_checkpoints)[:-1], alphas)
    fitted = fit_predict(spec, split, [checkpoints] if n_checkpoints else [])
    metrics = timed_metrics(fitted, split, fitted.train_time - checkpoints.elapsed)
    metrics["n_iter"] = n_iter = int(fitted.estimator.n_iter_)
    if n_checkpoints:
        curve = [point for point in checkpoints.curve if point[0] < n_iter]
        others = checkpoints.score(fitted.estimator.transformer_.transform, alphas[1:])
        curve.append((n_iter, [metrics["accuracy"], *others]))
        metrics["curve"] = {
            "iteration": [p[0] for p in curve],
            "accuracy": [p[1][0] for p in curve],
        }
        if len(alphas) > 1:
            metrics["curve"]["accuracy_by_alpha"] = {
                repr(alpha): [p[1][i] for p in curve] for i, alpha in enumerate(alphas)
            }
    if lengths := spec.params.get("fine_tune_lengths"):
        metrics["fine_tune"] = fine_tune_scores(fitted.estimator, split, lengths)
    return fitted, metrics


def fine_tune_scores(classifier: Any, split: Split, lengths: Sequence[int]) -> dict[str, list]:
    """Test accuracy of ``classifier`` (a fitted MSAEClassifier, left as it is) after each of
    ``lengths`` iterations of one fine-tuning run, as ``fine_tune_iter=length`` would give."""
    transformer = classifier.transformer_
    model = copy.deepcopy(transformer.model_)
    x, x_test = transformer._inputs(split.X_train), transformer._inputs(split.X_test)
    labels = torch.as_tensor(np.searchsorted(classifier.classes_, split.y_train), device=x.device)
    coef, intercept = (
        torch.as_tensor(a, device=x.device) for a in (classifier.coef_, classifier.intercept_)
    )
    path = classifier._fine_tune(model, x, labels, coef, intercept, lengths)
    scores = []
    for _, coef, intercept in path:
        with torch.no_grad():
            best = softmax_proba(model.encode(x_test), coef, intercept).argmax(dim=1)
        scores.append(accuracy(split.y_test, classifier.classes_[best.cpu().numpy()]))
    return {"iteration": list(lengths), "accuracy": scores}
