import math

import pytest
import torch

from msae.penalties import (
    SPARSITY_TERMS,
    WEIGHT_PENALTIES,
    group_shrink,
    js_sparsity,
    kl_sparsity,
    l21_penalty,
    wasserstein_sparsity,
)

torch.manual_seed(0)


def _rho_hat() -> torch.Tensor:
    return torch.rand(7, dtype=torch.float64) * 0.8 + 0.1


@pytest.mark.parametrize("name", sorted(SPARSITY_TERMS))
@pytest.mark.parametrize("smoothing", [0.0, 1e-2])
def test_sparsity_gradients_match_finite_differences(name, smoothing):
    rho_hat = _rho_hat().requires_grad_(True)
    fn = SPARSITY_TERMS[name]
    assert torch.autograd.gradcheck(lambda r: fn(r, 0.1, smoothing), (rho_hat,))


@pytest.mark.parametrize("name", sorted(WEIGHT_PENALTIES))
@pytest.mark.parametrize("smoothing", [0.0, 1e-4])
def test_weight_penalty_gradients_match_finite_differences(name, smoothing):
    w = torch.randn(5, 4, dtype=torch.float64, requires_grad=True)
    w_dec = torch.randn(4, 5, dtype=torch.float64, requires_grad=True)
    fn = WEIGHT_PENALTIES[name]
    assert torch.autograd.gradcheck(lambda a, b: fn(a, b, smoothing=smoothing), (w, w_dec))


def test_known_answers():
    rho_hat = torch.tensor([0.1, 0.2, 0.05], dtype=torch.float64)
    expected_kl = sum(
        0.1 * math.log(0.1 / q) + 0.9 * math.log(0.9 / (1 - q)) for q in (0.1, 0.2, 0.05)
    )
    assert kl_sparsity(rho_hat, 0.1).item() == pytest.approx(expected_kl)
    assert wasserstein_sparsity(rho_hat, 0.1).item() == pytest.approx(0.0 + 0.1 + 0.05)
    # JS is symmetric, zero at equality and bounded by log 2 per unit.
    assert js_sparsity(torch.tensor([0.1], dtype=torch.float64), 0.1).item() == pytest.approx(0.0)
    far = js_sparsity(torch.tensor([0.999999], dtype=torch.float64), 1e-6).item()
    assert 0.6 < far <= math.log(2)
    w = torch.tensor([[3.0, 4.0], [0.0, 0.0]], dtype=torch.float64)
    # rows: 5 + 0; columns: 3 + 4
    assert l21_penalty(w, w.T).item() == pytest.approx(12.0)


def test_wasserstein_gradient_is_plus_minus_one():
    rho_hat = torch.tensor([0.02, 0.5], dtype=torch.float64, requires_grad=True)
    wasserstein_sparsity(rho_hat, 0.1).backward()
    assert rho_hat.grad.tolist() == [-1.0, 1.0]


def test_group_shrink_zeroes_small_groups_and_shrinks_others():
    w = torch.tensor([[0.3, 0.4], [3.0, 4.0]], dtype=torch.float64)
    out = group_shrink(w, 1.0, dim=1)
    assert out[0].abs().sum() == 0
    assert torch.allclose(out[1], torch.tensor([3.0, 4.0], dtype=torch.float64) * 0.8)
