"""The one-hidden-layer sigmoid auto-encoder behind AE, SAE, LR21-SAE, MSAE and LR21-MSAE.

    y = s(W x + b),   z = s(W' y + b'),   s = sigmoid,  W: (m, d),  W': (d, m)

    J = J_AE + lambda * P(W, W') + beta * S(rho_hat; rho) + J_ms

* ``J_AE = (1/2n) sum_i ||x_i - z_i||^2``.
* ``P`` is the weight penalty: none, L2 ``(1/2)(||W||^2 + ||W'||^2)``, or L2,1 (Eq. 12) -- the
  sum of the L2 norms of the rows of ``W`` (hidden units) plus that of its columns (inputs).
  The L2,1 norm is not differentiable where a group is zero. The smooth solver (L-BFGS)
  minimises it with each norm smoothed as ``sqrt(||g||^2 + eps^2) - eps`` and then polishes
  with proximal-gradient steps on the exact norm; the stochastic solver (Adam) takes a
  proximal group-shrinkage step after each update. Either way a group that the penalty
  switches off ends *exactly* zero (see :mod:`msae.train`).
* ``S`` is the sparsity term on the mean activation ``rho_hat_j = mean_i y_ij``: none, KL, JS
  or Wasserstein (Eq. 7). L-BFGS gets the Wasserstein distance smoothed (pseudo-Huber, width
  ``sparsity_smoothing``), Adam the exact one.
* ``J_ms = loss1 + loss2`` (Eqs. 9-11): ``loss1`` is the multi-path auto-encoder's pyramid
  reconstruction error (:mod:`msae.models.multipath`) and ``loss2`` the mean over samples of
  ``(1/2m)||y - e||^2`` between the main features and the multi-path features. Both networks
  train jointly. The multi-path weights get the L2 weight decay ``(lambda/2)||.||^2`` whatever
  the main penalty, so that lambda regularises all weights.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from msae.models.base import FeatureModel, ModelConfig, glorot_uniform
from msae.models.fused import Workspace, fused_objective, with_ones_column
from msae.models.multipath import MultiPathAE
from msae.penalties import SPARSITY_TERMS, WEIGHT_PENALTIES, group_norms, group_shrink
from msae.pyramid import build_pyramid, level_shapes


class AutoEncoder(FeatureModel):
    def __init__(self, config: ModelConfig, generator: torch.Generator, dtype: torch.dtype) -> None:
        super().__init__()
        if config.weight_penalty not in WEIGHT_PENALTIES:
            raise ValueError(
                f"unknown weight_penalty {config.weight_penalty!r}; "
                f"choose from {sorted(WEIGHT_PENALTIES)}"
            )
        if config.sparsity not in SPARSITY_TERMS:
            raise ValueError(
                f"unknown sparsity {config.sparsity!r}; choose from {sorted(SPARSITY_TERMS)}"
            )
        self.config = config
        m, d = config.n_components, config.n_features
        self.weight = nn.Parameter(glorot_uniform(m, d, generator, dtype))
        self.bias = nn.Parameter(torch.zeros(m, dtype=dtype))
        self.dec_weight = nn.Parameter(glorot_uniform(d, m, generator, dtype))
        self.dec_bias = nn.Parameter(torch.zeros(d, dtype=dtype))
        self.multipath: MultiPathAE | None = None
        if config.multiscale:
            self.multipath = MultiPathAE(self._pyramid_sizes(), m, generator, dtype)
        # True while a proximal solver handles the L2,1 term (it is then left out of the
        # gradient); False for smooth solvers, which differentiate its smoothed form.
        self.proximal = False
        # True for solvers that need a smooth objective (L-BFGS and its polishing phase).
        self.smooth = True
        self.last_mean_activation: Tensor | None = None
        self.workspace = Workspace()  # scratch buffers of the fused objective

    def _pyramid_sizes(self) -> list[int]:
        cfg = self.config
        shapes = level_shapes(cfg.n_features, cfg.pyramid_levels, cfg.image_shape)
        return [math.prod(s) for s in shapes]

    # -- data --------------------------------------------------------------------------------
    def prepare(self, x: Tensor) -> dict[str, Tensor]:
        """The input and its pyramid levels. Encoder inputs are stored with a column of ones
        appended (``x1``, ``LP{k}1``; ``x`` and ``LP{k}`` are views without it), so that the
        fused objective gets bias and weight in one matrix product."""
        batch = with_ones_column("x", x)
        if self.multipath is not None:
            pyr = build_pyramid(x, self.config.pyramid_levels, self.config.image_shape)
            for k, (g, lp) in enumerate(zip(pyr.gaussian, pyr.laplacian, strict=True)):
                if k > 0:  # G_0 is x itself
                    batch[f"G{k}"] = g
                batch.update(with_ones_column(f"LP{k}", lp))
        return batch

    # -- forward -----------------------------------------------------------------------------
    def encode(self, x: Tensor) -> Tensor:
        return torch.sigmoid(torch.addmm(self.bias, x, self.weight.T))

    def decode(self, y: Tensor) -> Tensor:
        return torch.sigmoid(torch.addmm(self.dec_bias, y, self.dec_weight.T))

    def _weight_term(self) -> Tensor:
        cfg = self.config
        penalty = WEIGHT_PENALTIES[cfg.weight_penalty]
        if self.proximal and self.uses_nonsmooth_penalty():
            with torch.no_grad():  # reported, but handled by proximal_step
                return cfg.lam * penalty(self.weight, self.dec_weight)
        smoothing = cfg.l21_smoothing if self.smooth else 0.0
        return cfg.lam * penalty(self.weight, self.dec_weight, smoothing=smoothing)

    def loss_terms(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        cfg = self.config
        x = batch["x"]
        n = x.shape[0]
        y = self.encode(x)
        z = self.decode(y)
        self.last_mean_activation = y.detach().mean(0)
        terms = {"reconstruction": 0.5 * (x - z).square().sum() / n}
        if cfg.weight_penalty != "none" and cfg.lam > 0:
            terms["weight"] = self._weight_term()
        if cfg.sparsity != "none" and cfg.beta > 0:
            smoothing = cfg.sparsity_smoothing if self.smooth else 0.0
            sparsity = SPARSITY_TERMS[cfg.sparsity](y.mean(0), cfg.rho, smoothing)
            terms["sparsity"] = cfg.beta * sparsity
        if self.multipath is not None:
            levels = cfg.pyramid_levels + 1
            laplacian = [batch[f"LP{k}"] for k in range(levels)]
            gaussian = [x] + [batch[f"G{k}"] for k in range(1, levels)]
            codes = self.multipath.encode(laplacian)
            terms["multiscale"] = self.multipath.reconstruction_loss(codes, gaussian)
            terms["consistency"] = 0.5 * (y - codes[0]).square().sum() / (n * cfg.n_components)
            if cfg.lam > 0:
                terms["multipath_decay"] = 0.5 * cfg.lam * self.multipath.weight_square_sum()
        return terms

    def objective(self, batch: dict[str, Tensor]) -> tuple[Tensor, dict[str, Tensor]]:
        """Same value and gradient as ``loss_terms``, computed by :mod:`msae.models.fused`."""
        return fused_objective(self, batch)

    # -- non-smooth penalty ------------------------------------------------------------------
    def uses_nonsmooth_penalty(self) -> bool:
        return self.config.weight_penalty == "l21" and self.config.lam > 0

    @torch.no_grad()
    def proximal_step(self, step_size: float) -> None:
        """Group shrinkage of the rows, then the columns, of W (threshold step * lambda).

        The proximal operator of a sum of row and column norms has no closed form; shrinking
        rows then columns is the usual cheap stand-in and keeps exact zeros exact.
        """
        if not self.uses_nonsmooth_penalty():
            return
        threshold = step_size * self.config.lam
        w = group_shrink(self.weight, threshold, dim=1)
        self.weight.copy_(group_shrink(w, threshold, dim=0))

    @torch.no_grad()
    def diagnostics(self) -> dict[str, float]:
        rows = group_norms(self.weight, 1) == 0
        cols = group_norms(self.weight, 0) == 0
        out = {"zero_rows": rows.float().mean().item(), "zero_cols": cols.float().mean().item()}
        if self.last_mean_activation is not None:
            out["mean_activation"] = self.last_mean_activation.mean().item()
        return out

    @torch.no_grad()
    def pruned(self) -> tuple[AutoEncoder, Tensor, Tensor]:
        """A copy without zero rows (hidden units) and zero columns (inputs) of ``W``.

        A dead unit still outputs the constant ``s(b_j)``; its contribution to the decoder,
        ``W'[:, j] s(b_j)``, is folded into the decoder bias, so reconstructions of the kept
        inputs are unchanged too. The multi-path network is only needed for training and is
        dropped. Returns ``(model, kept_rows, kept_cols)`` as boolean masks.
        """
        rows = group_norms(self.weight, 1) > 0
        cols = group_norms(self.weight, 0) > 0
        cfg = ModelConfig.from_dict(
            {**self.config.to_dict(), "n_components": int(rows.sum()),
             "n_features": int(cols.sum()), "multiscale": False}
        )  # fmt: skip
        dtype = self.weight.dtype
        small = AutoEncoder(cfg, torch.Generator().manual_seed(0), dtype).to(self.weight.device)
        dead = torch.sigmoid(self.bias[~rows])
        small.weight.copy_(self.weight[rows][:, cols])
        small.bias.copy_(self.bias[rows])
        small.dec_weight.copy_(self.dec_weight[cols][:, rows])
        small.dec_bias.copy_(self.dec_bias[cols] + self.dec_weight[cols][:, ~rows] @ dead)
        return small.eval(), rows, cols
