"""Weight penalties and sparsity terms of the auto-encoder objective, looked up by name.

Weight penalties take the encoder weight ``W`` (m x d) and the decoder weight ``W'`` (d x m)
and return an *unscaled* value; the model multiplies it by lambda.

Sparsity terms take the mean hidden activation ``rho_hat`` (shape (m,)) and the target ``rho``
and return the sum over hidden units; the model multiplies it by beta.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

# Mean activations are clamped this far inside (0, 1) before any logarithm: a sigmoid can round
# to exactly 0 or 1 in float32, where KL and JS are infinite.
_CLAMP = 1e-7


def l2_penalty(w: Tensor, w_dec: Tensor, smoothing: float = 0.0) -> Tensor:
    """Classic weight decay ``(1/2)(||W||_F^2 + ||W'||_F^2)`` on both weight matrices."""
    del smoothing  # smooth already
    return 0.5 * (w.square().sum() + w_dec.square().sum())


def group_norms(w: Tensor, dim: int, smoothing: float = 0.0) -> Tensor:
    """L2 norms of the rows (``dim=1``) or columns (``dim=0``) of ``w``.

    With ``smoothing = eps > 0`` each norm is ``sqrt(||g||^2 + eps^2) - eps``: differentiable at
    zero (where the exact norm is not) and equal to the exact norm up to ``eps``.
    """
    sq = w.square().sum(dim=dim)
    if smoothing > 0.0:
        return torch.sqrt(sq + smoothing**2) - smoothing
    return torch.sqrt(sq)


def l21_penalty(w: Tensor, w_dec: Tensor, smoothing: float = 0.0) -> Tensor:
    """L2,1 norm of the encoder weight over rows *and* columns (the paper's Eq. 12).

    ``sum_j ||W[j, :]||_2 + sum_i ||W[:, i]||_2``. A zero row is a dead hidden unit, a zero
    column an unused input feature; both can be pruned. The decoder weight is not penalised
    (the paper constrains "the weights between the input and hidden layer").
    """
    del w_dec
    return group_norms(w, 1, smoothing).sum() + group_norms(w, 0, smoothing).sum()


def no_penalty(w: Tensor, w_dec: Tensor, smoothing: float = 0.0) -> Tensor:
    del w_dec, smoothing
    return w.new_zeros(())


WeightPenalty = Callable[..., Tensor]
WEIGHT_PENALTIES: dict[str, WeightPenalty] = {
    "none": no_penalty,
    "l2": l2_penalty,
    "l21": l21_penalty,
}


def _bernoulli_kl(p: Tensor | float, q: Tensor) -> Tensor:
    return p * torch.log(p / q) + (1.0 - p) * torch.log((1.0 - p) / (1.0 - q))


def kl_sparsity(rho_hat: Tensor, rho: float, smoothing: float = 0.0) -> Tensor:
    """``sum_j KL(Bernoulli(rho) || Bernoulli(rho_hat_j))`` (the classic sparse-AE term, Eq. 3)."""
    del smoothing  # smooth already
    return _bernoulli_kl(rho, rho_hat.clamp(_CLAMP, 1.0 - _CLAMP)).sum()


def js_sparsity(rho_hat: Tensor, rho: float, smoothing: float = 0.0) -> Tensor:
    """``sum_j JS(Bernoulli(rho), Bernoulli(rho_hat_j))`` with the mixture M = (P + Q) / 2."""
    del smoothing  # smooth already
    q = rho_hat.clamp(_CLAMP, 1.0 - _CLAMP)
    m = 0.5 * (q + rho)
    return (0.5 * _bernoulli_kl(rho, m) + 0.5 * _bernoulli_kl(q, m)).sum()


def wasserstein_sparsity(rho_hat: Tensor, rho: float, smoothing: float = 0.0) -> Tensor:
    """``sum_j W1(delta_rho, delta_rho_hat_j) = sum_j |rho_hat_j - rho|`` (Eq. 7).

    Between two point masses the 1-Wasserstein distance is the distance of the points, so the
    gradient is +-1 (Fig. 14 of the paper); at the kink torch uses 0, a valid subgradient.
    With ``smoothing = eps > 0`` each distance is ``sqrt(d^2 + eps^2) - eps`` (pseudo-Huber):
    the gradient is still +-1 farther than a few eps from rho, but L-BFGS, which assumes a
    smooth objective, no longer stalls at the kink.
    """
    diff = rho_hat - rho
    if smoothing > 0.0:
        return (torch.sqrt(diff.square() + smoothing**2) - smoothing).sum()
    return diff.abs().sum()


def no_sparsity(rho_hat: Tensor, rho: float, smoothing: float = 0.0) -> Tensor:
    del rho, smoothing
    return rho_hat.new_zeros(())


SparsityTerm = Callable[..., Tensor]
SPARSITY_TERMS: dict[str, SparsityTerm] = {
    "none": no_sparsity,
    "kl": kl_sparsity,
    "js": js_sparsity,
    "wasserstein": wasserstein_sparsity,
}


def group_shrink(w: Tensor, threshold: float, dim: int) -> Tensor:
    """Proximal operator of ``threshold * sum ||g||_2`` over rows (``dim=1``) or columns (0).

    Each group is scaled by ``max(0, 1 - threshold / ||g||)``: groups with norm at most
    ``threshold`` become exactly zero.
    """
    norms = w.square().sum(dim=dim, keepdim=True).sqrt()
    scale = torch.clamp(1.0 - threshold / norms.clamp_min(torch.finfo(w.dtype).tiny), min=0.0)
    return w * scale
