"""Early stopping: when it stops, which weights it leaves, and the held-out score it reads."""

import numpy as np
import pytest

from msae import MSAEClassifier, MSAETransformer
from msae.callbacks import EarlyStopping, reconstruction_score


def _scripted(values: dict[int, float]):
    """A score that gives ``values[iteration]``."""
    return lambda info: values[info.iteration]


SCORES = {2: 1.0, 4: 3.0, 6: 2.0, 8: 3.0, 10: 2.5, 12: 9.0}


def test_it_stops_after_patience_checks_without_improvement(digits):
    stop = EarlyStopping(_scripted(SCORES), patience=3, every=2, restore_best=False)
    t = MSAETransformer(8, preset="sae", max_iter=12, random_state=0, callbacks=[stop])
    t.fit(digits[0][:200])
    # 6, 8 and 10 do not beat 3.0 (at 4); 8 only equals it.
    assert t.n_iter_ == 10 and len(t.history_) == 10
    assert stop.scores == [(2, 1.0), (4, 3.0), (6, 2.0), (8, 3.0), (10, 2.5)]
    assert (stop.best_iteration, stop.best_score) == (4, 3.0)
    # tol: an improvement must exceed the best by more; 3.0 (at 4) is not 2.5 above 1.0.
    tight = EarlyStopping(_scripted(SCORES), patience=2, every=2, tol=2.5, restore_best=False)
    MSAETransformer(8, preset="sae", max_iter=12, random_state=0, callbacks=[tight]).fit(
        digits[0][:200]
    )
    assert tight.scores[-1][0] == 6 and tight.best_iteration == 2


@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
def test_restore_best_leaves_the_weights_of_the_best_check(digits, solver):
    x = digits[0][:200]
    stop = EarlyStopping(_scripted(SCORES), patience=3, every=2)
    settings = dict(preset="sae", solver=solver, batch_size=64, random_state=0)
    stopped = MSAETransformer(8, max_iter=12, callbacks=[stop], **settings).fit(x)
    best = MSAETransformer(8, max_iter=4, **settings).fit(x)
    assert stopped.n_iter_ == 10
    np.testing.assert_array_equal(stopped.components_, best.components_)
    np.testing.assert_array_equal(stopped.transform(x), best.transform(x))
    # A second fit with the same callback starts afresh.
    MSAETransformer(8, max_iter=3, callbacks=[stop], **settings).fit(x)
    assert stop.scores == [(2, 1.0)] and stop.best_iteration == 2


def test_reconstruction_score_is_the_mean_of_score_samples(digits):
    x_tr, x_val = digits[0][:300], digits[1][:100]
    seen = []
    score = reconstruction_score(x_val)
    t = MSAETransformer(8, preset="sae", max_iter=3, dtype="float64", random_state=0)
    t.set_params(callbacks=[lambda info: seen.append(score(info))]).fit(x_tr)
    assert len(seen) == 3 and seen[0] < seen[-1]  # it learns
    assert seen[-1] == pytest.approx(t.score_samples(x_val).mean(), rel=1e-12)


def test_held_out_early_stopping_through_the_classifier(digits):
    """The use it is for: stop when the held-out reconstruction stops improving."""
    x_tr, x_val, y_tr = digits[0][:1000], digits[0][1000:], digits[2][:1000]
    stop = EarlyStopping(reconstruction_score(x_val), patience=2, every=5, tol=1e-3)
    clf = MSAEClassifier(16, max_iter=2000, image_shape=(8, 8, 1), random_state=0)
    clf.set_params(callbacks=[stop]).fit(x_tr, y_tr)
    assert clf.n_iter_ < 2000 and clf.n_iter_ == stop.scores[-1][0]
    assert stop.best_iteration == clf.n_iter_ - 10
    assert clf.score(digits[1], digits[3]) > 0.85


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="at least 1"):
        EarlyStopping(lambda info: 0.0, patience=0)
