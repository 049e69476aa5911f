import numpy as np
import pytest
import torch

from msae.models import PRESETS, ModelConfig, build_model, get_preset
from msae.train import TrainConfig, TrainingDivergedError, train


def _model(preset: str, *, image_shape=(4, 4, 1), **overrides):
    p = get_preset(preset)
    cfg = ModelConfig(
        n_features=16, n_components=6, image_shape=image_shape, lam=1e-2, beta=0.3,
        **{**p.defaults, **overrides},
    )  # fmt: skip
    return build_model(cfg, p, seed=0, dtype=torch.float64)


AE_PRESETS = ["ae", "sae", "lr21-sae", "msae", "lr21-msae"]


@pytest.mark.parametrize("preset", AE_PRESETS)
@pytest.mark.parametrize("sparsity", ["kl", "js", "wasserstein"])
def test_objective_gradient_matches_finite_differences(preset, sparsity):
    """float64 central differences of the whole objective (J_ms included) w.r.t. every weight."""
    model = _model(preset, sparsity=sparsity)
    x = torch.rand(9, 16, dtype=torch.float64)
    data = model.prepare(x)
    params = list(model.parameters())

    def objective(*values):
        with torch.no_grad():
            for p, v in zip(params, values, strict=True):
                p.copy_(v)
        return sum(model.loss_terms(data).values())

    start = [p.detach().clone() for p in params]
    loss = sum(model.loss_terms(data).values())
    grads = torch.autograd.grad(loss, params)
    eps = 1e-6
    rng = np.random.default_rng(0)
    for j, (g, p0) in enumerate(zip(grads, start, strict=True)):
        flat = p0.flatten()
        for i in rng.choice(flat.numel(), size=min(5, flat.numel()), replace=False):
            plus, minus = flat.clone(), flat.clone()
            plus[i] += eps
            minus[i] -= eps
            values = [q.clone() for q in start]
            values[j] = plus.view_as(p0)
            f_plus = objective(*values).item()
            values[j] = minus.view_as(p0)
            f_minus = objective(*values).item()
            numeric = (f_plus - f_minus) / (2 * eps)
            assert g.flatten()[i].item() == pytest.approx(numeric, rel=1e-5, abs=1e-8)
        objective(*start)


def test_multiscale_terms_present_and_vector_pyramid_works():
    model = _model("lr21-msae", image_shape=None)
    terms = model.loss_terms(model.prepare(torch.rand(5, 16, dtype=torch.float64)))
    assert {"reconstruction", "weight", "sparsity", "multiscale", "consistency"} <= set(terms)
    assert all(v.item() >= 0 for v in terms.values())


def test_registry_has_the_paper_presets():
    assert {"ae", "sae", "lr21-sae", "msae", "lr21-msae"} <= set(PRESETS)
    assert PRESETS["lr21-msae"].defaults == {
        "weight_penalty": "l21", "sparsity": "wasserstein", "multiscale": True,
    }  # fmt: skip
    with pytest.raises(ValueError, match="unknown preset 'nope'"):
        get_preset("nope")


def test_nan_in_loss_stops_training_naming_iteration_and_term():
    model = _model("sae")
    x = torch.rand(8, 16, dtype=torch.float64)
    x[0, 0] = float("nan")
    with pytest.raises(TrainingDivergedError, match=r"iteration 1: loss term\(s\) reconstruction"):
        train(model, x, TrainConfig(max_iter=3))


def test_nan_in_adam_loss_is_reported_too():
    model = _model("ae")
    x = torch.rand(8, 16, dtype=torch.float64)
    x[3, 2] = float("inf")
    with pytest.raises(TrainingDivergedError, match="iteration 1"):
        train(model, x, TrainConfig(solver="adam", max_iter=2, batch_size=4))


def test_unknown_solver_is_rejected():
    with pytest.raises(ValueError, match="unknown solver 'sgd'"):
        train(_model("ae"), torch.rand(4, 16, dtype=torch.float64), TrainConfig(solver="sgd"))
