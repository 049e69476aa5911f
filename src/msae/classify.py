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

from collections.abc import Callable, Iterator, Sequence

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
    coef.requires_grad_(True)
    intercept.requires_grad_(True)
    _run(_lbfgs([coef, intercept], max_iter), lambda: features, labels, coef, intercept, alpha)
    return coef.detach(), intercept.detach()


def fine_tune(
    encode: Callable[[Tensor], Tensor],
    encoder_params: Sequence[Tensor],
    x: Tensor,
    labels: Tensor,
    coef: Tensor,
    intercept: Tensor,
    *,
    alpha: float = DEFAULT_ALPHA,
    lengths: Sequence[int],
) -> Iterator[tuple[int, Tensor, Tensor]]:
    """Supervised fine-tuning: minimise the softmax objective of :func:`fit_softmax` on the
    features ``encode(x)`` over the softmax *and* the encoder's parameters together, starting
    from the fitted softmax ``coef``, ``intercept``. The encoder gets no penalty of its own, as
    in the fine-tuning of UFLDL's stacked auto-encoder.

    One run, seen after each of ``lengths`` (increasing numbers of L-BFGS iterations; fewer
    only if the objective stops changing): yields ``(length, coef, intercept)``, with
    ``encoder_params`` (leaf tensors that ``encode`` reads, updated in place) then at that
    length. The optimiser keeps its state from one length to the next, so a length's point is
    that of a run of that length, and scoring several costs one run of the longest.
    """
    if any(b <= a for a, b in zip([0, *lengths], lengths, strict=False)):
        raise ValueError(f"lengths must be increasing positive integers, got {list(lengths)}")
    coef = coef.clone().requires_grad_(True)
    intercept = intercept.clone().requires_grad_(True)
    opt = _lbfgs([coef, intercept, *encoder_params], 1)
    done = 0
    for length in lengths:
        # Up to a full line search (25 evaluations) per iteration: torch's default budget of
        # 1.25 evaluations per iteration could end a run early, and a run split in two early
        # at another point than the whole run.
        opt.param_groups[0].update(max_iter=length - done, max_eval=25 * (length - done) + 1)
        _run(opt, lambda: encode(x), labels, coef, intercept, alpha)
        done = length
        yield length, coef.detach().clone(), intercept.detach().clone()


def _lbfgs(params: list[Tensor], max_iter: int) -> torch.optim.LBFGS:
    return torch.optim.LBFGS(
        params,
        lr=1.0,
        max_iter=max_iter,
        history_size=20,
        tolerance_grad=1e-7,
        tolerance_change=1e-10,
        line_search_fn="strong_wolfe",
    )


def _run(
    opt: torch.optim.LBFGS,
    features: Callable[[], Tensor],
    labels: Tensor,
    coef: Tensor,
    intercept: Tensor,
    alpha: float,
) -> None:
    """One ``step()`` of ``opt`` on the cross-entropy of the softmax (``coef``, ``intercept``)
    on ``features()`` plus ``(alpha / 2) ||coef||^2``."""

    def closure() -> Tensor:
        opt.zero_grad()
        logits = softmax_logits(features(), coef, intercept)
        loss = F.cross_entropy(logits, labels) + 0.5 * alpha * coef.square().sum()
        loss.backward()
        return loss

    with torch.enable_grad():
        opt.step(closure)


def softmax_logits(features: Tensor, coef: Tensor, intercept: Tensor) -> Tensor:
    return torch.addmm(intercept, features, coef.T)


def softmax_proba(features: Tensor, coef: Tensor, intercept: Tensor) -> Tensor:
    return torch.softmax(softmax_logits(features, coef, intercept), dim=1)
