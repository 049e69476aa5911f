"""Softmax (multinomial logistic regression) on hidden features, fitted with L-BFGS.

The objective is the mean cross-entropy plus ``(alpha / 2) ||coef||_F^2`` (the intercept is not
penalised). The default, ``DEFAULT_ALPHA = 1e-4``, is the weight decay of the softmax in
Stanford's UFLDL tutorial, a common companion of MATLAB auto-encoder code (the paper does not
state its classifier's); it keeps the problem well-posed when the classes are separable in
feature space. It is not always negligible: on Pendigits (16 inputs) it costs several points of
accuracy against 1e-6 or 1e-8 on a validation split (``docs/results/tuning``), so tune it there
(``classifier_alpha``) rather than assume it away.

:func:`fine_tune` optionally trains the encoder and the softmax together on the same objective
afterwards (supervised fine-tuning). The paper describes no such step; it is off by default.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

DEFAULT_ALPHA = 1e-4


def fit_softmax(
    features: Tensor,
    labels: Tensor,
    n_classes: int,
    *,
    alpha: float = DEFAULT_ALPHA,
    max_iter: int = 200,
) -> tuple[Tensor, Tensor]:
    """Return ``(coef (K, m), intercept (K,))`` minimising the regularised cross-entropy."""
    coef = torch.zeros(n_classes, features.shape[1], dtype=features.dtype, device=features.device)
    intercept = torch.zeros(n_classes, dtype=features.dtype, device=features.device)
    return _minimise(lambda: features, labels, coef, intercept, [], alpha, max_iter)


def fine_tune(
    encode: Callable[[Tensor], Tensor],
    encoder_params: Sequence[Tensor],
    x: Tensor,
    labels: Tensor,
    coef: Tensor,
    intercept: Tensor,
    *,
    alpha: float = DEFAULT_ALPHA,
    max_iter: int = 100,
) -> tuple[Tensor, Tensor]:
    """Supervised fine-tuning: minimise the softmax objective of :func:`fit_softmax` on the
    features ``encode(x)`` over the softmax *and* the encoder's parameters together, starting
    from the fitted softmax ``coef``, ``intercept``.

    ``encoder_params`` (leaf tensors that ``encode`` reads) are updated in place; the new
    ``(coef, intercept)`` are returned. The encoder gets no penalty of its own, as in the
    fine-tuning of UFLDL's stacked auto-encoder.
    """
    return _minimise(
        lambda: encode(x), labels, coef.clone(), intercept.clone(), encoder_params, alpha, max_iter
    )


def _minimise(
    features: Callable[[], Tensor],
    labels: Tensor,
    coef: Tensor,
    intercept: Tensor,
    others: Sequence[Tensor],
    alpha: float,
    max_iter: int,
) -> tuple[Tensor, Tensor]:
    """L-BFGS on the cross-entropy of the softmax (``coef``, ``intercept``) on ``features()``
    plus ``(alpha / 2) ||coef||^2``, over the softmax and ``others``."""
    coef.requires_grad_(True)
    intercept.requires_grad_(True)
    opt = torch.optim.LBFGS(
        [coef, intercept, *others],
        lr=1.0,
        max_iter=max_iter,
        history_size=20,
        tolerance_grad=1e-7,
        tolerance_change=1e-10,
        line_search_fn="strong_wolfe",
    )

    def closure() -> Tensor:
        opt.zero_grad()
        logits = torch.addmm(intercept, features(), coef.T)
        loss = F.cross_entropy(logits, labels) + 0.5 * alpha * coef.square().sum()
        loss.backward()
        return loss

    with torch.enable_grad():
        opt.step(closure)
    return coef.detach(), intercept.detach()


def softmax_proba(features: Tensor, coef: Tensor, intercept: Tensor) -> Tensor:
    return torch.softmax(torch.addmm(intercept, features, coef.T), dim=1)
