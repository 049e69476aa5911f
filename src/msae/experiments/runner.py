"""What the runs of all experiments share: build the model, fit, time, evaluate."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from time import perf_counter
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

from msae.experiments.data import Split, load_split
from msae.experiments.paper import RAW
from msae.experiments.spec import RunSpec

# Run parameters handed to MSAEClassifier when present (None leaves its default).
ESTIMATOR_PARAMS = ("n_components", "lam", "beta", "rho", "max_iter", "solver", "sparsity", "device")
SOFTMAX_MAX_ITER = 500


def softmax(seed: int) -> LogisticRegression:
    """The softmax classifier for raw features and for hidden features at checkpoints."""
    return LogisticRegression(max_iter=SOFTMAX_MAX_ITER, random_state=seed)


def make_estimator(spec: RunSpec, split: Split, callbacks: Sequence[Callable] = ()) -> Any:
    """The classifier of ``spec.model``: an MSAEClassifier preset, or softmax on raw features."""
    if spec.model == RAW:
        return softmax(spec.seed)
    from msae import MSAEClassifier

    kwargs = {k: spec.params[k] for k in ESTIMATOR_PARAMS if spec.params.get(k) is not None}
    return MSAEClassifier(
        preset=spec.model,
        image_shape=split.image_shape,
        random_state=spec.seed,
        callbacks=list(callbacks),
        **kwargs,
    )


@dataclass(frozen=True)
class Fitted:
    estimator: Any
    y_pred: np.ndarray
    train_time: float
    test_time: float


def fit_predict(spec: RunSpec, split: Split, callbacks: Sequence[Callable] = ()) -> Fitted:
    """Fit on the training split and predict the test split, timing both."""
    estimator = make_estimator(spec, split, callbacks)
    start = perf_counter()
    estimator.fit(split.X_train, split.y_train)
    fitted_at = perf_counter()
    y_pred = estimator.predict(split.X_test)
    return Fitted(estimator, y_pred, fitted_at - start, perf_counter() - fitted_at)


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


def timed_metrics(fitted: Fitted, split: Split, train_time: float | None = None) -> dict:
    """Test accuracy and the two times every run reports."""
    return {
        "accuracy": accuracy(split.y_test, fitted.y_pred),
        "train_time": fitted.train_time if train_time is None else train_time,
        "test_time": fitted.test_time,
    }


def accuracy_run(spec: RunSpec) -> dict[str, Any]:
    """Run of the experiments that need only the test accuracy and the times."""
    split = load_split(spec)
    return timed_metrics(fit_predict(spec, split), split)


def checkpoint_iterations(max_iter: int, n_checkpoints: int) -> list[int]:
    """``n_checkpoints`` iterations spread evenly over 1..max_iter, the last one included."""
    points = np.linspace(0, max_iter, n_checkpoints + 1)[1:]
    return sorted({max(1, round(float(p))) for p in points})


class Checkpoints:
    """Optimiser callback: test accuracy of a softmax on the hidden features at checkpoints.

    Its own time is counted in ``elapsed`` so that it can be taken out of the training time.
    """

    def __init__(self, split: Split, iterations: Sequence[int], seed: int) -> None:
        self.split, self.iterations, self.seed = split, set(iterations), seed
        self.curve: list[tuple[int, float]] = []
        self.elapsed = 0.0

    def evaluate(self, iteration: int, transform: Callable[[np.ndarray], np.ndarray]) -> None:
        start = perf_counter()
        s = self.split
        clf = softmax(self.seed).fit(transform(s.X_train), s.y_train)
        self.curve.append((iteration, accuracy(s.y_test, clf.predict(transform(s.X_test)))))
        self.elapsed += perf_counter() - start

    def __call__(self, info: Any) -> None:
        if info.iteration in self.iterations:
            self.evaluate(info.iteration, info.transform)


def curve_run(spec: RunSpec, split: Split) -> tuple[Fitted, dict[str, Any]]:
    """Fit once, evaluating at checkpoints; the metrics hold the accuracy-vs-iteration curve.

    When the optimiser stops before the last checkpoint, the final model is the last point.
    """
    max_iter, n_checkpoints = spec.params["max_iter"], spec.params.get("n_checkpoints", 0)
    checkpoints = Checkpoints(split, checkpoint_iterations(max_iter, n_checkpoints), spec.seed)
    fitted = fit_predict(spec, split, [checkpoints] if n_checkpoints else [])
    transformer = fitted.estimator.transformer_
    n_iter = len(transformer.history_)
    if n_checkpoints and (not checkpoints.curve or checkpoints.curve[-1][0] < n_iter):
        checkpoints.evaluate(n_iter, transformer.transform)
    metrics = timed_metrics(fitted, split, fitted.train_time - checkpoints.elapsed)
    metrics["n_iter"] = n_iter
    if checkpoints.curve:
        iterations, accuracies = zip(*checkpoints.curve, strict=True)
        metrics["curve"] = {"iteration": list(iterations), "accuracy": list(accuracies)}
    return fitted, metrics
