import warnings

import numpy as np
import pytest
import torch
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler
from sklearn.utils.estimator_checks import check_estimator

from msae import MSAEClassifier, MSAETransformer

# check_estimator's data is not in [0, 1] and is tiny; a few iterations keep it quick.
FAST = dict(n_components=8, max_iter=5, random_state=0)


# torch's CPU sigmoid computes a tensor's last few elements (past a multiple of the vector
# width) with a scalar kernel that can differ from the vectorised one in the last bit, so a
# row's float32 features can depend on the rows after it, by 1e-7 relative. The check compares
# at rtol 1e-7 under a random permutation: with the weights the L-BFGS fits learn here it
# passes every time (the 20 features of its data agree in both kernels), with Adam's not.
ORDER = {"check_methods_sample_order_invariance": "float32 sigmoid, last bit (see above)"}


@pytest.mark.parametrize(
    ("estimator", "expected_failures"),
    [
        (MSAETransformer(**FAST), None),
        (MSAEClassifier(**FAST), None),
        (MSAETransformer(**FAST, solver="adam"), ORDER),  # it has partial_fit
    ],
    ids=["transformer", "classifier", "transformer-adam"],
)
@pytest.mark.filterwarnings("ignore:X has values outside")  # its data are not in [0, 1]
def test_check_estimator(estimator, expected_failures):
    check_estimator(estimator, expected_failed_checks=expected_failures)


def test_the_memory_layout_of_x_does_not_change_the_fit(digits):
    """Column-major X (a DataFrame's values are) is read row-major: the products then sum in
    the same order, and the fit is the same to the last bit (it differed by 1e-6 before)."""
    x_tr, x_te, _, _ = digits
    fit = MSAETransformer(6, max_iter=3, random_state=0)
    by_rows = fit.fit(x_tr).transform(x_te)
    by_columns = fit.fit(np.asfortranarray(x_tr)).transform(np.asfortranarray(x_te))
    np.testing.assert_array_equal(by_columns, by_rows)


def test_dataframes_in_and_out_of_a_pipeline(digits):
    """Column names are kept (``feature_names_in_``) and checked; ``set_output`` gives the
    features as a DataFrame with named columns, equal to the array output."""
    pd = pytest.importorskip("pandas")
    x_tr, x_te, y_tr, _ = digits
    columns = [f"pixel{i}" for i in range(x_tr.shape[1])]
    frame, test = pd.DataFrame(x_tr, columns=columns), pd.DataFrame(x_te, columns=columns)
    ae = MSAETransformer(6, max_iter=3, random_state=0).set_output(transform="pandas")
    features = ae.fit(frame).transform(test)
    assert list(ae.feature_names_in_) == columns
    assert list(features.columns) == [f"msaetransformer{i}" for i in range(6)]
    assert features.index.equals(test.index)
    plain = MSAETransformer(6, max_iter=3, random_state=0).fit(x_tr).transform(x_te)
    np.testing.assert_array_equal(features.to_numpy(), plain)
    with pytest.raises(ValueError, match="feature names"):
        ae.transform(test.rename(columns={"pixel0": "other"}))
    clf = make_pipeline(MSAEClassifier(6, max_iter=3, random_state=0)).fit(frame, y_tr)
    assert list(clf[-1].feature_names_in_) == columns and clf.score(test, digits[3]) > 0.3


@pytest.mark.parametrize("preset", ["ae", "sae", "lr21-sae", "msae", "lr21-msae"])
def test_every_preset_beats_chance_by_a_wide_margin_on_digits(digits, preset):
    x_tr, x_te, y_tr, y_te = digits
    clf = MSAEClassifier(64, preset=preset, max_iter=60, image_shape=(8, 8, 1), random_state=0)
    assert clf.fit(x_tr, y_tr).score(x_te, y_te) > 0.85  # chance is 0.10


def test_adam_solver_trains(digits):
    x_tr, x_te, y_tr, y_te = digits
    clf = MSAEClassifier(64, preset="lr21-msae", solver="adam", max_iter=15, batch_size=64,
                         learning_rate=3e-3, image_shape=(8, 8, 1), random_state=0)  # fmt: skip
    assert clf.fit(x_tr, y_tr).score(x_te, y_te) > 0.8
    assert [row["iteration"] for row in clf.transformer_.history_] == list(range(1, 16))


ADAM = dict(preset="lr21-msae", solver="adam", batch_size=64, learning_rate=3e-3,
            image_shape=(8, 8, 1), random_state=0)  # fmt: skip


def test_partial_fit_passes_over_the_whole_data_are_fit_epochs(digits):
    # Adam's moments and the batch order carry over between calls: n passes are n epochs.
    x_tr = digits[0][:500]
    fitted = MSAETransformer(16, max_iter=3, **ADAM).fit(x_tr)
    inc = MSAETransformer(16, **ADAM)
    for _ in range(3):
        assert inc.partial_fit(x_tr) is inc
    assert inc.n_iter_ == 3 and [row["iteration"] for row in inc.history_] == [1, 2, 3]
    np.testing.assert_array_equal(inc.components_, fitted.components_)
    np.testing.assert_array_equal(inc.decoder_weights_, fitted.decoder_weights_)
    assert inc.history_[-1]["loss"] == fitted.history_[-1]["loss"]
    np.testing.assert_array_equal(inc.mean_activation_, fitted.mean_activation_)


def test_partial_fit_over_chunks_lowers_the_reconstruction_error(digits):
    x_tr, x_te = digits[0], digits[1]
    inc = MSAETransformer(32, **ADAM)
    errors = []
    for _ in range(4):
        for chunk in np.array_split(x_tr, 5):
            inc.partial_fit(chunk)
        errors.append(-inc.score_samples(x_te).mean())
    assert inc.n_iter_ == 20 and errors == sorted(errors, reverse=True)
    # As good as 4 epochs over the whole data at once (not bitwise: the batches differ).
    whole = MSAETransformer(32, max_iter=4, **ADAM).fit(x_tr)
    assert errors[-1] == pytest.approx(-whole.score_samples(x_te).mean(), rel=0.1)


def test_partial_fit_continues_a_fit_and_a_loaded_model(digits, tmp_path):
    x_tr = digits[0][:400]
    t = MSAETransformer(16, max_iter=2, **ADAM).fit(x_tr)
    before = t.components_.copy()
    t.save(tmp_path / "model")
    t.partial_fit(x_tr)
    assert t.n_iter_ == 3 and len(t.history_) == 3
    assert not np.array_equal(t.components_, before)
    loaded = MSAETransformer.load(tmp_path / "model")
    loaded.partial_fit(x_tr)
    assert loaded.n_iter_ == 3
    # A new fit starts over: its partial_fit continues the new weights, not the old trainer's.
    t.fit(x_tr)
    refit = t.components_.copy()
    t.partial_fit(x_tr)
    assert t.n_iter_ == 3 and not np.array_equal(t.components_, refit)
    np.testing.assert_array_equal(
        t.transform(x_tr),
        t.model_.encode(torch.as_tensor(x_tr, dtype=torch.float32)).detach().numpy(),
    )


def test_a_pickled_partial_fit_goes_on_as_the_original(digits):
    """Adam's state travels with the estimator (joblib, a GridSearchCV worker): the copy's
    next pass is the original's, bit for bit."""
    import pickle

    x_tr = digits[0][:300]
    t = MSAETransformer(8, **ADAM).partial_fit(x_tr)
    copy = pickle.loads(pickle.dumps(t))
    t.partial_fit(x_tr)
    copy.partial_fit(x_tr)
    np.testing.assert_array_equal(copy.components_, t.components_)
    assert copy.n_iter_ == t.n_iter_ == 2


def test_partial_fit_needs_adam_and_the_same_features(digits):
    x_tr = digits[0][:200]
    for estimator in (MSAETransformer(), MSAETransformer(preset="vlsae", solver="adam")):
        assert not hasattr(estimator, "partial_fit")
        with pytest.raises(AttributeError, match="partial_fit"):
            estimator.partial_fit(x_tr)
    t = MSAETransformer(8, **ADAM).partial_fit(x_tr)
    with pytest.raises(ValueError, match="X has 10 features, but MSAETransformer is expecting 64"):
        t.partial_fit(x_tr[:, :10])
    assert t.n_iter_ == 1  # the bad call changed nothing
    pruned = MSAETransformer(8, lam=0.1, **{**ADAM, "learning_rate": 3e-2})
    pruned = pruned.partial_fit(x_tr).prune()
    with pytest.raises(ValueError, match="partial_fit needs the whole model"):
        pruned.partial_fit(x_tr)


def test_features_outside_the_unit_interval_are_warned_about(digits):
    """The sigmoid decoder reconstructs values in (0, 1) only: unscaled data gets a warning
    that says so and how to scale, scaled data none."""
    x_tr = digits[0][:200]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        MSAETransformer(4, max_iter=1).fit(x_tr)
        make_pipeline(MinMaxScaler(), MSAEClassifier(4, max_iter=1)).fit(16 * x_tr, digits[2][:200])
    with pytest.warns(UserWarning, match=r"outside \[0, 1\] \(from 0 to 16\).*MinMaxScaler"):
        MSAETransformer(4, max_iter=1).fit(16 * x_tr)
    with pytest.warns(UserWarning, match=r"from -1 to 1\)"):
        MSAETransformer(4, solver="adam").partial_fit(2 * x_tr - 1)


def test_fit_is_reproducible_for_a_seed(digits):
    x_tr = digits[0][:300]
    a = MSAETransformer(16, max_iter=10, random_state=3).fit(x_tr).transform(x_tr)
    b = MSAETransformer(16, max_iter=10, random_state=3).fit(x_tr).transform(x_tr)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(("solver", "lam"), [("lbfgs", 0.01), ("adam", 0.1)])
def test_l21_zeroes_whole_groups_at_large_lambda_and_prune_keeps_features(digits, solver, lam):
    x_tr = digits[0]
    t = MSAETransformer(32, preset="lr21-sae", lam=lam, max_iter=60, solver=solver,
                        batch_size=128, learning_rate=3e-2, random_state=0).fit(x_tr)  # fmt: skip
    w = t.components_
    zero_rows = np.linalg.norm(w, axis=1) == 0
    zero_cols = np.linalg.norm(w, axis=0) == 0
    # digits has pixels that are always 0: their encoder columns must be switched off.
    constant = x_tr.std(0) == 0
    assert zero_cols[constant].all()
    assert zero_cols.sum() >= constant.sum() and zero_cols.mean() < 1.0
    small = t.prune()
    report = small.pruning_report_
    assert report["inputs_removed"] == zero_cols.sum()
    assert report["hidden_units_removed"] == zero_rows.sum()
    assert report["parameters_after"] < report["parameters_before"]
    np.testing.assert_allclose(small.transform(x_tr), t.transform(x_tr)[:, ~zero_rows], atol=1e-6)


def test_prune_folds_dead_units_into_the_decoder_bias():
    import torch

    from msae.models import ModelConfig, build_model, get_preset

    cfg = ModelConfig(n_features=6, n_components=4, weight_penalty="l21", lam=1.0)
    model = build_model(cfg, get_preset("lr21-sae"), 0, torch.float64)
    with torch.no_grad():
        model.weight[1] = 0.0  # a dead hidden unit
        model.weight[:, 4] = 0.0  # an unused input
        model.bias[1] = 0.7
    x = torch.rand(5, 6, dtype=torch.float64)
    small, rows, cols = model.pruned()
    assert rows.tolist() == [True, False, True, True]
    assert cols.tolist() == [True, True, True, True, False, True]
    with torch.no_grad():
        z = model.decode(model.encode(x))[:, cols]
        z_small = small.decode(small.encode(x[:, cols]))
    torch.testing.assert_close(z_small, z)


def test_wasserstein_drives_mean_activation_to_rho(digits):
    # The paper's Table 4 reports 0.0999 for rho = 0.1; we require 0.1 +- 0.002 on average and
    # every unit within 0.02.
    x_tr = digits[0]
    t = MSAETransformer(50, preset="lr21-sae", rho=0.1, beta=0.5, max_iter=100,
                        random_state=0).fit(x_tr)  # fmt: skip
    assert t.mean_activation_.mean() == pytest.approx(0.1, abs=2e-3)
    assert np.abs(t.mean_activation_ - 0.1).max() < 0.02


def test_works_in_a_pipeline(digits):
    x_tr, x_te, y_tr, y_te = digits
    pipe = make_pipeline(MinMaxScaler(), MSAEClassifier(32, max_iter=30, random_state=0))
    assert pipe.fit(x_tr * 16, y_tr).score(x_te * 16, y_te) > 0.8


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"lam": -1.0}, "'lam' parameter"),
        ({"rho": 1.5}, "'rho' parameter"),
        ({"rho": 0.0}, "'rho' parameter"),
        ({"preset": "nope"}, "'preset' parameter"),
        ({"sparsity": "l1"}, "'sparsity' parameter"),
        ({"image_shape": (3, 3, 1)}, "image_shape"),
    ],
)
def test_bad_arguments_raise_clear_errors(digits, params, message):
    with pytest.raises(ValueError, match=message):
        MSAETransformer(4, max_iter=2, **params).fit(digits[0][:20])


def test_wrong_width_and_nan_are_rejected(digits):
    t = MSAETransformer(4, max_iter=2, random_state=0).fit(digits[0][:50])
    with pytest.raises(ValueError, match="expecting 64 features"):
        t.transform(np.zeros((2, 10)))
    x = digits[0][:20].copy()
    x[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        MSAETransformer(4, max_iter=2).fit(x)


@pytest.mark.parametrize("pruned", [False, True])
def test_save_load_round_trip_gives_identical_outputs(digits, tmp_path, pruned):
    x_tr, x_te, y_tr, _ = digits
    clf = MSAEClassifier(16, preset="lr21-msae", lam=0.005, max_iter=20,
                         random_state=0).fit(x_tr, y_tr)  # fmt: skip
    if pruned:
        t = clf.transformer_.prune()
        loaded = MSAETransformer.load(t.save(tmp_path / "t"))
        np.testing.assert_array_equal(loaded.transform(x_te), t.transform(x_te))
        assert loaded.get_params() == {**t.get_params(), "callbacks": None}
        return
    loaded = MSAEClassifier.load(clf.save(tmp_path / "clf"))
    np.testing.assert_array_equal(loaded.predict_proba(x_te), clf.predict_proba(x_te))
    np.testing.assert_array_equal(loaded.classes_, clf.classes_)
    assert loaded.transformer_.history_ == clf.transformer_.history_


def test_callbacks_see_every_iteration(digits):
    seen = []
    MSAETransformer(
        8,
        max_iter=7,
        callbacks=[lambda info: seen.append((info.iteration, info.transform(digits[0][:3]).shape))],
        random_state=0,
    ).fit(digits[0])
    assert seen == [(i, (3, 8)) for i in range(1, 8)]


def test_verbose_prints_a_line_per_iteration_with_the_loss_and_its_terms(digits, capsys):
    model = MSAETransformer(8, preset="sae", max_iter=4, verbose=1, random_state=0)
    model.fit(digits[0])
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:2] for line in lines] == [["iteration", str(i)] for i in range(1, 5)]
    last = dict(word.split("=") for word in lines[-1].split()[2:])
    assert float(last["loss"]) == pytest.approx(model.history_[-1]["loss"], rel=1e-4)
    assert {"reconstruction", "sparsity"} <= set(last)


def test_fine_tuning_trains_the_encoder_on_the_labels(digits, tmp_path):
    x_tr, x_te, y_tr, y_te = digits
    params = dict(n_components=16, preset="sae", max_iter=20, random_state=0)
    plain = MSAEClassifier(**params).fit(x_tr, y_tr)
    tuned = MSAEClassifier(**params, fine_tune_iter=40).fit(x_tr, y_tr)
    # Same auto-encoder before fine-tuning; then the encoder moves and the attributes follow.
    assert tuned.n_iter_ == plain.n_iter_
    assert not np.allclose(tuned.transformer_.components_, plain.transformer_.components_)
    np.testing.assert_array_equal(
        tuned.transformer_.components_, tuned.transformer_.model_.weight.detach().numpy()
    )
    features = tuned.transformer_.transform(x_tr)
    np.testing.assert_allclose(tuned.transformer_.mean_activation_, features.mean(0), rtol=1e-5)
    # 16 unsupervised units fit the training labels far worse than 16 fine-tuned ones.
    log_loss = {
        name: -np.mean(np.log(clf.predict_proba(x_tr)[np.arange(len(y_tr)), y_tr]))
        for name, clf in (("plain", plain), ("tuned", tuned))
    }
    assert log_loss["tuned"] < 0.5 * log_loss["plain"]
    assert tuned.score(x_te, y_te) > plain.score(x_te, y_te)
    loaded = MSAEClassifier.load(tuned.save(tmp_path / "tuned"))
    assert loaded.fine_tune_iter == 40
    np.testing.assert_array_equal(loaded.predict_proba(x_te), tuned.predict_proba(x_te))


def test_fine_tune_iter_must_be_a_non_negative_integer(digits):
    with pytest.raises(ValueError, match="'fine_tune_iter' parameter"):
        MSAEClassifier(4, max_iter=2, fine_tune_iter=-1).fit(digits[0][:20], digits[2][:20])


@pytest.mark.parametrize("preset", ["lr21-msae", "vae"])
def test_inverse_transform_and_score_samples_are_the_decoder_and_its_error(digits, preset):
    """Known answers from the fitted attributes, in float64: the decoder of the features, and
    minus half the squared error of that reconstruction."""
    x_tr, x_te = digits[0], digits[1]
    t = MSAETransformer(16, preset=preset, max_iter=30, dtype="float64", random_state=0)
    h = t.fit(x_tr).transform(x_te)
    z = t.inverse_transform(h)
    logits = h @ t.decoder_weights_.T + t.intercept_visible_
    np.testing.assert_allclose(z, 1 / (1 + np.exp(-logits)), rtol=1e-12)
    assert z.shape == x_te.shape and z.dtype == np.float64
    np.testing.assert_allclose(t.score_samples(x_te), -0.5 * ((x_te - z) ** 2).sum(1), rtol=1e-12)


def test_score_samples_of_a_float32_model_is_computed_in_float64(digits):
    """The float32 weights, used in float64: no float32 rounding of the reconstruction to
    magnify, so the scores do not depend on the order of the rows either."""
    x_tr, x_te = digits[0], digits[1]
    t = MSAETransformer(16, max_iter=10, random_state=0).fit(x_tr)
    x = x_te.astype(np.float32).astype(np.float64)  # what the float32 model reads

    def sigmoid(a):
        return 1 / (1 + np.exp(-a))

    h = sigmoid(x @ t.components_.T.astype(np.float64) + t.intercept_hidden_)
    z = sigmoid(h @ t.decoder_weights_.T.astype(np.float64) + t.intercept_visible_)
    scores = t.score_samples(x_te)
    assert scores.dtype == np.float64
    np.testing.assert_allclose(scores, -0.5 * ((x - z) ** 2).sum(1), rtol=1e-12)
    order = np.random.default_rng(0).permutation(len(x_te))
    np.testing.assert_allclose(t.score_samples(x_te[order]), scores[order], rtol=1e-12)


def test_score_selects_auto_encoders_without_labels(digits):
    """score is the mean of score_samples; GridSearchCV on it prefers the auto-encoder that
    reconstructs held-out rows better: more hidden units, here."""
    from sklearn.model_selection import GridSearchCV

    x_tr = digits[0][:600]
    t = MSAETransformer(8, preset="sae", max_iter=20, random_state=0).fit(x_tr)
    assert t.score(digits[1]) == pytest.approx(t.score_samples(digits[1]).mean(), rel=1e-12)
    search = GridSearchCV(t, {"n_components": [2, 32]}, cv=2).fit(x_tr)
    assert search.best_params_ == {"n_components": 32}
    scores = search.cv_results_["mean_test_score"]
    assert scores[1] > scores[0] and np.all(scores < 0)


def test_score_samples_is_higher_on_what_the_model_learnt(digits):
    """Trained on the digits, an auto-encoder reconstructs unseen digits better than noise of
    the same mean, and better than it did before training."""
    x_tr, x_te = digits[0], digits[1]
    trained = MSAETransformer(32, preset="ae", max_iter=100, random_state=0).fit(x_tr)
    barely = MSAETransformer(32, preset="ae", max_iter=1, random_state=0).fit(x_tr)
    noise = np.random.default_rng(0).permuted(x_te, axis=1)  # each row's pixels shuffled
    assert trained.score_samples(x_te).mean() > trained.score_samples(noise).mean()
    assert trained.score_samples(x_te).mean() > barely.score_samples(x_te).mean()


def test_reconstruction_needs_the_whole_model(digits):
    x_tr = digits[0]
    t = MSAETransformer(16, preset="lr21-sae", lam=0.01, max_iter=30, random_state=0).fit(x_tr)
    with pytest.raises(ValueError, match="16 hidden units"):
        t.inverse_transform(np.zeros((2, 5)))
    small = t.prune()
    assert small.kept_features_ is not None
    for method, data in [("inverse_transform", small.transform(x_tr)), ("score_samples", x_tr)]:
        with pytest.raises(ValueError, match=f"{method} needs the whole model"):
            getattr(small, method)(data)


def test_decision_function_and_log_proba_agree_with_predict_proba(digits):
    x_tr, x_te, y_tr, _ = digits
    clf = MSAEClassifier(16, max_iter=10, dtype="float64", random_state=0).fit(x_tr, y_tr + 3)
    logits = clf.decision_function(x_te)
    expected = clf.transformer_.transform(x_te) @ clf.coef_.T + clf.intercept_
    np.testing.assert_allclose(logits, expected, rtol=1e-12)
    proba = clf.predict_proba(x_te)
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(x_te)), proba, rtol=1e-12)
    np.testing.assert_array_equal(clf.classes_[logits.argmax(1)], clf.predict(x_te))
    assert logits.shape == proba.shape == (len(x_te), 10)
    binary = y_tr < 5
    two = MSAEClassifier(16, max_iter=10, random_state=0).fit(x_tr, np.where(binary, "lo", "hi"))
    score = two.decision_function(x_te)  # as scikit-learn's binary classifiers: classes_[1]'s
    assert score.shape == (len(x_te),)
    np.testing.assert_array_equal(two.classes_[(score > 0).astype(int)], two.predict(x_te))


def test_a_device_that_is_not_there_is_a_clear_error(digits):
    """Not an AssertionError from torch's CUDA module once training has begun."""
    with pytest.raises(ValueError, match="unknown device 'cudaa'"):
        MSAETransformer(4, max_iter=2, device="cudaa").fit(digits[0][:20])
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="device 'cuda:0' is not available: torch"):
            MSAEClassifier(4, max_iter=2, device="cuda:0").fit(digits[0][:20], digits[2][:20])
