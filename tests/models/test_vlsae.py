import itertools

import pytest
import torch

from msae import MSAEClassifier
from msae.models import ModelConfig, VLSOptions, build_model, get_preset
from msae.models.vlsae import band_errors, speed_factor, update_gains
from msae.pyramid import build_pyramid
from msae.train import TrainConfig, TrainingDivergedError, train


def _vlsae(**extra):
    preset = get_preset("vlsae")
    cfg = ModelConfig(n_features=16, n_components=6, image_shape=(4, 4, 1), lam=1e-3,
                      **preset.defaults, extra={"vls": extra})  # fmt: skip
    return build_model(cfg, preset, seed=0, dtype=torch.float64)


def test_gains_grow_additively_on_agreement_and_shrink_on_disagreement():
    opts = VLSOptions(gain_increase=0.05, gain_decrease=0.1, gain_min=0.1, gain_max=2.0)
    gains = torch.tensor([1.0, 1.0, 1.0, 2.0, 0.1])
    grad = torch.tensor([3.0, -3.0, 0.0, 1.0, 1.0])
    bar = torch.tensor([0.5, 0.5, 0.5, 1.0, -1.0])
    new = update_gains(gains, grad, bar, opts)
    # agree: +0.05; disagree: *0.9; zero: unchanged; clipped to [0.1, 2].
    torch.testing.assert_close(new, torch.tensor([1.05, 0.9, 1.0, 2.0, 0.1]))


def test_speed_follows_the_band_errors():
    opts = VLSOptions(speed_up=1.1, slow_down=0.5)
    before = torch.tensor([1.0, 1.0, 1.0])
    assert speed_factor(before, torch.tensor([0.9, 0.8, 0.99]), opts) == 1.1
    assert speed_factor(before, torch.tensor([1.0, 1.2, 1.1]), opts) == 0.5
    assert speed_factor(before, torch.tensor([0.9, 1.2, 1.0]), opts) == 1.0


def test_band_errors_compare_the_pyramids_of_input_and_reconstruction():
    model = _vlsae()
    x = torch.rand(7, 16, dtype=torch.float64)
    with torch.no_grad():
        z = model.decode(model.encode(x))
    px, pz = (build_pyramid(t, 2, (4, 4, 1)).laplacian for t in (x, z))
    expected = torch.stack([(a - b).square().mean() for a, b in zip(px, pz, strict=True)])
    torch.testing.assert_close(band_errors(model, x), expected)


def test_objective_never_rises_past_the_tolerance():
    model = _vlsae(speed=50.0)  # far too fast: steps get undone and the speed drops
    history = train(model, torch.rand(20, 16, dtype=torch.float64), TrainConfig("vls", 30))
    losses = [row["loss"] for row in history]
    assert len(losses) == 30
    assert all(b <= 1.04 * a for a, b in itertools.pairwise(losses))
    assert losses[-1] < losses[0]


def test_options_come_from_the_config():
    assert VLSOptions.from_config(_vlsae(speed=2.0).config) == VLSOptions(speed=2.0)


def test_nan_in_loss_stops_the_vls_solver():
    model = _vlsae()

    def poison(info):
        with torch.no_grad():
            info.model.weight[0, 0] = float("nan")

    x = torch.rand(8, 16, dtype=torch.float64)
    with pytest.raises(TrainingDivergedError, match="iteration 2"):
        train(model, x, TrainConfig(solver="vls", max_iter=5), callbacks=[poison])


def test_vlsae_features_classify_digits(digits):
    x_tr, x_te, y_tr, y_te = digits
    clf = MSAEClassifier(64, preset="vlsae", max_iter=50, random_state=0).fit(x_tr, y_tr)
    assert clf.score(x_te, y_te) > 0.8  # chance is 0.10
    assert [row["iteration"] for row in clf.transformer_.history_] == list(range(1, 51))


def test_nan_in_the_input_is_reported_at_the_first_iteration():
    x = torch.rand(8, 16, dtype=torch.float64)
    x[0, 0] = float("nan")
    with pytest.raises(TrainingDivergedError, match=r"iteration 1: loss term\(s\) reconstruction"):
        train(_vlsae(), x, TrainConfig(solver="vls", max_iter=3))
