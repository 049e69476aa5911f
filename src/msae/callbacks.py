"""Callbacks for the estimators' ``callbacks`` (and :func:`msae.train.train`): early stopping.

A callback is called as ``fn(info)`` after every iteration with an
:class:`~msae.train.IterationInfo`; raising :class:`~msae.train.StopTraining` ends training
after that iteration. :class:`EarlyStopping` does so when a held-out score stops improving::

    stop = EarlyStopping(reconstruction_score(X_val), patience=3, every=10)
    MSAETransformer(200, max_iter=500, callbacks=[stop]).fit(X_train)
    stop.best_iteration, stop.scores
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from msae.train import IterationInfo, StopTraining


class EarlyStopping:
    """Stop training once ``score(info)`` (higher is better) has not improved on its best by
    more than ``tol`` at ``patience`` checks in a row, checking every ``every`` iterations.

    When it stops training, with ``restore_best`` it first gives the model back the weights of
    its best check (the history still runs to the iteration that stopped it); a fit that
    reaches ``max_iter`` first keeps its last weights. After a fit,
    ``best_iteration``, ``best_score`` and ``scores`` (``(iteration, score)`` pairs) say what
    it saw; a new fit, one whose first iteration is not after the last seen, starts afresh.
    """

    def __init__(
        self,
        score: Callable[[IterationInfo], float],
        *,
        patience: int = 5,
        every: int = 10,
        tol: float = 0.0,
        restore_best: bool = True,
    ) -> None:
        if patience < 1 or every < 1:
            raise ValueError(f"patience and every must be at least 1, got {patience}, {every}")
        self.score, self.patience, self.every = score, patience, every
        self.tol, self.restore_best = tol, restore_best
        self._reset()

    def _reset(self) -> None:
        self.scores: list[tuple[int, float]] = []
        self.best_iteration: int | None = None
        self.best_score = -math.inf
        self._best_state: dict[str, Any] | None = None
        self._worse = 0  # checks in a row without an improvement

    def __call__(self, info: IterationInfo) -> None:
        if self.scores and info.iteration <= self.scores[-1][0]:
            self._reset()  # another fit
        if info.iteration % self.every:
            return
        value = float(self.score(info))
        self.scores.append((info.iteration, value))
        if value > self.best_score + self.tol:
            self.best_iteration, self.best_score, self._worse = info.iteration, value, 0
            if self.restore_best:
                self._best_state = copy.deepcopy(info.model.state_dict())
            return
        self._worse += 1
        if self._worse >= self.patience:
            if self._best_state is not None:
                info.model.load_state_dict(self._best_state)
            raise StopTraining(
                f"no improvement on {self.best_score:.6g} (iteration {self.best_iteration}) "
                f"in {self.patience} checks"
            )


def reconstruction_score(x: Any) -> Callable[[IterationInfo], float]:
    """A score for :class:`EarlyStopping`: minus the mean of ``||x - x'||^2 / 2`` over the
    rows of ``x`` (held-out data), as ``MSAETransformer.score_samples`` gives it per row."""
    rows = np.asarray(x)
    return lambda info: float(info.score_samples(rows).mean())
