"""Variational auto-encoder (Kingma and Welling 2014) with one hidden layer, a baseline.

    mu = W x + b,   log sigma^2 = V x + c,   t = mu + sigma * eps,   eps ~ N(0, I_m)
    p(x | t) = Bernoulli(s(W' t + b')),   s = sigmoid

    J = (1/n) sum_i [ BCE(x_i, s(W' t_i + b')) + KL(N(mu_i, sigma_i^2) || N(0, I)) ]
        + (lambda/2)(||W||^2 + ||V||^2 + ||W'||^2)

* ``BCE(x, z) = -sum_j [x_j log z_j + (1 - x_j) log(1 - z_j)]`` (summed over features), computed
  from the logits; targets must lie in [0, 1].
* ``KL = (1/2) sum_j (mu_j^2 + sigma_j^2 - 1 - log sigma_j^2)``.
* ``weight``/``bias`` are the mean head, so the estimators' ``components_`` is ``W``; the
  classifier's features (:meth:`VAE.encode`) are the posterior means ``mu``.
* The noise comes from a ``torch.Generator`` seeded from the initialisation generator, so a
  fit is reproducible from the model seed. A smooth solver (``smooth = True``: L-BFGS, whose
  line search needs a deterministic objective, and ``vls``) sees the same ``eps`` on every
  evaluation until :meth:`VAE.new_iteration` draws a new one; a stochastic solver (Adam) gets a
  fresh ``eps`` on every evaluation.
"""

from __future__ import annotations

from typing import NoReturn, cast

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from msae.models.base import FeatureModel, ModelConfig, glorot_uniform
from msae.models.fused import Workspace, fused_objective, vae_objective_and_grads, with_ones_column
from msae.models.registry import Preset, register_preset


class VAE(FeatureModel):
    stochastic = True  # new noise every iteration

    def __init__(self, config: ModelConfig, generator: torch.Generator, dtype: torch.dtype) -> None:
        super().__init__()
        if config.weight_penalty not in ("none", "l2"):
            raise ValueError(
                f"the VAE takes weight_penalty 'none' or 'l2', not {config.weight_penalty!r}"
            )
        if config.sparsity != "none" or config.multiscale:
            raise ValueError("the VAE has no sparsity or multi-scale term; leave them unset")
        self.config = config
        m, d = config.n_components, config.n_features
        self.weight = nn.Parameter(glorot_uniform(m, d, generator, dtype))
        self.bias = nn.Parameter(torch.zeros(m, dtype=dtype))
        self.logvar_weight = nn.Parameter(glorot_uniform(m, d, generator, dtype))
        self.logvar_bias = nn.Parameter(torch.zeros(m, dtype=dtype))
        self.dec_weight = nn.Parameter(glorot_uniform(d, m, generator, dtype))
        self.dec_bias = nn.Parameter(torch.zeros(d, dtype=dtype))
        seed = int(torch.randint(2**62, (), generator=generator))
        self.noise_generator = torch.Generator().manual_seed(seed)
        self._noise: Tensor | None = None
        self.last_posterior_std: Tensor | None = None
        self.workspace = Workspace()  # scratch buffers of the fused objective

    def prepare(self, x: Tensor) -> dict[str, Tensor]:
        """The input, stored with a column of ones (``x1``; ``x`` is a view without it), so
        that the fused objective gets both heads' biases in one matrix product."""
        return with_ones_column("x", x)

    def encode(self, x: Tensor) -> Tensor:
        """Posterior means ``mu = W x + b``."""
        return torch.addmm(self.bias, x, self.weight.T)

    def posterior(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Mean and log-variance of ``q(t | x)``."""
        return self.encode(x), torch.addmm(self.logvar_bias, x, self.logvar_weight.T)

    def decode_logits(self, t: Tensor) -> Tensor:
        return torch.addmm(self.dec_bias, t, self.dec_weight.T)

    def decode(self, t: Tensor) -> Tensor:
        """Bernoulli means ``s(W' t + b')``."""
        return torch.sigmoid(self.decode_logits(t))

    def new_iteration(self) -> None:
        """Draw new noise at the next evaluation (solvers call it once per iteration)."""
        self._noise = None

    def random_state(self) -> dict[str, Tensor]:
        return {"noise": self.noise_generator.get_state()}

    def set_random_state(self, state: dict[str, Tensor]) -> None:
        self.noise_generator.set_state(state["noise"])

    def noise(self, like: Tensor) -> Tensor:
        """Standard normal noise shaped like ``like``; held fixed between iterations if smooth."""
        if self._noise is None or self._noise.shape != like.shape or not self.smooth:
            eps = torch.randn(like.shape, generator=self.noise_generator, dtype=like.dtype)
            self._noise = eps.to(like.device)
        return self._noise

    def loss_terms(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        cfg = self.config
        x = batch["x"]
        n = x.shape[0]
        mu, logvar = self.posterior(x)
        std = torch.exp(0.5 * logvar)
        t = mu + std * self.noise(mu)
        self.last_posterior_std = std.detach().mean()  # a tensor: no device sync per step
        bce = F.binary_cross_entropy_with_logits(self.decode_logits(t), x, reduction="sum")
        kl = 0.5 * (mu.square() + logvar.exp() - 1.0 - logvar).sum()
        terms = {"reconstruction": bce / n, "kl": kl / n}
        if cfg.weight_penalty == "l2" and cfg.lam > 0:
            weights = (self.weight, self.logvar_weight, self.dec_weight)
            terms["weight"] = 0.5 * cfg.lam * cast(Tensor, sum(w.square().sum() for w in weights))
        return terms

    def objective(self, batch: dict[str, Tensor]) -> tuple[Tensor, dict[str, Tensor]]:
        """Same value and gradient as ``loss_terms``, computed by :mod:`msae.models.fused`."""
        return fused_objective(self, batch, vae_objective_and_grads)

    def diagnostics(self) -> dict[str, float]:
        if self.last_posterior_std is None:
            return {}
        return {"posterior_std": float(self.last_posterior_std)}

    def pruned(self) -> NoReturn:
        raise NotImplementedError(
            "the VAE cannot be pruned: pruning drops the hidden units and inputs whose weight "
            "groups the L2,1 penalty set to zero, and the VAE has no such penalty "
            "(use preset 'lr21-sae' or 'lr21-msae')"
        )


register_preset(
    Preset(
        "vae",
        "variational auto-encoder (Kingma and Welling 2014), Bernoulli decoder + L2 weight decay",
        VAE,
        dict(weight_penalty="l2", sparsity="none", multiscale=False),
    )
)
