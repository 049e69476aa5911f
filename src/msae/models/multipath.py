"""The multi-path auto-encoder over the Laplacian pyramid (the paper's Eqs. 8-11, Fig. 2).

Level ``N`` (coarsest) is encoded from its Laplacian image alone, every finer level ``k`` from
its Laplacian image *and* the code of the level below:

    h_N = s(A_N LP_N + c_N),    h_k = s(A_k LP_k + B_k h_{k+1} + c_k),

and a decoder per level reconstructs the Gaussian image, ``g_k(h_k) = s(D_k h_k + e_k)``.
The finest code ``e = h_0`` has the main auto-encoder's hidden size ``m`` so that it can be
compared with the main features (``loss2``). The paper leaves the other sizes open; level ``k``
gets ``ceil(m / 2^k)`` units, shrinking with the level the way the images do.
"""

from __future__ import annotations

import itertools
import math

import torch
from torch import Tensor, nn

from msae.models.base import glorot_uniform


def level_hidden_sizes(n_components: int, levels: int) -> list[int]:
    return [n_components] + [math.ceil(n_components / 2**k) for k in range(1, levels + 1)]


class MultiPathAE(nn.Module):
    def __init__(
        self,
        level_sizes: list[int],
        n_components: int,
        generator: torch.Generator,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        super().__init__()
        hidden = level_hidden_sizes(n_components, len(level_sizes) - 1)
        self.enc = nn.ParameterList(
            [
                nn.Parameter(glorot_uniform(h, d, generator, dtype))
                for h, d in zip(hidden, level_sizes, strict=True)
            ]
        )
        self.enc_bias = nn.ParameterList(
            [nn.Parameter(torch.zeros(h, dtype=dtype)) for h in hidden]
        )
        self.lateral = nn.ParameterList(
            [
                nn.Parameter(glorot_uniform(h, h_next, generator, dtype))
                for h, h_next in itertools.pairwise(hidden)
            ]
        )
        self.dec = nn.ParameterList(
            [
                nn.Parameter(glorot_uniform(d, h, generator, dtype))
                for h, d in zip(hidden, level_sizes, strict=True)
            ]
        )
        self.dec_bias = nn.ParameterList(
            [nn.Parameter(torch.zeros(d, dtype=dtype)) for d in level_sizes]
        )

    def encode(self, laplacian: list[Tensor]) -> list[Tensor]:
        """Codes ``h_0..h_N`` from the Laplacian levels ``LP_0..LP_N``."""
        top = len(laplacian) - 1
        codes = [torch.sigmoid(torch.addmm(self.enc_bias[top], laplacian[top], self.enc[top].T))]
        for k in range(top - 1, -1, -1):
            pre = torch.addmm(self.enc_bias[k], laplacian[k], self.enc[k].T)
            codes.append(torch.sigmoid(pre + codes[-1] @ self.lateral[k].T))
        return codes[::-1]

    def reconstruction_loss(self, codes: list[Tensor], gaussian: list[Tensor]) -> Tensor:
        """``loss1``: mean over levels and samples of ``(1/2)||G_k - g_k(h_k)||^2``."""
        total = codes[0].new_zeros(())
        for k, (h, g) in enumerate(zip(codes, gaussian, strict=True)):
            recon = torch.sigmoid(torch.addmm(self.dec_bias[k], h, self.dec[k].T))
            total = total + 0.5 * (g - recon).square().sum() / g.shape[0]
        return total / len(codes)

    def weight_square_sum(self) -> Tensor:
        mats = [*self.enc, *self.lateral, *self.dec]
        return sum(w.square().sum() for w in mats)
