import math

import numpy as np
import pytest
import torch

from msae import MSAEClassifier, MSAETransformer
from msae.models import ModelConfig, build_model, get_preset


def _vae(n_features: int = 6, n_components: int = 3, lam: float = 1e-2, **overrides):
    preset = get_preset("vae")
    fields = {**preset.defaults, **overrides}
    cfg = ModelConfig(n_features=n_features, n_components=n_components, lam=lam, **fields)
    return build_model(cfg, preset, seed=0, dtype=torch.float64)


def _loss(model, x):
    return sum(model.loss_terms({"x": x}).values())


def test_gradient_matches_central_differences_with_fixed_noise():
    model = _vae()
    x = torch.rand(5, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    model.smooth = True  # the noise is held until new_iteration()
    grads = torch.autograd.grad(_loss(model, x), list(model.parameters()))
    eps = 1e-6
    with torch.no_grad():
        for p, g in zip(model.parameters(), grads, strict=True):
            flat, numeric = p.view(-1), torch.empty(p.numel(), dtype=p.dtype)
            for i in range(p.numel()):
                flat[i] += eps
                f_plus = _loss(model, x)
                flat[i] -= 2 * eps
                f_minus = _loss(model, x)
                flat[i] += eps
                numeric[i] = (f_plus - f_minus) / (2 * eps)
            torch.testing.assert_close(g.view(-1), numeric, rtol=1e-6, atol=1e-8)


def test_kl_is_zero_for_the_prior_and_known_otherwise():
    model = _vae(lam=0.0)
    x = torch.rand(4, 6, dtype=torch.float64)
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
        assert model.loss_terms({"x": x})["kl"].item() == 0.0
        model.bias.fill_(1.0)  # mu = 1: KL = (1/2) mu^2 per unit
        model.logvar_bias.fill_(math.log(2.0))  # sigma^2 = 2: KL += (1/2)(2 - 1 - log 2)
        kl = model.loss_terms({"x": x})["kl"].item()
    assert kl == pytest.approx(3 * (0.5 + 0.5 * (1.0 - math.log(2.0))))


def test_terms_and_validation():
    x = torch.rand(4, 6, dtype=torch.float64)
    assert set(_vae().loss_terms({"x": x})) == {"reconstruction", "kl", "weight"}
    assert set(_vae(lam=0.0).loss_terms({"x": x})) == {"reconstruction", "kl"}
    with pytest.raises(ValueError, match="weight_penalty 'none' or 'l2'"):
        _vae(weight_penalty="l21")
    with pytest.raises(ValueError, match="no sparsity or multi-scale term"):
        _vae(sparsity="kl")
    with pytest.raises(NotImplementedError, match="cannot be pruned"):
        _vae().pruned()


def test_noise_is_fixed_per_iteration_for_smooth_solvers_and_fresh_otherwise():
    model = _vae()
    x = torch.rand(5, 6, dtype=torch.float64)
    with torch.no_grad():
        model.smooth = True
        first = _loss(model, x)
        assert _loss(model, x) == first
        model.new_iteration()
        assert _loss(model, x) != first
        model.smooth = False
        assert _loss(model, x) != _loss(model, x)


@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
def test_same_seed_gives_the_same_features(digits, solver):
    x = digits[0][:200]

    def features(seed: int) -> np.ndarray:
        t = MSAETransformer(8, preset="vae", solver=solver, max_iter=5, random_state=seed)
        return t.fit(x).transform(x)

    np.testing.assert_array_equal(features(0), features(0))
    assert not np.array_equal(features(0), features(1))


def test_vae_features_classify_digits(digits):
    x_tr, x_te, y_tr, y_te = digits
    clf = MSAEClassifier(64, preset="vae", max_iter=50, random_state=0).fit(x_tr, y_tr)
    assert clf.score(x_te, y_te) > 0.8  # chance is 0.10
    assert clf.transformer_.components_.shape == (64, 64)
