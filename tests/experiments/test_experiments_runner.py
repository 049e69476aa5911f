import numpy as np

from msae.experiments.data import load_split
from msae.experiments.runner import make_estimator
from msae.experiments.spec import RunSpec


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
    spec = RunSpec("t", "digits", "ae", {**params, "classifier_alpha": 0.5}, 0)
    assert make_estimator(spec, split).classifier_alpha == 0.5
