import pytest
import torch

from msae.models import ModelConfig, build_model, get_preset
from msae.models.fused import fused_objective

PRESETS = ["ae", "sae", "lr21-sae", "msae", "lr21-msae"]


def _assert_same(terms, reference, got, expected, params) -> None:
    """Fused terms and gradient equal the autograd reference's."""
    assert terms.keys() == reference.keys()
    for name in terms:
        torch.testing.assert_close(terms[name], reference[name].detach(), msg=name)
    for p_, g, e in zip(params, got, expected, strict=True):
        torch.testing.assert_close(g, e, msg=f"gradient of a {tuple(p_.shape)} parameter")


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("sparsity", ["kl", "js", "wasserstein"])
@pytest.mark.parametrize(("proximal", "smooth"), [(False, True), (True, True), (True, False)])
@pytest.mark.parametrize("image_shape", [(4, 5, 1), None])
def test_fused_objective_matches_autograd_reference(preset, sparsity, proximal, smooth,
                                                    image_shape):  # fmt: skip
    p = get_preset(preset)
    cfg = ModelConfig(n_features=20, n_components=7, image_shape=image_shape, lam=0.03, beta=0.2,
                      **{**p.defaults, "sparsity": sparsity})  # fmt: skip
    model = build_model(cfg, p, seed=1, dtype=torch.float64)
    model.proximal, model.smooth = proximal, smooth
    data = model.prepare(torch.rand(11, 20, dtype=torch.float64))
    params = list(model.parameters())

    reference = model.loss_terms(data)
    expected = torch.autograd.grad(sum(reference.values()), params)
    loss, terms = fused_objective(model, data)
    got = torch.autograd.grad(loss, params)

    _assert_same(terms, reference, got, expected, params)


def test_reused_buffers_give_the_same_answer_across_batch_sizes():
    """The workspace is reused between calls (mini-batches of different sizes included)."""
    p = get_preset("lr21-msae")
    cfg = ModelConfig(n_features=16, n_components=5, image_shape=(4, 4, 1), **p.defaults)
    model = build_model(cfg, p, seed=0, dtype=torch.float64)
    params = list(model.parameters())
    for n in (9, 4, 9, 9):
        data = model.prepare(torch.rand(n, 16, dtype=torch.float64))
        expected = torch.autograd.grad(sum(model.loss_terms(data).values()), params)
        got = torch.autograd.grad(fused_objective(model, data)[0], params)
        for g, e in zip(got, expected, strict=True):
            torch.testing.assert_close(g, e)


def test_repeated_full_batch_steps_allocate_no_new_buffers():
    """Every scratch array keeps its storage from one step to the next: a buffer whose shape
    changed within a step (e.g. shared between pyramid levels) would be reallocated and
    page-faulted in again on every full-batch iteration."""
    p = get_preset("lr21-msae")
    cfg = ModelConfig(n_features=64, n_components=6, image_shape=(8, 8, 1), **p.defaults)
    model = build_model(cfg, p, seed=0)
    data = model.prepare(torch.rand(10, 64))

    def storages() -> dict[str, int]:
        return {k: b.data_ptr() for k, b in model.workspace._buffers.items()}

    fused_objective(model, data)
    first = storages()
    fused_objective(model, data)
    assert storages() == first


@pytest.mark.parametrize("lam", [0.03, 0.0])
@pytest.mark.parametrize("smooth", [True, False])
def test_fused_vae_objective_matches_autograd_reference(lam, smooth):
    """The VAE's hand-written gradient, with the noise held (L-BFGS) or drawn afresh at every
    evaluation (Adam: the generator is rewound so that both see the same draw), in float64,
    with logits large enough to saturate the sigmoid."""
    p = get_preset("vae")
    cfg = ModelConfig(n_features=20, n_components=7, lam=lam, **p.defaults)
    model = build_model(cfg, p, seed=1, dtype=torch.float64)
    with torch.no_grad():
        model.dec_weight.mul_(30.0)
    model.smooth = smooth
    data = model.prepare(torch.rand(11, 20, dtype=torch.float64))
    params = list(model.parameters())
    state = model.random_state()

    reference = model.loss_terms(data)
    expected = torch.autograd.grad(sum(reference.values()), params)
    expected_std = model.last_posterior_std
    model.set_random_state(state)
    loss, terms = model.objective(data)
    got = torch.autograd.grad(loss, params)

    _assert_same(terms, reference, got, expected, params)
    torch.testing.assert_close(model.last_posterior_std, expected_std)
