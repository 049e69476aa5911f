"""Device independence.

No GPU is available in CI, so every model is also run on PyTorch's ``meta`` device: meta
tensors carry shapes but no data, and any tensor that the code creates on the CPU by mistake
(a constant, a buffer, a random draw) makes the step fail with a device mismatch, exactly as it
would on CUDA. The CUDA tests run where a GPU is present and are skipped elsewhere.
"""

import numpy as np
import pytest
import torch

from msae import MSAEClassifier, MSAETransformer
from msae.models import ModelConfig, build_model, get_preset
from msae.models.fused import fused_objective
from msae.models.registry import PRESETS

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def _model(preset: str, device: str, dtype=torch.float32):
    p = get_preset(preset)
    cfg = ModelConfig(n_features=64, n_components=6, image_shape=(8, 8, 1), **p.defaults)
    return build_model(cfg, p, seed=0, dtype=dtype).to(device)


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_every_objective_stays_on_the_models_device(preset):
    model = _model(preset, "meta")
    for smooth in (True, False):
        model.smooth = smooth
        model.new_iteration()
        batch = model.prepare(torch.empty(10, 64, device="meta"))
        assert {t.device.type for t in batch.values()} == {"meta"}
        loss, terms = model.objective(batch)
        loss.backward()
        assert loss.device.type == "meta"
        assert all(t.device.type == "meta" for t in terms.values())
        assert all(p.grad.device.type == "meta" for p in model.parameters() if p.grad is not None)
    model.proximal_step(0.1)
    assert model.encode(torch.empty(3, 64, device="meta")).shape == (3, 6)


@cuda
@pytest.mark.parametrize("preset", ["ae", "lr21-msae", "vae"])
def test_fused_objective_on_cuda_matches_cpu(preset):
    cpu = _model(preset, "cpu", torch.float64)
    gpu = _model(preset, "cuda", torch.float64)
    x = torch.rand(12, 64, dtype=torch.float64)
    loss_cpu, _ = cpu.objective(cpu.prepare(x))
    loss_gpu, _ = gpu.objective(gpu.prepare(x.cuda()))
    grads_cpu = torch.autograd.grad(loss_cpu, list(cpu.parameters()))
    grads_gpu = torch.autograd.grad(loss_gpu, list(gpu.parameters()))
    torch.testing.assert_close(loss_gpu.cpu(), loss_cpu)
    for g, e in zip(grads_gpu, grads_cpu, strict=True):
        torch.testing.assert_close(g.cpu(), e)
    if preset != "vae":  # the VAE's objective is its own autograd graph
        loss, _ = fused_objective(gpu, gpu.prepare(x.cuda()))
        torch.testing.assert_close(loss.cpu(), loss_cpu)


@cuda
@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
def test_classifier_trains_on_cuda_like_on_cpu(digits, solver):
    x_tr, x_te, y_tr, y_te = digits
    kwargs = dict(preset="lr21-msae", solver=solver, max_iter=30, image_shape=(8, 8, 1),
                  random_state=0, dtype="float64")  # fmt: skip
    on_cpu = MSAEClassifier(32, device="cpu", **kwargs).fit(x_tr, y_tr)
    on_gpu = MSAEClassifier(32, device="cuda", **kwargs).fit(x_tr, y_tr)
    # Same seed, same float64 arithmetic up to reduction order: near-identical features.
    np.testing.assert_allclose(
        on_gpu.transformer_.transform(x_te), on_cpu.transformer_.transform(x_te), atol=1e-4
    )
    assert on_gpu.score(x_te, y_te) > 0.85
    assert isinstance(on_gpu.transformer_.components_, np.ndarray)


@cuda
def test_fine_tuning_on_cuda_matches_cpu(digits):
    x_tr, x_te, y_tr, _ = digits
    kwargs = dict(preset="sae", max_iter=10, fine_tune_iter=10, random_state=0, dtype="float64")
    on_cpu = MSAEClassifier(16, device="cpu", **kwargs).fit(x_tr, y_tr)
    on_gpu = MSAEClassifier(16, device="cuda", **kwargs).fit(x_tr, y_tr)
    np.testing.assert_allclose(on_gpu.predict_proba(x_te), on_cpu.predict_proba(x_te), atol=1e-4)
    plain = MSAEClassifier(16, device="cuda", **{**kwargs, "fine_tune_iter": 0}).fit(x_tr, y_tr)
    assert not np.allclose(on_gpu.transformer_.components_, plain.transformer_.components_)


@cuda
def test_transformer_fitted_on_cuda_saves_and_loads_on_cpu(tmp_path, digits):
    x_tr = digits[0][:200]
    est = MSAETransformer(16, max_iter=10, device="cuda", random_state=0).fit(x_tr)
    est.save(tmp_path / "model")
    loaded = MSAETransformer.load(tmp_path / "model")
    loaded.set_params(device="cpu")
    np.testing.assert_allclose(loaded.transform(x_tr), est.transform(x_tr), atol=1e-5)
