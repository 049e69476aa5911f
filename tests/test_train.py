"""The trainer: checkpoints (a fit killed part-way and resumed ends where an uninterrupted one
does), L-BFGS reusing the evaluation at the point its line search accepted, and the precision
of its matrix products."""

import dataclasses
from pathlib import Path

import pytest
import torch

import msae.train
from msae.models import ModelConfig, build_model, get_preset
from msae.train import (
    CheckpointError,
    IncrementalTrainer,
    StopTraining,
    TrainConfig,
    read_checkpoint,
    train,
)

# (preset, solver): every solver, and the VAE, whose noise generator is part of the state.
CASES = [("lr21-msae", "lbfgs"), ("vae", "lbfgs"), ("sae", "adam"), ("vlsae", "vls")]


def _model(preset: str, dtype: torch.dtype = torch.float64, side: int = 4, hidden: int = 6):
    p = get_preset(preset)
    image_shape = None if preset == "vae" else (side, side, 1)
    cfg = ModelConfig(n_features=side * side, n_components=hidden, image_shape=image_shape,
                      lam=1e-3, beta=0.1, **p.defaults)  # fmt: skip
    return build_model(cfg, p, seed=0, dtype=dtype)


def _data(dtype: torch.dtype = torch.float64):
    return torch.rand(24, 16, generator=torch.Generator().manual_seed(1)).to(dtype)


class Crash(RuntimeError):
    pass


def _crash_at(iteration: int):
    def callback(info):
        if info.iteration == iteration:
            raise Crash(f"killed at iteration {iteration}")

    return callback


def _cfg(solver: str, path=None) -> TrainConfig:
    return TrainConfig(solver, max_iter=9, batch_size=8, checkpoint=path, checkpoint_every=2)


@pytest.mark.parametrize(("preset", "solver"), CASES)
def test_a_killed_fit_resumes_to_the_uninterrupted_weights(preset, solver, tmp_path):
    straight = _model(preset)
    history = train(straight, _data(), _cfg(solver))

    path = tmp_path / "run.ckpt"
    killed = _model(preset)
    with pytest.raises(Crash):
        train(killed, _data(), _cfg(solver, path), callbacks=[_crash_at(6)])
    saved = read_checkpoint(path)
    assert saved["iteration"] == 4  # the last multiple of checkpoint_every before the kill
    assert [row["iteration"] for row in saved["history"]] == [1, 2, 3, 4]

    seen = []
    resumed = _model(preset)  # a new process: fresh weights, overwritten by the checkpoint
    resumed_history = train(
        resumed, _data(), _cfg(solver, path), callbacks=[lambda info: seen.append(info.iteration)]
    )
    assert seen == [5, 6, 7, 8, 9]  # callbacks see the iterations this fit ran
    for a, b in zip(straight.parameters(), resumed.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert resumed_history == history
    assert not path.exists()  # removed once training is done


def test_a_checkpoint_of_another_fit_is_refused(tmp_path):
    path = tmp_path / "run.ckpt"
    with pytest.raises(Crash):
        train(_model("sae"), _data(), _cfg("lbfgs", path), callbacks=[_crash_at(3)])
    other = _data() * 0.5
    with pytest.raises(CheckpointError, match="different fit"):
        train(_model("sae"), other, _cfg("lbfgs", path))
    with pytest.raises(CheckpointError, match="different fit"):
        train(_model("sae"), _data(), _cfg("adam", path))
    assert path.exists()  # nothing is lost: the checkpoint is still there for its own fit


def test_a_damaged_checkpoint_names_the_file(tmp_path):
    path = tmp_path / "run.ckpt"
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match=r"run\.ckpt is not a readable"):
        train(_model("ae"), _data(), _cfg("lbfgs", path))
    assert path.read_bytes() == b"not a checkpoint"


def test_checkpoint_every_must_be_positive(tmp_path):
    cfg = TrainConfig(max_iter=2, checkpoint=tmp_path / "c", checkpoint_every=0)
    with pytest.raises(ValueError, match="checkpoint_every"):
        train(_model("ae"), _data(), cfg)


# L-BFGS: torch's LBFGS evaluates the start point of every step(), which the previous line
# search already evaluated; the trainer hands that evaluation back.

N_ITER = 12


def _counting(model):
    """Count the model's objective evaluations in ``model.evaluations``."""
    objective = model.objective
    model.evaluations = 0

    def counted(batch):
        model.evaluations += 1
        return objective(batch)

    model.objective = counted
    return model


@pytest.mark.parametrize(
    ("preset", "dtype"),
    [("ae", torch.float64), ("sae", torch.float64), ("lr21-msae", torch.float64),
     ("lr21-msae", torch.float32), ("vae", torch.float64)],
)  # fmt: skip
def test_reusing_evaluations_changes_nothing_but_their_number(preset, dtype):
    plain = _counting(_model(preset, dtype))
    train(plain, _data(dtype), TrainConfig("lbfgs", max_iter=N_ITER, reuse_evaluations=False))
    trained = _counting(_model(preset, dtype))
    history = train(trained, _data(dtype), TrainConfig("lbfgs", max_iter=N_ITER))
    for a, b in zip(plain.parameters(), trained.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert [row["iteration"] for row in history][:N_ITER] == list(range(1, N_ITER + 1))
    reused = plain.evaluations - trained.evaluations
    # Every polish step after the first starts from its predecessor's last trial point.
    polish = TrainConfig().polish_iter - 1 if plain.uses_nonsmooth_penalty() else 0
    if preset == "vae":  # new noise every iteration: the start point must be evaluated again
        assert reused == 0
    else:  # every iteration after the first starts from the point its predecessor accepted
        assert reused == N_ITER - 1 + polish


def test_an_accepted_point_not_in_the_memo_costs_one_evaluation(monkeypatch):
    """A memo that keeps nothing (as when a long line search has pushed the accepted point out)
    evaluates that point again after each step: one more evaluation per iteration than
    evaluating every point L-BFGS asks for, and the same weights."""
    plain = _counting(_model("sae"))
    train(plain, _data(), TrainConfig("lbfgs", max_iter=N_ITER, reuse_evaluations=False))
    init = msae.train._EvaluationMemo.__init__
    monkeypatch.setattr(
        msae.train._EvaluationMemo, "__init__", lambda self, params: init(self, params, size=0)
    )
    trained = _counting(_model("sae"))
    history = train(trained, _data(), TrainConfig("lbfgs", max_iter=N_ITER))
    for a, b in zip(plain.parameters(), trained.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert trained.evaluations - plain.evaluations == N_ITER
    assert len(history) == N_ITER


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


@pytest.mark.parametrize("before", [False, True])
def test_training_flushes_denormals_and_gives_the_thread_back_as_it_was(before):
    """Denormals (slow in x86 matrix products) are zeros while a model trains, in every solver,
    and the caller's thread keeps its own setting afterwards, even after a crash."""
    seen = []
    torch.set_flush_denormal(before)
    try:
        for preset, solver in CASES:
            callbacks = [lambda info: seen.append(msae.train._flushing_denormals())]
            train(_model(preset), _data(), _cfg(solver), callbacks)
            assert msae.train._flushing_denormals() is before
        with pytest.raises(Crash):
            train(_model("ae"), _data(), _cfg("lbfgs"), [_crash_at(2)])
        assert msae.train._flushing_denormals() is before
    finally:
        torch.set_flush_denormal(False)
    assert seen and all(seen)


@pytest.mark.parametrize("preset", ["lr21-msae", "vae"])
def test_incremental_passes_are_the_epochs_of_one_fit(preset):
    """Adam's moments, the batch order and the model's noise carry over from pass to pass:
    three passes over the data are three epochs, and the thread's denormal flag comes back."""
    cfg = dataclasses.replace(_cfg("adam"), max_iter=3, checkpoint=None)
    whole = _model(preset)
    history = train(whole, _data(), cfg)
    model, seen = _model(preset), []
    trainer = IncrementalTrainer(model, cfg, [lambda info: seen.append(info.iteration)])
    rows = [trainer.partial_fit(_data()) for _ in range(3)]
    assert rows == history and seen == [1, 2, 3]
    for a, b in zip(model.parameters(), whole.parameters(), strict=True):
        assert torch.equal(a, b)
    assert not model.training and not msae.train._flushing_denormals()
    with pytest.raises(ValueError, match="needs the adam solver, not 'lbfgs'"):
        IncrementalTrainer(model, _cfg("lbfgs"))


def _stop_at(iteration: int):
    def callback(info):
        if info.iteration == iteration:
            raise StopTraining("enough")

    return callback


@pytest.mark.parametrize(("preset", "solver"), CASES)
def test_a_callback_stops_training_where_max_iter_would(preset, solver, tmp_path):
    """StopTraining at iteration 4 leaves the weights of a fit of 4 iterations (polish
    included), every callback sees that iteration, and no checkpoint is left behind."""
    short = _model(preset)
    expected = train(short, _data(), dataclasses.replace(_cfg(solver), max_iter=4))
    stopped, seen = _model(preset), []
    cfg = _cfg(solver, tmp_path / "run.ckpt")
    history = train(stopped, _data(), cfg, [_stop_at(4), lambda info: seen.append(info.iteration)])
    assert history == expected and seen == [1, 2, 3, 4]
    for a, b in zip(stopped.parameters(), short.parameters(), strict=True):
        assert torch.equal(a, b)
    assert not (tmp_path / "run.ckpt").exists()


def test_a_stopped_lbfgs_checkpoint_resumes_at_the_polish(tmp_path):
    """Killed in the polish after a stop: resumed, it polishes the stopped weights at once."""
    path = tmp_path / "run.ckpt"
    expected = train(_model("lr21-msae"), _data(), dataclasses.replace(_cfg("lbfgs"), max_iter=4))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(msae.train, "_polish", lambda *args: _raise(Crash("killed")))
        with pytest.raises(Crash):
            train(_model("lr21-msae"), _data(), _cfg("lbfgs", path), [_stop_at(4)])
    assert read_checkpoint(path)["solver"]["converged"]
    seen = []
    model = _model("lr21-msae")
    history = train(model, _data(), _cfg("lbfgs", path), [lambda info: seen.append(info)])
    assert history == expected and seen == []


def _raise(exc: Exception):
    raise exc


def test_the_probe_sees_the_flag():
    """1e-40 is a float32 denormal: kept by default, zero when flushed."""
    torch.set_flush_denormal(False)
    assert not msae.train._flushing_denormals()
    msae.train.flush_denormals()
    try:
        assert msae.train._flushing_denormals()
    finally:
        torch.set_flush_denormal(False)


def _cpu_has_bf16() -> bool:
    """Whether oneDNN computes "bf16" products here, rather than falling back to float32."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return " avx512_bf16" in flags or " amx_bf16" in flags


def test_matmul_precision_is_set_for_the_block_and_restored():
    backend = torch.backends.mkldnn.matmul
    before = backend.fp32_precision
    with msae.train.matmul_precision("bf16", torch.device("cpu")):
        assert backend.fp32_precision == "bf16"
        a, b = torch.rand(64, 300), torch.rand(300, 64)
        product = a @ b
    assert backend.fp32_precision == before
    error = ((product.double() - a.double() @ b.double()).abs().max() / product.abs().max()).item()
    if _cpu_has_bf16():  # bfloat16 inputs: about 3 significant digits, float32's are 7
        assert 1e-5 < error < 1e-2
    for precision, device in (("tf32", "cpu"), ("bf16", "cuda"), ("fp16", "cpu")):
        with pytest.raises(ValueError, match=f"matmul_precision '{precision}' is not offered"):
            msae.train.matmul_precision(precision, torch.device(device))


def test_a_bf16_fit_trains_close_to_the_exact_one_and_has_its_own_checkpoints(tmp_path):
    """The setting reaches training's products (the weights differ from an exact fit's, on a
    CPU with bfloat16) without changing what is learnt by much; a checkpoint of one precision
    is not resumed by a fit of the other, while an exact fit's key is as it always was."""
    x = torch.rand(128, 64, generator=torch.Generator().manual_seed(1))
    exact, fast = _larger_model(), _larger_model()  # torch keeps tiny products exact
    cfg = TrainConfig("lbfgs", max_iter=20)
    exact_loss = train(exact, x, cfg)[-1]["loss"]
    fast_loss = train(fast, x, _with_bf16(cfg))[-1]["loss"]
    assert torch.backends.mkldnn.matmul.fp32_precision != "bf16"  # restored
    if _cpu_has_bf16():
        pairs = zip(exact.parameters(), fast.parameters(), strict=True)
        assert any(not torch.equal(a, b) for a, b in pairs)
    # L-BFGS paths part once their products differ, so the weights are not compared: the
    # objective reached (of each model's own float32 products) is.
    assert fast_loss == pytest.approx(exact_loss, rel=0.02)
    key = msae.train.fingerprint
    assert "bf16" not in key(exact, x, cfg) and "'bf16')" in key(exact, x, _with_bf16(cfg))
    path = tmp_path / "run.ckpt"
    with pytest.raises(Crash):
        train(_larger_model(), x, _with_bf16(_cfg("lbfgs", path)), callbacks=[_crash_at(3)])
    with pytest.raises(CheckpointError, match="different fit"):
        train(_larger_model(), x, _cfg("lbfgs", path))


def _larger_model():
    return _model("lr21-msae", torch.float32, side=8, hidden=32)


def _with_bf16(cfg: TrainConfig) -> TrainConfig:
    return dataclasses.replace(cfg, matmul_precision="bf16")
