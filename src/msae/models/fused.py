"""Hand-written forward + backward of the auto-encoder objective (and the VAE's), for speed.

``AutoEncoder.loss_terms`` is the readable reference that autograd differentiates (and
``VAE.loss_terms``, for :func:`vae_objective_and_grads`). This module
computes the same objective and its gradient in one pass with the fewest possible full-size
elementwise operations: sigmoid outputs overwrite their pre-activations in place,
``sigmoid_backward`` fuses ``(z - x) * z * (1 - z)``, the ``1/n`` scalings are applied to the
small weight matrices rather than to (n, d) arrays, and the weight penalty and sparsity term
(which only touch (m, d) and (m,) tensors) go through autograd on detached copies. The tests
check that both give the same value and gradient in float64.

The (n, d) and (n, m) intermediates are written into buffers that the model keeps between
calls (:class:`Workspace`): allocating them afresh every iteration makes the allocator hand the
memory back to the system and page-fault it in again, which cost about a third of a full-batch
MNIST step (measured with ``bench/bench_step.py``).

The gradient is computed during the forward call and handed back by ``backward``, so a
closure that calls ``loss.backward()`` (as L-BFGS does) works unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import torch
from torch import Tensor, nn

from msae.penalties import SPARSITY_TERMS, WEIGHT_PENALTIES

if TYPE_CHECKING:
    from msae.models.autoencoder import AutoEncoder
    from msae.models.multipath import MultiPathAE
    from msae.models.vae import VAE

_sigmoid_backward = torch.ops.aten.sigmoid_backward


class Workspace:
    """Named scratch tensors reused across calls while their shape, dtype and device match."""

    def __init__(self) -> None:
        self._buffers: dict[str, Tensor] = {}

    def __call__(self, name: str, rows: int, cols: int, like: Tensor) -> Tensor:
        buf = self._buffers.get(name)
        if (
            buf is None
            or buf.shape != (rows, cols)
            or buf.dtype != like.dtype
            or (buf.device != like.device)
        ):
            buf = self._buffers[name] = like.new_empty(rows, cols)
        return buf

    def codes(self, name: str, rows: int, cols: int, like: Tensor) -> tuple[Tensor, Tensor]:
        """A hidden-code buffer ``[h | 1 | 0 ...]`` (width rounded up to a multiple of 8, which
        keeps the matrix products fast) and the view ``h`` of its first ``cols`` columns.
        Decoders multiply the whole buffer by ``[W' | b' | 0 ...]``: bias included."""
        width = -(-(cols + 1) // 8) * 8
        key = f"{name}:codes"
        previous = self._buffers.get(key)
        buf = self(key, rows, width, like)
        if buf is not previous:  # newly allocated: write the constant columns once
            buf[:, cols:] = 0.0
            buf[:, cols] = 1.0
        return buf, buf[:, :cols]


def with_ones_column(name: str, x: Tensor) -> dict[str, Tensor]:
    """``{name + "1": [x | 1], name: view of x}`` sharing one (n, d + 1) array."""
    augmented = x.new_ones(x.shape[0], x.shape[1] + 1)
    augmented[:, :-1] = x
    return {f"{name}1": augmented, name: augmented[:, :-1]}


def _with_bias(weight: Tensor, bias: Tensor) -> Tensor:
    """``[W | b]``, which multiplies ``[x | 1]`` into ``x W^T + b``."""
    return torch.cat([weight, bias[:, None]], 1)


def _encode(out: Tensor, x1: Tensor, weight: Tensor, bias: Tensor) -> Tensor:
    """``s(x W^T + b)`` as one product of ``[x | 1]`` and ``[W | b]``: no bias broadcast."""
    return torch.mm(x1, _with_bias(weight, bias).T, out=out).sigmoid_()


def _encoder_grads(d_pre: Tensor, x1: Tensor) -> tuple[Tensor, Tensor]:
    """Gradients of ``W`` and ``b`` from that of the pre-activation, in one product."""
    g = torch.mm(d_pre.T, x1)
    return g[:, :-1], g[:, -1]


def _decode_logits(out: Tensor, codes: Tensor, weight: Tensor, bias: Tensor) -> Tensor:
    """``W' h + b'`` from a :meth:`Workspace.codes` buffer, in one product."""
    padded = weight.new_zeros(weight.shape[0], codes.shape[1])
    padded[:, : weight.shape[1]] = weight
    padded[:, weight.shape[1]] = bias
    return torch.mm(codes, padded.T, out=out)


def _decode(out: Tensor, codes: Tensor, weight: Tensor, bias: Tensor) -> Tensor:
    """``s(W' h + b')`` from a :meth:`Workspace.codes` buffer, in one product."""
    return _decode_logits(out, codes, weight, bias).sigmoid_()


def _decoder_grads(g_out: Tensor, codes: Tensor, n_hidden: int) -> tuple[Tensor, Tensor]:
    """Gradients of ``W'`` and ``b'`` from that of the output pre-activation, in one product."""
    g = torch.mm(g_out.T, codes)
    return g[:, :n_hidden], g[:, n_hidden]


def _squared_error(out: Tensor, target: Tensor, diff: Tensor) -> tuple[Tensor, Tensor]:
    """``sum (out - target)^2`` and the gradient of half of it w.r.t. the pre-activation of
    the sigmoid ``out``: ``(out - target) * out * (1 - out)``, written into ``diff``."""
    torch.sub(out, target, out=diff)
    flat = diff.view(-1)
    value = torch.dot(flat, flat)
    return value, _sigmoid_backward(diff, out, grad_input=diff)


def _small_term(fn, *leaves: Tensor, need_grad: bool) -> tuple[Tensor, tuple[Tensor, ...]]:
    """Value and gradient (w.r.t. ``leaves``) of a term on small tensors, via autograd."""
    copies = [leaf.detach().requires_grad_(need_grad) for leaf in leaves]
    with torch.enable_grad():
        value = fn(*copies)
    if not need_grad:
        return value.detach(), tuple(torch.zeros_like(c) for c in copies)
    grads = torch.autograd.grad(value, copies, allow_unused=True)
    grads = tuple(
        torch.zeros_like(c) if g is None else g for c, g in zip(copies, grads, strict=True)
    )
    return value.detach(), grads


@torch.no_grad()
def objective_and_grads(
    model: AutoEncoder, batch: dict[str, Tensor]
) -> tuple[dict[str, Tensor], list[Tensor]]:
    """Terms of the objective (as in ``loss_terms``) and the gradient of their sum w.r.t.
    ``list(model.parameters())``."""
    cfg = model.config
    ws = model.workspace
    x = batch["x"]
    n, d = x.shape
    m = cfg.n_components
    w, b, v, c = model.weight, model.bias, model.dec_weight, model.dec_bias
    grads: dict[int, Tensor] = {}
    terms: dict[str, Tensor] = {}

    y_codes, y = ws.codes("y", n, m, x)
    _encode(y, batch["x1"], w, b)
    z = _decode(ws("z", n, d, x), y_codes, v, c)
    sq, g_out = _squared_error(z, x, ws("nd", n, d, x))
    terms["reconstruction"] = 0.5 * sq / n
    g_v, g_c = _decoder_grads(g_out, y_codes, m)
    grads[id(v)], grads[id(c)] = g_v.div_(n), g_c.div_(n)
    d_y = torch.mm(g_out, v / n, out=ws("d_y", n, m, x))
    g_w_extra = torch.zeros_like(w)  # from the weight penalty

    if cfg.weight_penalty != "none" and cfg.lam > 0:
        penalty = WEIGHT_PENALTIES[cfg.weight_penalty]
        skip = model.proximal and model.uses_nonsmooth_penalty()
        smoothing = cfg.l21_smoothing if model.smooth and not skip else 0.0
        value, (pw, pv) = _small_term(
            lambda a, d: cfg.lam * penalty(a, d, smoothing=smoothing), w, v, need_grad=not skip
        )
        terms["weight"] = value
        g_w_extra += pw
        g_v += pv

    rho_hat = y.mean(0)
    model.last_mean_activation = rho_hat
    if cfg.sparsity != "none" and cfg.beta > 0:
        term = SPARSITY_TERMS[cfg.sparsity]
        smoothing = cfg.sparsity_smoothing if model.smooth else 0.0
        value, (g_rho,) = _small_term(
            lambda r: cfg.beta * term(r, cfg.rho, smoothing), rho_hat, need_grad=True
        )
        terms["sparsity"] = value
        d_y += g_rho / n

    if model.multipath is not None:
        _multipath(model, model.multipath, batch, y, d_y, terms, grads)

    d_a = _sigmoid_backward(d_y, y, grad_input=d_y)
    g_w, grads[id(b)] = _encoder_grads(d_a, batch["x1"])
    grads[id(w)] = g_w + g_w_extra
    return terms, [grads[id(p)] for p in model.parameters()]


def _multipath(
    model: AutoEncoder,
    mp: MultiPathAE,
    batch: dict[str, Tensor],
    y: Tensor,
    d_y: Tensor,
    terms: dict[str, Tensor],
    grads: dict[int, Tensor],
) -> None:
    """Forward and backward of J_ms; adds its gradient w.r.t. ``y`` to ``d_y`` in place."""
    cfg = model.config
    ws = model.workspace
    n = y.shape[0]
    levels = cfg.pyramid_levels + 1
    laplacian = [batch[f"LP{k}1"] for k in range(levels)]  # with the ones column
    gaussian = [batch["x"]] + [batch[f"G{k}"] for k in range(1, levels)]

    hidden = [bias.shape[0] for bias in mp.enc_bias]
    buffers, codes = zip(*(ws.codes(f"h{k}", n, hidden[k], y) for k in range(levels)), strict=True)
    top = levels - 1
    _encode(codes[top], laplacian[top], mp.enc[top], mp.enc_bias[top])
    for k in range(top - 1, -1, -1):
        weight = _with_bias(mp.enc[k], mp.enc_bias[k])
        pre = torch.mm(laplacian[k], weight.T, out=codes[k])
        pre.addmm_(codes[k + 1], mp.lateral[k].T).sigmoid_()

    scale = 1.0 / (n * levels)
    loss1 = y.new_zeros(())
    d_codes: list[Tensor] = []
    for k in range(levels):
        size = gaussian[k].shape[1]
        # Level 0 reuses the main decoder's buffers (that is done with them by now); the
        # smaller levels get their own, since a buffer whose shape changes from call to call
        # is reallocated and page-faulted in again every step.
        tag = "" if k == 0 else str(k)
        recon = _decode(ws(f"z{tag}", n, size, y), buffers[k], mp.dec[k], mp.dec_bias[k])
        sq, g_out = _squared_error(recon, gaussian[k], ws(f"nd{tag}", n, size, y))
        loss1 += 0.5 * sq * scale
        g_dec, g_dec_bias = _decoder_grads(g_out, buffers[k], hidden[k])
        grads[id(mp.dec[k])], grads[id(mp.dec_bias[k])] = g_dec.mul_(scale), g_dec_bias.mul_(scale)
        d_codes.append(torch.mm(g_out, mp.dec[k] * scale, out=ws(f"d_h{k}", n, hidden[k], y)))
    terms["multiscale"] = loss1

    diff = torch.sub(y, codes[0], out=ws("diff", n, cfg.n_components, y))
    flat = diff.view(-1)
    terms["consistency"] = 0.5 * torch.dot(flat, flat) / (n * cfg.n_components)
    d_y.add_(diff, alpha=1.0 / (n * cfg.n_components))
    d_codes[0].sub_(diff, alpha=1.0 / (n * cfg.n_components))

    for k in range(levels):
        d_pre = _sigmoid_backward(d_codes[k], codes[k], grad_input=d_codes[k])
        grads[id(mp.enc[k])], grads[id(mp.enc_bias[k])] = _encoder_grads(d_pre, laplacian[k])
        if k < top:
            grads[id(mp.lateral[k])] = torch.mm(d_pre.T, codes[k + 1])
            d_codes[k + 1].addmm_(d_pre, mp.lateral[k])

    if cfg.lam > 0:
        terms["multipath_decay"] = 0.5 * cfg.lam * mp.weight_square_sum()
        for p in (*mp.enc, *mp.lateral, *mp.dec):
            grads[id(p)] += cfg.lam * p


@torch.no_grad()
def vae_objective_and_grads(model: VAE, batch: dict[str, Tensor]) -> tuple[dict, list[Tensor]]:
    """Terms of ``VAE.loss_terms`` and the gradient of their sum w.r.t. the VAE's parameters.

    Both heads are one product of ``[x | 1]`` with ``[[W | b]; [V | c]]``, and their gradients
    another. The Bernoulli term is computed per element as PyTorch's
    ``binary_cross_entropy_with_logits`` does, ``(1 - x) a - log s(a)`` for the logits ``a``,
    in place in one (n, d) buffer, and its gradient ``s(a) - x`` overwrites the logits.
    """
    cfg = model.config
    ws = model.workspace
    x, x1 = batch["x"], batch["x1"]
    n, d = x.shape
    m = cfg.n_components
    heads = torch.cat(
        [_with_bias(model.weight, model.bias), _with_bias(model.logvar_weight, model.logvar_bias)]
    )
    posterior = torch.mm(x1, heads.T, out=ws("posterior", n, 2 * m, x))
    mu, logvar = posterior[:, :m], posterior[:, m:]
    eps = model.noise(mu)
    std = torch.mul(logvar, 0.5, out=ws("std", n, m, x)).exp_()
    model.last_posterior_std = std.mean()
    t_codes, t = ws.codes("t", n, m, x)
    torch.addcmul(mu, std, eps, out=t)

    logits = _decode_logits(ws("z", n, d, x), t_codes, model.dec_weight, model.dec_bias)
    loss = torch.ops.aten.log_sigmoid.out(logits, out=ws("nd", n, d, x))
    loss.neg_().add_(logits).addcmul_(x, logits, value=-1.0)  # (1 - x) a - log s(a)
    terms = {"reconstruction": loss.sum() / n}
    g_logits = logits.sigmoid_().sub_(x)  # d(sum of the term)/da
    kl = torch.mul(std, std, out=ws("kl", n, m, x)).addcmul_(mu, mu).sub_(logvar).sub_(1.0)
    terms["kl"] = 0.5 * kl.sum() / n

    g_dec, g_dec_bias = _decoder_grads(g_logits, t_codes, m)
    d_t = torch.mm(g_logits, model.dec_weight / n, out=ws("d_t", n, m, x))
    d_heads = ws("d_posterior", n, 2 * m, x)
    # d/dmu = d_t + mu / n;  d/dlogvar = d_t * eps * std / 2 + (std^2 - 1) / (2 n)
    torch.add(d_t, mu, alpha=1.0 / n, out=d_heads[:, :m])
    d_logvar = torch.mul(d_t, eps, out=d_heads[:, m:]).mul_(std)
    d_logvar.add_(std.square_().sub_(1.0), alpha=1.0 / n).mul_(0.5)
    g_heads, g_head_biases = _encoder_grads(d_heads, x1)
    grads = [g_heads[:m], g_head_biases[:m], g_heads[m:], g_head_biases[m:]]
    grads += [g_dec.div_(n), g_dec_bias.div_(n)]
    if cfg.weight_penalty == "l2" and cfg.lam > 0:
        weights = (model.weight, model.logvar_weight, model.dec_weight)
        terms["weight"] = 0.5 * cfg.lam * sum(w.square().sum() for w in weights)
        for k, w in zip((0, 2, 4), weights, strict=True):
            grads[k] = grads[k] + cfg.lam * w
    return terms, grads


class _FusedObjective(torch.autograd.Function):
    @staticmethod
    def forward(ctx, compute: Callable, model: nn.Module, batch: dict, holder: dict,
                *params: Tensor) -> Tensor:  # fmt: skip
        terms, grads = compute(model, batch)
        holder["terms"] = terms
        ctx.save_for_backward(*grads)
        return sum(terms.values())

    @staticmethod
    def backward(ctx, grad_output: Tensor):
        return (None, None, None, None, *(g * grad_output for g in ctx.saved_tensors))


def fused_objective(
    model: nn.Module, batch: dict[str, Tensor], compute: Callable = objective_and_grads
) -> tuple[Tensor, dict]:
    """The objective as a differentiable scalar, and its terms (detached). ``compute(model,
    batch)`` gives the terms and the gradient w.r.t. ``list(model.parameters())``: by default
    the auto-encoder's (:func:`objective_and_grads`); the VAE passes its own."""
    holder: dict = {}
    loss = _FusedObjective.apply(compute, model, batch, holder, *model.parameters())
    return loss, holder["terms"]
