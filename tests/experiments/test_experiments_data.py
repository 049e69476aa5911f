import numpy as np
import pytest

from msae.experiments.data import load_split, missing
from msae.experiments.spec import RunSpec


def test_subsample_is_stratified_and_seeded():
    spec = RunSpec("t", "digits", "ae", {"n_train": 300, "n_test": 100}, 3)
    a, b = load_split(spec), load_split(spec)
    assert a.X_train.shape == (300, 64) and a.X_test.shape == (100, 64)
    np.testing.assert_array_equal(a.y_train, b.y_train)
    assert np.bincount(a.y_train).min() >= 28  # 10 balanced classes: about 30 each
    other = load_split(RunSpec("t", "digits", "ae", {"n_train": 300}, 4))
    assert not np.array_equal(a.y_train, other.y_train)
    assert load_split(RunSpec("t", "digits", "ae", {"n_train": None}, 0)).X_train.shape[0] > 1000


def test_real_dataset_through_msae_data():
    split = load_split(RunSpec("t", "usps", "ae", {"n_train": 100, "n_test": 50}, 0))
    assert split.image_shape == (16, 16, 1) and split.X_train.shape == (100, 256)
    assert (
        split.X_train.dtype == np.float32
        and 0.0 <= split.X_train.min() <= split.X_train.max() <= 1.0
    )


def test_ecoli_draws_a_holdout_per_seed():
    a, b = (load_split(RunSpec("t", "ecoli", "ae", {}, seed)) for seed in (0, 1))
    assert a.X_train.shape == b.X_train.shape
    assert not np.array_equal(a.X_test, b.X_test)


def test_absent_files_are_reported_not_raised(tmp_path):
    assert missing("usps", None) is None
    reason = missing("cifar10", tmp_path)
    assert reason.startswith("CIFAR-10 skipped") and str(tmp_path) in reason


@pytest.mark.parametrize("name", ["nonsense"])
def test_unknown_dataset_is_an_error(name):
    with pytest.raises(ValueError, match="unknown dataset"):
        missing(name, None)


@pytest.mark.parametrize("dataset", ["digits", "pendigits", "ecoli"])
def test_validation_runs_never_see_the_test_rows(dataset):
    """With ``validation`` the scored rows are a stratified share of the training rows."""
    full = load_split(RunSpec("t", dataset, "ae", {}, 0))
    tune = load_split(RunSpec("t", dataset, "ae", {"validation": 0.25}, 0))
    n = len(full.y_train)
    assert len(tune.y_train) + len(tune.y_test) == n
    assert abs(len(tune.y_test) - 0.25 * n) <= len(np.unique(full.y_train))
    # Every scored row comes from the training set: none of the test rows is among them.
    test_rows = {row.tobytes() for row in full.X_test}
    train_labels = np.bincount(full.y_train, minlength=len(full.class_names))
    assert np.all(np.bincount(tune.y_test, minlength=len(train_labels)) <= train_labels)
    if dataset == "digits":  # not rescaled: rows compare exactly
        train_rows = {row.tobytes() for row in full.X_train}
        assert all(row.tobytes() in train_rows for row in tune.X_test)
        assert not any(row.tobytes() in test_rows for row in tune.X_test)
    else:  # min-max is refitted on the remaining training rows, so they span [0, 1] again
        assert tune.X_train.min() == 0.0 and tune.X_train.max() == 1.0
    # The same held-out rows for every seed (so configurations compare on one split).
    again = load_split(RunSpec("t", dataset, "ae", {"validation": 0.25}, 1))
    if dataset != "ecoli":  # Ecoli draws a new train/test holdout per seed
        np.testing.assert_array_equal(again.y_test, tune.y_test)
