import numpy as np
import pytest

from msae.experiments.data import load_split
from msae.experiments.runner import (
    checkpoint_path,
    curve_run,
    fit_predict,
    make_estimator,
    timed_metrics,
)
from msae.experiments.spec import RunSpec
from msae.train import read_checkpoint


def test_classifier_alpha_reaches_both_softmaxes():
    """``classifier_alpha`` is the softmax's L2 for the raw floor and for the auto-encoders."""
    params = {"n_train": 300, "n_test": 100, "n_components": 8, "max_iter": 2}
    split = load_split(RunSpec("t", "digits", "raw", params, 0))

    def raw_norm(alpha: float | None) -> float:
        spec = RunSpec("t", "digits", "raw", {**params, "classifier_alpha": alpha}, 0)
        return float(
            np.linalg.norm(make_estimator(spec, split).fit(split.X_train, split.y_train).coef_)
        )

    assert raw_norm(1.0) < 0.5 * raw_norm(None)  # None: the library default, 1e-4
    raw = RunSpec("t", "digits", "raw", params, 0)
    assert "n_iter" not in timed_metrics(fit_predict(raw, split), split)  # no iterations to count
    spec = RunSpec("t", "digits", "ae", {**params, "classifier_alpha": 0.5}, 0)
    assert make_estimator(spec, split).classifier_alpha == 0.5
    spec = RunSpec("t", "digits", "ae", {**params, "fine_tune_iter": 7}, 0)
    assert make_estimator(spec, split).fine_tune_iter == 7


def test_a_run_killed_mid_training_resumes_from_its_checkpoint(tmp_path):
    """The run's checkpoint (under checkpoint_dir, named by its key) carries it on; the result
    equals an uninterrupted run's, and the metrics say where it resumed."""
    params = {"n_train": 300, "n_test": 100, "n_components": 8, "max_iter": 25}
    straight = RunSpec("t", "digits", "lr21-msae", params, 0)
    split = load_split(straight)
    expected = fit_predict(straight, split)

    spec = straight.with_params(checkpoint_dir=str(tmp_path))
    assert spec.key == straight.key  # where checkpoints go is not part of the run

    def kill(info):
        if info.iteration == 15:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fit_predict(spec, split, [kill])
    path = checkpoint_path(spec)
    assert path == tmp_path / f"{spec.key}.ckpt" and path.exists()
    earlier = read_checkpoint(path)["elapsed"]

    resumed = fit_predict(spec, split)
    metrics = timed_metrics(resumed, split)
    assert metrics["resumed_at_iteration"] == 10
    assert metrics["n_iter"] == timed_metrics(expected, split)["n_iter"] == 25
    assert metrics["train_time"] > earlier > 0
    np.testing.assert_array_equal(resumed.y_pred, expected.y_pred)
    np.testing.assert_array_equal(
        resumed.estimator.transformer_.components_, expected.estimator.transformer_.components_
    )
    assert not path.exists()
    assert "resumed_at_iteration" not in timed_metrics(expected, split)


def test_a_checkpoint_dir_that_cannot_be_made_only_warns(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    spec = RunSpec("t", "digits", "ae", {"checkpoint_dir": str(blocker / "checkpoints")}, 0)
    with pytest.warns(UserWarning, match="no training checkpoints"):
        assert checkpoint_path(spec) is None


def test_classifier_alphas_score_each_l2_at_every_checkpoint():
    """One training run gives a curve per softmax L2; the run's own L2 is the plain curve, and
    each is what a separate run with that L2 would have scored."""
    params = {"n_train": 300, "n_test": 150, "n_components": 8, "max_iter": 6, "n_checkpoints": 3}
    spec = RunSpec("t", "digits", "ae", {**params, "classifier_alphas": [1e-4, 1.0]}, 0)
    split = load_split(spec)
    metrics = curve_run(spec, split)[1]
    curve = metrics["curve"]
    assert curve["iteration"] == [2, 4, 6] and set(curve["accuracy_by_alpha"]) == {"0.0001", "1.0"}
    assert curve["accuracy_by_alpha"]["0.0001"] == curve["accuracy"]  # 1e-4: the default
    alone = curve_run(spec.with_params(classifier_alpha=1.0, classifier_alphas=[]), split)[1]
    assert curve["accuracy_by_alpha"]["1.0"] == alone["curve"]["accuracy"]
    assert curve["accuracy_by_alpha"]["1.0"] != curve["accuracy"]  # a large L2 costs accuracy
    plain = curve_run(spec.with_params(classifier_alphas=[]), split)[1]
    assert "accuracy_by_alpha" not in plain["curve"]
    assert plain["curve"]["accuracy"] == curve["accuracy"]


def test_fine_tune_lengths_score_what_fine_tune_iter_would_give():
    """One run fine-tuned after training, scored after each length: the score at a length is
    that of a run with that ``fine_tune_iter``, and the fitted classifier is left as it was."""
    params = {"n_train": 300, "n_test": 150, "n_components": 8, "max_iter": 6, "n_checkpoints": 2}
    spec = RunSpec("t", "digits", "sae", {**params, "fine_tune_lengths": [4, 12]}, 0)
    split = load_split(spec)
    fitted, metrics = curve_run(spec, split)
    assert metrics["fine_tune"]["iteration"] == [4, 12]
    once = fit_predict(spec.with_params(n_checkpoints=0, fine_tune_lengths=None), split)
    np.testing.assert_array_equal(fitted.estimator.coef_, once.estimator.coef_)  # untouched
    for length, score in zip([4, 12], metrics["fine_tune"]["accuracy"], strict=True):
        alone = fit_predict(spec.with_params(n_checkpoints=0, fine_tune_iter=length), split)
        assert score == timed_metrics(alone, split)["accuracy"]
    assert metrics["fine_tune"]["accuracy"][-1] > metrics["accuracy"]  # 8 units gain a lot
