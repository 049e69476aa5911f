"""Optimisers for the feature models: full-batch L-BFGS and mini-batch Adam, chosen by name.

*Iterations* are optimiser iterations for L-BFGS (the paper's MATLAB setting, as in minFunc)
and epochs for Adam. After each one the trainer records the loss terms and the model's
diagnostics, and calls the callbacks with an :class:`IterationInfo`.

With ``TrainConfig.checkpoint`` set, the trainer saves the model, the solver's state and the
history every ``checkpoint_every`` iterations (atomically), and a later fit with the same path
resumes from there: a long run that was killed loses at most ``checkpoint_every`` iterations,
and ends with the same weights as one that was not. The file is deleted when training ends.

A non-smooth L2,1 penalty is handled per solver: L-BFGS minimises its smoothed form and then
runs ``polish_iter`` proximal-gradient (ISTA) steps with a backtracking line search on the exact
objective, which sets the groups whose optimum is zero to exactly zero; Adam takes a proximal
group-shrinkage step after every update.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter
from typing import Any

import numpy as np
import torch
from torch import Tensor

from msae.models.base import FeatureModel, reconstruction_scores


class TrainingDivergedError(FloatingPointError):
    """A loss term became NaN or infinite."""


class CheckpointError(ValueError):
    """A training checkpoint cannot be read, or was written by a different fit."""


class StopTraining(Exception):
    """Raised by a callback to end training after the iteration it was shown (early stopping).

    The other callbacks still see that iteration; the model keeps the weights it has then
    (a callback may have set others, as :class:`msae.callbacks.EarlyStopping` does), and after
    L-BFGS the L2,1 polish still runs. ``fit`` returns normally, ``n_iter_`` that iteration.
    """


@dataclass
class TrainConfig:
    solver: str = "lbfgs"
    max_iter: int = 100
    batch_size: int = 256
    learning_rate: float = 1e-3
    history_size: int = 20
    polish_iter: int = 30
    seed: int = 0
    checkpoint: str | Path | None = None  # file to save the training state to and resume from
    checkpoint_every: int = 10  # iterations between saves
    # L-BFGS hands back an evaluation it already made at the same point, and each polish step
    # starts from its predecessor's last evaluation; False evaluates every point torch's LBFGS
    # asks for and every polish start again (a reference for tests and benchmarks: the same
    # weights).
    reuse_evaluations: bool = True
    # How float32 matrix products are computed while training (MATMUL_PRECISIONS).
    matmul_precision: str = "ieee"


# float32 matrix products: "ieee" exactly; "bf16" on the CPU through oneDNN, with the inputs
# rounded to bfloat16 and float32 accumulation (fast where the CPU has AMX or AVX512-BF16);
# "tf32" on CUDA tensor cores. Each is a setting of torch's backend for that device.
MATMUL_PRECISIONS = {"ieee": ("cpu", "cuda"), "bf16": ("cpu",), "tf32": ("cuda",)}


def check_matmul_precision(precision: str, device: torch.device) -> None:
    """ValueError for a precision that ``device``'s backend does not offer."""
    if device.type not in MATMUL_PRECISIONS.get(precision, ()):
        offered = [name for name, kinds in MATMUL_PRECISIONS.items() if device.type in kinds]
        raise ValueError(
            f"matmul_precision {precision!r} is not offered on {device.type}; choose from {offered}"
        )


def matmul_precision(precision: str, device: torch.device) -> AbstractContextManager[None]:
    """A block in which float32 matrix products on ``device`` run at ``precision`` (a key of
    :data:`MATMUL_PRECISIONS`), restoring the process's setting after it; ValueError at once
    (:func:`check_matmul_precision`)."""
    check_matmul_precision(precision, device)
    cuda = device.type == "cuda"
    # torch's type stubs do not declare mkldnn.matmul.
    backend = torch.backends.cuda.matmul if cuda else torch.backends.mkldnn.matmul  # type: ignore[attr-defined]
    return _fp32_precision(backend, precision)


@contextmanager
def _fp32_precision(backend: Any, precision: str) -> Iterator[None]:
    before = backend.fp32_precision
    backend.fp32_precision = precision
    try:
        yield
    finally:
        backend.fp32_precision = before


@dataclass
class IterationInfo:
    """What a callback sees after each iteration."""

    iteration: int
    loss: float
    terms: dict[str, float]
    model: FeatureModel = field(repr=False)

    def transform(self, x: np.ndarray) -> np.ndarray:
        """Hidden features of ``x`` under the model as it is now."""
        with torch.no_grad():
            return self.model.encode(self._tensor(x)).cpu().numpy()

    def score_samples(self, x: np.ndarray) -> np.ndarray:
        """Minus half the squared reconstruction error of each row of ``x`` under the model as
        it is now (:func:`msae.models.base.reconstruction_scores`)."""
        return reconstruction_scores(self.model, self._tensor(x)).cpu().numpy()

    def _tensor(self, x: np.ndarray) -> Tensor:
        param = next(self.model.parameters())
        # Row-major, as the estimators read X: the products then sum in the same order.
        x = np.ascontiguousarray(x)
        return torch.as_tensor(x, dtype=param.dtype, device=param.device)


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


class Checkpointer:
    """Saves the training state to one file, atomically, and reads it back for a resumed fit.

    The state carries a fingerprint of the fit (model configuration, solver settings, seed and
    data), so that a checkpoint is never resumed by a fit it does not belong to.
    """

    def __init__(self, path: str | Path, every: int, fingerprint: str) -> None:
        if every < 1:
            raise ValueError(f"checkpoint_every must be at least 1, got {every}")
        self.path, self.every, self.fingerprint = Path(path), every, fingerprint

    def load(self) -> dict[str, Any] | None:
        """The saved state, or None when there is no checkpoint yet."""
        if not self.path.exists():
            return None
        state = read_checkpoint(self.path)
        if state.get("fingerprint") != self.fingerprint:
            raise CheckpointError(
                f"{self.path} was written by a different fit (model, solver settings, seed or "
                "data differ); delete it to train from the start, or choose another path"
            )
        return state

    def save(self, state: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(self.path.name + ".partial")
        torch.save({**state, "fingerprint": self.fingerprint}, partial)
        os.replace(partial, self.path)  # a kill mid-save leaves the previous checkpoint whole

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


def read_checkpoint(path: str | Path, *, mmap: bool = False) -> dict[str, Any]:
    """A checkpoint's state (tensors on the CPU); :class:`CheckpointError` if unreadable.

    ``mmap`` maps the tensors instead of reading them: a few milliseconds for a caller that
    wants only the iteration or the time saved, where reading a 300 MB file takes seconds.
    """
    try:
        state = torch.load(path, map_location="cpu", weights_only=True, mmap=mmap)
    except Exception as exc:  # torch raises several types for a damaged file
        raise CheckpointError(
            f"{path} is not a readable msae training checkpoint ({exc}); delete it to train "
            "from the start"
        ) from exc
    if not isinstance(state, dict) or "iteration" not in state:
        raise CheckpointError(f"{path} is not an msae training checkpoint (no iteration saved)")
    return state


def fingerprint(model: FeatureModel, x: Tensor, cfg: TrainConfig) -> str:
    """What a checkpoint must match to be resumed; ``max_iter`` may change (a run can grow)."""
    settings: tuple[object, ...] = (
        cfg.solver,
        cfg.batch_size,
        cfg.learning_rate,
        cfg.history_size,
        cfg.seed,
    )
    if cfg.matmul_precision != "ieee":  # so that the checkpoints of exact fits keep their key
        settings += (cfg.matmul_precision,)
    # A hash of the bytes, not a sum: a sum's rounding depends on the number of threads.
    values = np.ascontiguousarray(x.detach().cpu().numpy())
    data = (tuple(x.shape), str(x.dtype), hashlib.blake2b(values.data, digest_size=16).hexdigest())
    return repr((sorted(model.config.to_dict().items()), settings, data))


class Recorder:
    """Turns evaluated terms into history rows, feeds the callbacks and keeps the checkpoint.

    Solvers call :meth:`resume` once before their loop and :meth:`save` after each iteration.
    """

    def __init__(
        self,
        model: FeatureModel,
        callbacks: list[Callback],
        checkpointer: Checkpointer | None = None,
    ) -> None:
        self.model = model
        self.callbacks = callbacks
        self.checkpointer = checkpointer
        self.history: list[dict[str, float]] = []
        self.started = perf_counter()
        self.earlier = 0.0  # optimiser seconds spent by the fits this one resumes
        self.stop = False  # a callback raised StopTraining: solvers end after this iteration

    def __call__(self, iteration: int, loss: float, terms: dict[str, float]) -> None:
        row = {"iteration": iteration, "loss": loss, **terms, **self.model.diagnostics()}
        self.history.append(row)
        info = IterationInfo(iteration, loss, terms, self.model)
        for callback in self.callbacks:
            try:
                callback(info)
            except StopTraining:
                self.stop = True

    def resume(self) -> tuple[int, dict[str, Any]]:
        """(last iteration done, the solver's saved state); (0, {}) for a fresh start."""
        state = self.checkpointer.load() if self.checkpointer else None
        if state is None:
            return 0, {}
        self.model.load_state_dict(state["model"])
        self.model.set_random_state(state["random"])
        self.history = state["history"]
        self.earlier = state["elapsed"]
        return state["iteration"], state["solver"]

    def save(self, iteration: int, solver: Callable[[], dict[str, Any]], last: bool) -> None:
        """Checkpoint every ``every`` iterations and at the last; ``solver()`` is its state."""
        ckpt = self.checkpointer
        if ckpt is None or not (last or iteration % ckpt.every == 0):
            return
        ckpt.save(
            {
                "iteration": iteration,
                "model": self.model.state_dict(),
                "random": self.model.random_state(),
                "solver": solver(),
                "history": self.history,
                "elapsed": self.earlier + perf_counter() - self.started,
            }
        )


def _floats(terms: dict[str, Tensor]) -> dict[str, float]:
    return {k: float(v.detach()) for k, v in terms.items()}


def _grad_copies(params: list[Tensor]) -> list[Tensor]:
    """Copies of the gradients that the last backward pass left on ``params``."""
    copies = []
    for p in params:
        assert p.grad is not None  # backward() gives every trainable parameter one
        copies.append(p.grad.detach().clone())
    return copies


@dataclass
class _Evaluation:
    point: list[Tensor]  # the parameters it was evaluated at
    loss: Tensor
    grads: list[Tensor]
    terms: dict[str, Tensor]


class _EvaluationMemo:
    """The objective's latest evaluations in one L-BFGS iteration, found again by their point.

    torch's LBFGS evaluates the objective at the start of every ``step()``. We run one
    iteration per step (so that callbacks see each one), and that point is the one the previous
    line search accepted and already evaluated: without the memo every iteration pays for one
    full objective and gradient twice. An evaluation is reused only when the parameters are
    bitwise those it was made at, and for a model whose objective changes between iterations
    (the VAE draws new noise) only within the iteration. Each one holds a copy of the weights
    and of the gradient, so only the last ``size`` are kept: a line search almost always
    accepts one of its last few trial points (the trainer evaluates an older one again).
    """

    def __init__(self, params: list[Tensor], size: int = 4) -> None:
        self.params = params
        self.evaluations: deque[_Evaluation] = deque(maxlen=size)
        self.latest: _Evaluation | None = None  # the last one made, kept or not

    def find(self) -> _Evaluation | None:
        for evaluation in reversed(self.evaluations):
            if all(torch.equal(p, q) for p, q in zip(self.params, evaluation.point, strict=True)):
                return evaluation
        return None

    def add(self, loss: Tensor, terms: dict[str, Tensor]) -> None:
        self.latest = _Evaluation(
            [p.detach().clone() for p in self.params],
            loss.detach(),
            _grad_copies(self.params),
            {k: v.detach() for k, v in terms.items()},
        )
        self.evaluations.append(self.latest)

    def keep_only(self, evaluation: _Evaluation | None) -> None:
        """Forget every evaluation but ``evaluation``, or all of them."""
        self.evaluations.clear()
        if evaluation is not None:
            self.evaluations.append(evaluation)


def _fit_lbfgs(model: FeatureModel, data: dict[str, Tensor], cfg: TrainConfig, rec: Recorder):
    model.proximal, model.smooth = False, True
    params = model.trainable_parameters()
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
    iteration, saved = rec.resume()
    previous = saved.get("previous", math.inf)
    if saved:
        opt.load_state_dict(saved["optimizer"])
    memo = _EvaluationMemo(params)
    start = cfg.max_iter + 1 if saved.get("converged") else iteration + 1
    for iteration in range(start, cfg.max_iter + 1):

        def closure(iteration: int = iteration) -> Tensor:
            found = memo.find() if cfg.reuse_evaluations else None
            if found is not None:
                for p, grad in zip(params, found.grads, strict=True):
                    assert p.grad is not None  # zero_grad keeps them (set_to_none=False)
                    p.grad.copy_(grad)
                return found.loss
            opt.zero_grad(set_to_none=False)
            loss, terms = evaluate(model, data, iteration)
            loss.backward()
            memo.add(loss, terms)
            return loss

        model.new_iteration()  # e.g. the VAE's noise: fixed within one line search
        if model.stochastic:
            memo.keep_only(None)  # the objective has changed: nothing evaluated before holds
        opt.step(closure)
        # The point the line search accepted (not always the last one it tried), for the
        # history and for the next step(); evaluated again only if a long search evicted it.
        accepted = memo.find()
        if accepted is None:
            closure()
            accepted = memo.latest
            assert accepted is not None  # the closure has just evaluated
        memo.keep_only(accepted)
        loss = accepted.loss.item()
        rec(iteration, loss, _floats(accepted.terms))
        # Converged when L-BFGS makes no further progress; a callback may also stop it. A
        # checkpoint of either goes straight to the polish when resumed.
        converged = abs(previous - loss) <= 1e-12 * max(1.0, abs(loss)) or rec.stop
        previous = loss

        def state(previous: float = previous, converged: bool = converged) -> dict[str, Any]:
            return {"optimizer": opt.state_dict(), "previous": previous, "converged": converged}

        rec.save(iteration, state, converged or iteration == cfg.max_iter)  # built if saved
        if converged:
            break
    if model.uses_nonsmooth_penalty():
        _polish(model, data, cfg, params)
        with torch.no_grad():
            polished, terms = evaluate(model, data, iteration)
        rec.history.append(
            {
                "iteration": iteration,
                "loss": polished.item(),
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
    """Proximal gradient with backtracking (Beck and Teboulle 2009) on the exact penalty.

    Each step starts where the last one's line search stopped, a point it has evaluated: with
    ``cfg.reuse_evaluations`` the trial points keep their graph, so that this start costs a
    backward pass and no forward pass (about a third fewer evaluations, the same weights).
    """
    model.proximal = True
    step = 1.0
    f0: Tensor | None = None  # the objective at the current point, with its graph
    for _ in range(cfg.polish_iter):
        step *= 2.0  # let the step grow back after a cautious one
        for p in params:
            p.grad = None
        if f0 is None:
            f0 = _smooth_objective(model, data)
        f0.backward()
        f0 = f0.detach()
        start = [p.detach().clone() for p in params]
        grads = _grad_copies(params)
        f1 = None
        while step > 1e-12:
            with torch.no_grad():
                for p, p0, g in zip(params, start, grads, strict=True):
                    p.copy_(p0 - step * g)
                model.proximal_step(step)
            with torch.set_grad_enabled(cfg.reuse_evaluations):
                f1 = _smooth_objective(model, data)
            with torch.no_grad():
                moved = [p - p0 for p, p0 in zip(params, start, strict=True)]
                linear = sum((g * d).sum() for g, d in zip(grads, moved, strict=True))
                quad = sum(d.square().sum() for d in moved) / (2.0 * step)
            if f1 <= f0 + linear + quad:
                break
            step *= 0.5
        # The parameters are at the last trial point (accepted, or the smallest step tried).
        f0 = f1 if cfg.reuse_evaluations else None
    model.proximal = False


def _batches(n: int, batch_size: int, generator: torch.Generator) -> Iterator[Tensor]:
    order = torch.randperm(n, generator=generator)
    yield from order.split(batch_size)


def _fit_adam(model: FeatureModel, data: dict[str, Tensor], cfg: TrainConfig, rec: Recorder):
    params = model.trainable_parameters()
    opt = torch.optim.Adam(params, lr=cfg.learning_rate)
    generator = torch.Generator().manual_seed(cfg.seed)
    done, saved = rec.resume()
    if saved:
        opt.load_state_dict(saved["optimizer"])
        generator.set_state(saved["batches"])
    for epoch in range(done + 1, cfg.max_iter + 1):
        terms = _adam_epoch(model, data, opt, generator, cfg, epoch)
        rec(epoch, sum(terms.values()), terms)
        if rec.stop:
            break
        rec.save(
            epoch,
            lambda: {"optimizer": opt.state_dict(), "batches": generator.get_state()},
            epoch == cfg.max_iter,
        )


def _adam_epoch(
    model: FeatureModel,
    data: dict[str, Tensor],
    opt: torch.optim.Optimizer,
    generator: torch.Generator,
    cfg: TrainConfig,
    epoch: int,
) -> dict[str, float]:
    """One pass over ``data`` in shuffled mini-batches, each an Adam step on the smooth part of
    the objective and then the proximal step of the non-smooth one; the terms' means."""
    first = next(iter(data.values()))
    n, device = first.shape[0], first.device
    sums: dict[str, float] = {}
    model.proximal, model.smooth = True, False
    try:
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
    finally:
        model.proximal, model.smooth = False, True
    return sums


SOLVERS: dict[str, Callable[[FeatureModel, dict, TrainConfig, Recorder], None]] = {
    "lbfgs": _fit_lbfgs,
    "adam": _fit_adam,
}


def flush_denormals() -> None:
    """Flush denormal floats to zero (x86's FTZ and DAZ) in this thread, and in torch's CPU
    threads started after this call.

    Near zero, a saturated sigmoid's outputs and gradients fall below float32's smallest normal
    number (1.2e-38), and a matrix product that meets such numbers runs several times slower on
    x86: 100 L-BFGS iterations of LR21-MSAE at beta = 1e-7 on 5000 MNIST rows took 3.6 times as
    long (``bench/bench_denormals.py``, docs/performance.md). Flushed, they are zeros, which
    left the weights there bitwise the same.
    The flag belongs to a thread, so the ``msae`` commands and the sweeps' workers call this
    before their first torch operation, and :func:`train` sets it in the thread it trains in.
    """
    torch.set_flush_denormal(True)


def _flushing_denormals() -> bool:
    """Whether this thread flushes denormals: 1e-30 x 1e-10 (1e-40, a float32 denormal) is 0."""
    tiny = torch.tensor([1e-30], dtype=torch.float32) * torch.tensor([1e-10], dtype=torch.float32)
    return tiny.item() == 0.0


@contextmanager
def _training(model: FeatureModel, x: Tensor, cfg: TrainConfig) -> Iterator[dict[str, Tensor]]:
    """The model in training mode on ``x``'s prepared inputs (its pyramid levels), with
    ``cfg``'s matrix-product precision and denormals flushed in this thread, each restored
    after the block."""
    precision = matmul_precision(cfg.matmul_precision, x.device)  # checks the name first
    model.train()
    with torch.no_grad():
        data = model.prepare(x)
    flushing = _flushing_denormals()
    flush_denormals()
    try:
        with precision:
            yield data
    finally:
        torch.set_flush_denormal(flushing)  # this thread's flag as the caller had it
        model.eval()


def train(
    model: FeatureModel,
    x: Tensor,
    cfg: TrainConfig,
    callbacks: list[Callback] | None = None,
) -> list[dict[str, float]]:
    """Fit ``model`` to ``x`` in place; returns the per-iteration history.

    With ``cfg.checkpoint`` a fit resumes from the state saved there by an earlier one that was
    interrupted; callbacks then see only the iterations run by this one (the history has all).
    """
    if cfg.solver not in SOLVERS:
        raise ValueError(f"unknown solver {cfg.solver!r}; choose from {sorted(SOLVERS)}")
    checkpointer = None
    if cfg.checkpoint is not None:
        checkpointer = Checkpointer(
            cfg.checkpoint, cfg.checkpoint_every, fingerprint(model, x, cfg)
        )
    recorder = Recorder(model, list(callbacks or []), checkpointer)
    with _training(model, x, cfg) as data:
        SOLVERS[cfg.solver](model, data, cfg, recorder)
    if checkpointer is not None:
        checkpointer.remove()
    return recorder.history


class IncrementalTrainer:
    """Mini-batch Adam one pass at a time, over whatever rows each call brings: the training
    behind ``partial_fit``, for data that does not fit in memory or arrives as a stream.

    Adam's moments, the batch-order generator and the history carry over from one
    :meth:`partial_fit` to the next, so that passes over the chunks of a data set, in turn,
    train as one fit over the whole would in expectation (not bitwise: the mini-batches are
    drawn within each chunk). Each pass is one iteration for the history and the callbacks;
    whether to make another is the caller's choice (a callback's :class:`StopTraining` only
    sets ``recorder.stop``).
    """

    def __init__(
        self,
        model: FeatureModel,
        cfg: TrainConfig,
        callbacks: list[Callback] | None = None,
        *,
        passes: int = 0,  # made before, by earlier trainers of the model: the count goes on
    ) -> None:
        if cfg.solver != "adam":
            raise ValueError(f"incremental training needs the adam solver, not {cfg.solver!r}")
        self.model, self.cfg = model, cfg
        params = model.trainable_parameters()
        self.optimizer = torch.optim.Adam(params, lr=cfg.learning_rate)
        self.generator = torch.Generator().manual_seed(cfg.seed)
        self.recorder = Recorder(model, list(callbacks or []))
        self.passes = passes

    def partial_fit(self, x: Tensor) -> dict[str, float]:
        """One pass of mini-batches over the rows of ``x``; its history row."""
        self.passes += 1
        with _training(self.model, x, self.cfg) as data:
            terms = _adam_epoch(
                self.model, data, self.optimizer, self.generator, self.cfg, self.passes
            )
            self.recorder(self.passes, sum(terms.values()), terms)
        return self.recorder.history[-1]
