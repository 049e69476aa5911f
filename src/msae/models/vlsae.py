"""VLSAE: the variable-learning-speed auto-encoder of Song et al. (Information Sciences 2021).

No code or equations of that paper are public, so this is a reconstruction from its title ("...
using multi-scale reconstruction errors and weight update correlation") with two classic
mechanisms (see docs/models.md for every assumption):

* the model is the sparse auto-encoder (SAE: KL sparsity + L2 weight decay), and its
  objective ``J`` is the SAE objective of :mod:`msae.models.autoencoder`;
* it is trained by the ``"vls"`` solver, full-batch gradient descent whose step for each
  parameter is ``eta * g * dJ/dw``:

  - per-parameter gains ``g`` follow delta-bar-delta (Jacobs 1988): ``g += kappa`` when the
    gradient agrees in sign with the running average ``bar = (1 - theta) grad + theta bar`` of
    the previous ones (successive updates correlate), ``g *= 1 - phi`` when they disagree,
    clipped to ``[gain_min, gain_max]``;
  - the global speed ``eta`` follows the reconstruction error in every band of the Laplacian
    pyramid of the residual ``x - z`` (coarse to fine): times ``speed_up`` when the error falls
    in all bands, times ``slow_down`` when it falls in none, unchanged otherwise;
  - a step that raises ``J`` by more than the factor ``max_increase`` is undone and ``eta``
    multiplied by ``slow_down`` (the variable-learning-rate rule of MATLAB's ``traingda``).

Options come from ``config.extra["vls"]`` (a dict of :class:`VLSOptions` fields).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from msae.models.autoencoder import AutoEncoder
from msae.models.base import FeatureModel, ModelConfig
from msae.models.registry import Preset, register_preset
from msae.pyramid import build_pyramid
from msae.train import SOLVERS, Recorder, TrainConfig, evaluate


@dataclass(frozen=True)
class VLSOptions:
    speed: float = 3.0  # initial global learning speed eta
    gain_increase: float = 0.05  # kappa, added to a gain when successive updates agree
    gain_decrease: float = 0.05  # phi, a gain is multiplied by 1 - phi when they disagree
    gain_min: float = 0.1
    gain_max: float = 10.0
    theta: float = 0.7  # weight of the past in the running average of the gradient
    speed_up: float = 1.05
    slow_down: float = 0.7
    max_increase: float = 1.04

    @classmethod
    def from_config(cls, config: ModelConfig) -> VLSOptions:
        return cls(**config.extra.get("vls", {}))


def update_gains(gains: Tensor, grad: Tensor, bar: Tensor, opts: VLSOptions) -> Tensor:
    """Delta-bar-delta: additive increase on sign agreement, multiplicative decrease otherwise."""
    agreement = grad * bar
    raised = gains + opts.gain_increase
    lowered = gains * (1.0 - opts.gain_decrease)
    gains = torch.where(agreement > 0, raised, torch.where(agreement < 0, lowered, gains))
    return gains.clamp(opts.gain_min, opts.gain_max)


@torch.no_grad()
def band_errors(model: FeatureModel, x: Tensor) -> Tensor:
    """Mean squared reconstruction error in each Laplacian band, finest first.

    The pyramid is linear, so the bands of the residual ``x - z`` are the differences of the
    bands of ``x`` and of the reconstruction ``z``.
    """
    cfg = model.config
    residual = x - model.decode(model.encode(x))
    pyramid = build_pyramid(residual, cfg.pyramid_levels, cfg.image_shape)
    return torch.stack([band.square().mean() for band in pyramid.laplacian])


def speed_factor(before: Tensor, after: Tensor, opts: VLSOptions) -> float:
    """How the band errors moved: all fell -> speed up, none fell -> slow down."""
    falling = after < before
    if bool(falling.all()):
        return opts.speed_up
    if not bool(falling.any()):
        return opts.slow_down
    return 1.0


def _loss_and_grad(
    model: FeatureModel, data: dict[str, Tensor], params: list[Tensor], iteration: int
) -> tuple[float, dict[str, float], list[Tensor]]:
    loss, terms = evaluate(model, data, iteration)
    grads = torch.autograd.grad(loss, params)
    return float(loss.detach()), {k: float(v.detach()) for k, v in terms.items()}, list(grads)


def fit_vls(model: FeatureModel, data: dict[str, Tensor], cfg: TrainConfig, rec: Recorder) -> None:
    """Full-batch gradient descent with variable learning speeds (``max_iter`` iterations)."""
    if not hasattr(model, "decode"):
        raise TypeError(f"the 'vls' solver needs a model with a decoder, not {type(model)}")
    model.proximal, model.smooth = False, True
    opts = VLSOptions.from_config(model.config)
    params = model.trainable_parameters()
    done, saved = rec.resume()
    # Loss, gradient and band errors are functions of the weights: recomputed, not saved.
    loss, terms, grads = _loss_and_grad(model, data, params, done + 1)
    errors = band_errors(model, data["x"])
    ones = [torch.ones_like(p) for p in params]
    gains = [t.to(p.device) for t, p in zip(saved.get("gains", ones), params, strict=True)]
    bars = [t.to(p.device) for t, p in zip(saved.get("bars", grads), params, strict=True)]
    speed = saved.get("speed", opts.speed)

    def state() -> dict:
        return {"gains": gains, "bars": bars, "speed": speed}

    for iteration in range(done + 1, cfg.max_iter + 1):
        start = [p.detach().clone() for p in params]
        with torch.no_grad():
            for p, gain, grad in zip(params, gains, grads, strict=True):
                p.sub_(speed * gain * grad)
        new_loss, new_terms, new_grads = _loss_and_grad(model, data, params, iteration)
        if new_loss - loss > (opts.max_increase - 1.0) * abs(loss):
            with torch.no_grad():  # overshoot: undo the step and slow down
                for p, p0 in zip(params, start, strict=True):
                    p.copy_(p0)
                evaluate(model, data, iteration)  # diagnostics of the restored point
            speed *= opts.slow_down
            rec(iteration, loss, terms)
            if rec.stop:
                break
            rec.save(iteration, state, iteration == cfg.max_iter)
            continue
        new_errors = band_errors(model, data["x"])
        speed *= speed_factor(errors, new_errors, opts)
        gains = [update_gains(*args, opts) for args in zip(gains, new_grads, bars, strict=True)]
        bars = [
            (1.0 - opts.theta) * grad + opts.theta * bar
            for grad, bar in zip(new_grads, bars, strict=True)
        ]
        loss, terms, grads, errors = new_loss, new_terms, new_grads, new_errors
        rec(iteration, loss, terms)
        if rec.stop:
            break
        rec.save(iteration, state, iteration == cfg.max_iter)


SOLVERS["vls"] = fit_vls

register_preset(
    Preset(
        "vlsae",
        "variable-learning-speed sparse auto-encoder (Song et al. 2021, reconstructed)",
        AutoEncoder,
        dict(weight_penalty="l2", sparsity="kl", multiscale=False),
        solver="vls",
    )
)
