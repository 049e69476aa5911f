"""What every model in :mod:`msae.models` provides to the trainer and the estimators.

A model is a ``torch.nn.Module`` built from a :class:`ModelConfig`. The trainer only calls the
methods of :class:`FeatureModel`, so a new model (VAE, VLSAE, ...) plugs in without touching it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, cast

import torch
from torch import Tensor, nn


@dataclass
class ModelConfig:
    """Hyperparameters of the auto-encoder family; the preset fixes the structural choices."""

    n_features: int
    n_components: int = 200
    weight_penalty: str = "l2"  # "none" | "l2" | "l21"  (msae.penalties.WEIGHT_PENALTIES)
    lam: float = 1e-5
    sparsity: str = "none"  # "none" | "kl" | "js" | "wasserstein"  (SPARSITY_TERMS)
    beta: float = 0.1
    rho: float = 0.1
    multiscale: bool = False
    pyramid_levels: int = 2
    image_shape: tuple[int, int, int] | None = None
    # Smoothing of each group norm for the smooth solvers (see msae.penalties.group_norms).
    l21_smoothing: float = 1e-4
    # Pseudo-Huber width of the Wasserstein term for the smooth solvers (penalties.py).
    sparsity_smoothing: float = 1e-2
    extra: dict[str, Any] = field(default_factory=dict)  # model-specific options

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["image_shape"] = list(self.image_shape) if self.image_shape else None
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelConfig:
        d = dict(d)
        if d.get("image_shape") is not None:
            d["image_shape"] = tuple(d["image_shape"])
        return cls(**d)


def glorot_uniform(rows: int, cols: int, generator: torch.Generator, dtype: torch.dtype) -> Tensor:
    """Uniform in +-sqrt(6 / (rows + cols + 1)), the usual sparse auto-encoder initialisation."""
    bound = (6.0 / (rows + cols + 1)) ** 0.5
    return (torch.rand(rows, cols, generator=generator, dtype=dtype) * 2.0 - 1.0) * bound


@torch.no_grad()
def reconstruction_scores(model: FeatureModel, x: Tensor) -> Tensor:
    """Minus half the squared reconstruction error of each row, ``-||x - x'||^2 / 2`` with
    ``x' = decode(encode(x))`` (the auto-encoder's J_AE per row): higher is better."""
    error = x - model.decode(model.encode(x))
    return -0.5 * error.square().sum(1)


class FeatureModel(nn.Module):
    """Interface between a model and :mod:`msae.train`.

    ``prepare`` turns the raw input into the tensors a training step needs (e.g. the pyramid
    levels); they are computed once and sliced along dimension 0 for mini-batches.
    ``loss_terms`` returns the *weighted* terms of the objective, which sum to it.
    """

    config: ModelConfig
    # The encoder's weights (m, d) and biases (m,), which every model has: what ``encode``
    # reads first, and what the estimators expose as ``components_`` and ``intercept_hidden_``.
    weight: Tensor
    bias: Tensor
    # Set by the solver: ``proximal`` leaves a non-smooth penalty out of the gradient (a
    # proximal step handles it); ``smooth`` asks for smoothed forms of non-smooth terms.
    proximal: bool = False
    smooth: bool = True
    # Whether the objective changes from one iteration to the next (e.g. new noise), so that
    # a solver may not reuse an evaluation from an earlier iteration.
    stochastic: bool = False

    def prepare(self, x: Tensor) -> dict[str, Tensor]:
        return {"x": x}

    def loss_terms(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        raise NotImplementedError

    def encode(self, x: Tensor) -> Tensor:
        """Hidden features used downstream (the classifier's input)."""
        raise NotImplementedError

    def decode(self, h: Tensor) -> Tensor:
        """The reconstruction of the input from hidden features ``h``."""
        raise NotImplementedError

    def trainable_parameters(self) -> list[Tensor]:
        """The parameters a solver updates, in a fixed order."""
        return [p for p in self.parameters() if p.requires_grad]

    def proximal_step(self, step_size: float) -> None:
        """Apply the proximal operator of the non-smooth penalty, if any (after a step)."""

    def new_iteration(self) -> None:
        """Called by a solver before each of its iterations (e.g. to draw new noise)."""

    def random_state(self) -> dict[str, Tensor]:
        """States of the model's own random generators, for a training checkpoint."""
        return {}

    def set_random_state(self, state: dict[str, Tensor]) -> None:
        """Restore what :meth:`random_state` returned."""

    def objective(self, batch: dict[str, Tensor]) -> tuple[Tensor, dict[str, Tensor]]:
        """The objective to differentiate and its terms; models may override it for speed."""
        terms = self.loss_terms(batch)
        return cast(Tensor, sum(terms.values())), terms

    def uses_nonsmooth_penalty(self) -> bool:
        return False

    def diagnostics(self) -> dict[str, float]:
        """Cheap per-iteration numbers for callbacks and the history."""
        return {}
