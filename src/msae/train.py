"""Optimisers for the feature models: full-batch L-BFGS and mini-batch Adam, chosen by name.

*Iterations* are optimiser iterations for L-BFGS (the paper's MATLAB setting, as in minFunc)
and epochs for Adam. After each one the trainer records the loss terms and the model's
diagnostics, and calls the callbacks with an :class:`IterationInfo`.

A non-smooth L2,1 penalty is handled per solver: L-BFGS minimises its smoothed form and then
runs ``polish_iter`` proximal-gradient (ISTA) steps with a backtracking line search on the exact
objective, which sets the groups whose optimum is zero to exactly zero; Adam takes a proximal
group-shrinkage step after every update.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor

from msae.models.base import FeatureModel


class TrainingDivergedError(FloatingPointError):
    """A loss term became NaN or infinite."""


@dataclass
class TrainConfig:
    solver: str = "lbfgs"
    max_iter: int = 100
    batch_size: int = 256
    learning_rate: float = 1e-3
    history_size: int = 20
    polish_iter: int = 30
    seed: int = 0


@dataclass
class IterationInfo:
    """What a callback sees after each iteration."""

    iteration: int
    loss: float
    terms: dict[str, float]
    model: FeatureModel = field(repr=False)

    def transform(self, x: np.ndarray) -> np.ndarray:
        """Hidden features of ``x`` under the model as it is now."""
        param = next(self.model.parameters())
        with torch.no_grad():
            t = torch.as_tensor(np.asarray(x), dtype=param.dtype, device=param.device)
            return self.model.encode(t).cpu().numpy()


Callback = Callable[[IterationInfo], None]


def evaluate(model: FeatureModel, batch: dict[str, Tensor], iteration: int) -> tuple[Tensor, dict]:
    """Objective and its terms; stops with a clear error if any term is not finite."""
    loss, terms = model.objective(batch)
    if not torch.isfinite(loss):
        bad = [name for name, value in terms.items() if not torch.isfinite(value)]
        raise TrainingDivergedError(
            f"training diverged at iteration {iteration}: loss term(s) {', '.join(bad)} "
            f"became {', '.join(str(terms[b].item()) for b in bad)}; lower the learning rate, "
            "lambda or beta, or check the input for extreme values"
        )
    return loss, terms


class _Recorder:
    """Turns evaluated terms into history rows and feeds the callbacks."""

    def __init__(self, model: FeatureModel, callbacks: list[Callback]) -> None:
        self.model = model
        self.callbacks = callbacks
        self.history: list[dict[str, float]] = []

    def __call__(self, iteration: int, loss: float, terms: dict[str, float]) -> None:
        row = {"iteration": iteration, "loss": loss, **terms, **self.model.diagnostics()}
        self.history.append(row)
        info = IterationInfo(iteration, loss, terms, self.model)
        for callback in self.callbacks:
            callback(info)


def _floats(terms: dict[str, Tensor]) -> dict[str, float]:
    return {k: float(v.detach()) for k, v in terms.items()}


def _fit_lbfgs(model: FeatureModel, data: dict[str, Tensor], cfg: TrainConfig, rec: _Recorder):
    model.proximal, model.smooth = False, True
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.LBFGS(
        params,
        lr=1.0,
        max_iter=1,  # one optimiser iteration per step(): callbacks see every iteration
        max_eval=25,
        history_size=cfg.history_size,
        tolerance_grad=1e-12,
        tolerance_change=1e-15,
        line_search_fn="strong_wolfe",
    )
    previous = math.inf
    for iteration in range(1, cfg.max_iter + 1):
        last: dict[str, object] = {}

        def closure(iteration: int = iteration, last: dict = last) -> Tensor:
            opt.zero_grad(set_to_none=False)
            loss, terms = evaluate(model, data, iteration)
            loss.backward()
            last["loss"], last["terms"] = loss.item(), terms
            return loss

        model.new_iteration()  # e.g. the VAE's noise: fixed within one line search
        opt.step(closure)
        loss = float(last["loss"])
        rec(iteration, loss, _floats(last["terms"]))
        if abs(previous - loss) <= 1e-12 * max(1.0, abs(loss)):
            break  # converged: L-BFGS makes no further progress
        previous = loss
    if model.uses_nonsmooth_penalty():
        _polish(model, data, cfg, params)
        with torch.no_grad():
            loss, terms = evaluate(model, data, iteration)
        rec.history.append(
            {
                "iteration": iteration,
                "loss": loss.item(),
                **_floats(terms),
                **model.diagnostics(),
                "polish_steps": cfg.polish_iter,
            }
        )


def _smooth_objective(model: FeatureModel, data: dict[str, Tensor]) -> Tensor:
    loss, terms = model.objective(data)
    # The non-smooth part is handled by the proximal step (and carries no gradient here).
    return loss - terms["weight"].detach() if "weight" in terms else loss


def _polish(model: FeatureModel, data: dict, cfg: TrainConfig, params: list[Tensor]) -> None:
    """Proximal gradient with backtracking (Beck and Teboulle 2009) on the exact penalty."""
    model.proximal = True
    step = 1.0
    for _ in range(cfg.polish_iter):
        step *= 2.0  # let the step grow back after a cautious one
        for p in params:
            p.grad = None
        f0 = _smooth_objective(model, data)
        f0.backward()
        start = [p.detach().clone() for p in params]
        grads = [p.grad.detach().clone() for p in params]
        while step > 1e-12:
            with torch.no_grad():
                for p, p0, g in zip(params, start, grads, strict=True):
                    p.copy_(p0 - step * g)
                model.proximal_step(step)
                f1 = _smooth_objective(model, data)
                moved = [p - p0 for p, p0 in zip(params, start, strict=True)]
                linear = sum((g * d).sum() for g, d in zip(grads, moved, strict=True))
                quad = sum(d.square().sum() for d in moved) / (2.0 * step)
            if f1 <= f0.detach() + linear + quad:
                break
            step *= 0.5
    model.proximal = False


def _batches(n: int, batch_size: int, generator: torch.Generator) -> Iterator[Tensor]:
    order = torch.randperm(n, generator=generator)
    yield from order.split(batch_size)


def _fit_adam(model: FeatureModel, data: dict[str, Tensor], cfg: TrainConfig, rec: _Recorder):
    model.proximal, model.smooth = True, False
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=cfg.learning_rate)
    generator = torch.Generator().manual_seed(cfg.seed)
    first = next(iter(data.values()))
    n, device = first.shape[0], first.device
    for epoch in range(1, cfg.max_iter + 1):
        sums: dict[str, float] = {}
        for index in _batches(n, cfg.batch_size, generator):
            index = index.to(device)
            batch = {k: v.index_select(0, index) for k, v in data.items()}
            opt.zero_grad(set_to_none=True)
            model.new_iteration()
            loss, terms = evaluate(model, batch, epoch)
            loss.backward()
            opt.step()
            model.proximal_step(cfg.learning_rate)
            for k, v in _floats(terms).items():
                sums[k] = sums.get(k, 0.0) + v * len(index) / n
        rec(epoch, sum(sums.values()), sums)
    model.proximal, model.smooth = False, True


SOLVERS: dict[str, Callable[[FeatureModel, dict, TrainConfig, _Recorder], None]] = {
    "lbfgs": _fit_lbfgs,
    "adam": _fit_adam,
}


def train(
    model: FeatureModel,
    x: Tensor,
    cfg: TrainConfig,
    callbacks: list[Callback] | None = None,
) -> list[dict[str, float]]:
    """Fit ``model`` to ``x`` in place; returns the per-iteration history."""
    if cfg.solver not in SOLVERS:
        raise ValueError(f"unknown solver {cfg.solver!r}; choose from {sorted(SOLVERS)}")
    model.train()
    with torch.no_grad():
        data = model.prepare(x)
    recorder = _Recorder(model, list(callbacks or []))
    SOLVERS[cfg.solver](model, data, cfg, recorder)
    model.eval()
    return recorder.history
