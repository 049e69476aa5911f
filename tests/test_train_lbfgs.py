"""L-BFGS reuses the evaluation at the accepted point of a line search; nothing else changes."""

import pytest
import torch

import msae.train
from msae.models import ModelConfig, build_model, get_preset
from msae.train import TrainConfig, train

N_ITER = 12


def _model(preset: str, dtype: torch.dtype):
    p = get_preset(preset)
    image_shape = None if preset == "vae" else (4, 4, 1)
    cfg = ModelConfig(n_features=16, n_components=6, image_shape=image_shape, lam=1e-3,
                      beta=0.1, **p.defaults)  # fmt: skip
    return build_model(cfg, p, seed=0, dtype=dtype)


def _data(dtype: torch.dtype):
    return torch.rand(40, 16, generator=torch.Generator().manual_seed(1)).to(dtype)


def _fit(preset: str, dtype: torch.dtype, monkeypatch, reuse: bool):
    """The fitted model, its history and how many times the objective was evaluated."""
    calls = []
    evaluate = msae.train.evaluate

    def counted(model, batch, iteration):
        calls.append(iteration)
        return evaluate(model, batch, iteration)

    with monkeypatch.context() as patch:
        patch.setattr(msae.train, "evaluate", counted)
        if not reuse:  # every lookup misses: each step() evaluates its start point again
            patch.setattr(msae.train._EvaluationMemo, "find", lambda self: None)
        model = _model(preset, dtype)
        history = train(model, _data(dtype), TrainConfig("lbfgs", max_iter=N_ITER))
    return model, history, len(calls)


@pytest.mark.parametrize(
    ("preset", "dtype"),
    [("ae", torch.float64), ("sae", torch.float64), ("lr21-msae", torch.float64),
     ("lr21-msae", torch.float32), ("vae", torch.float64)],
)  # fmt: skip
def test_reusing_evaluations_changes_nothing_but_their_number(preset, dtype, monkeypatch):
    fresh, _, n_fresh = _fit(preset, dtype, monkeypatch, reuse=False)
    reused, history, n_reused = _fit(preset, dtype, monkeypatch, reuse=True)
    for a, b in zip(fresh.parameters(), reused.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    n_iter = sum(1 for row in history if "polish_steps" not in row)
    assert n_iter == N_ITER
    if preset == "vae":  # new noise every iteration: the start point must be evaluated again
        assert n_reused == n_fresh
    else:  # every iteration after the first starts from the point its predecessor accepted
        assert n_fresh - n_reused == N_ITER - 1


@pytest.mark.parametrize("preset", ["sae", "vae"])
def test_the_history_records_the_accepted_point(preset):
    """Each iteration's loss is the objective at the weights it ended with, even when the
    line search's last trial point was not the one it accepted."""
    model, x = _model(preset, torch.float64), _data(torch.float64)
    data = model.prepare(x)
    recomputed = []

    def objective_now(info):
        with torch.no_grad():
            recomputed.append(model.objective(data)[0].item())

    history = train(model, x, TrainConfig("lbfgs", max_iter=N_ITER), callbacks=[objective_now])
    assert [row["loss"] for row in history] == pytest.approx(recomputed, rel=1e-12, abs=0)
