"""The softmax classifier against scikit-learn's multinomial logistic regression."""

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression

from msae.classify import fit_softmax, softmax_proba


@pytest.fixture(scope="module")
def problem() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(4, 6))
    y = rng.integers(0, 4, size=300)
    X = centres[y] + 1.5 * rng.normal(size=(300, 6))
    return X, y


@pytest.mark.parametrize("alpha", [1e-1, 1e-3])
def test_matches_sklearn_multinomial_logistic_regression(problem, alpha):
    # Both stop at their own tolerances, so they agree to about 1e-5, not to rounding.
    # Ours: mean cross-entropy + alpha/2 ||W||^2.  sklearn: C * sum of losses + 1/2 ||W||^2,
    # the same minimiser when C = 1 / (alpha * n); neither penalises the intercept.
    X, y = problem
    ref = LogisticRegression(C=1.0 / (alpha * len(y)), tol=1e-12, max_iter=10_000).fit(X, y)
    features = torch.as_tensor(X, dtype=torch.float64)
    coef, intercept = fit_softmax(features, torch.as_tensor(y), 4, alpha=alpha, max_iter=500)
    np.testing.assert_allclose(
        softmax_proba(features, coef, intercept).numpy(), ref.predict_proba(X), atol=1e-4
    )
    # The intercept is identified only up to a shared constant: compare centred values.
    np.testing.assert_allclose(coef.numpy(), ref.coef_, atol=1e-3)
    np.testing.assert_allclose(
        intercept.numpy() - intercept.numpy().mean(),
        ref.intercept_ - ref.intercept_.mean(),
        atol=1e-3,
    )


def test_solution_is_stationary(problem):
    X, y = problem
    features = torch.as_tensor(X, dtype=torch.float64)
    labels = torch.as_tensor(y)
    alpha = 1e-2
    coef, intercept = fit_softmax(features, labels, 4, alpha=alpha, max_iter=500)
    coef.requires_grad_(True)
    intercept.requires_grad_(True)
    logits = torch.addmm(intercept, features, coef.T)
    loss = torch.nn.functional.cross_entropy(logits, labels) + 0.5 * alpha * coef.square().sum()
    loss.backward()
    assert coef.grad.abs().max() < 1e-5
    assert intercept.grad.abs().max() < 1e-5


def test_probabilities_are_a_distribution(problem):
    X, y = problem
    features = torch.as_tensor(X, dtype=torch.float32)
    coef, intercept = fit_softmax(features, torch.as_tensor(y), 4)
    proba = softmax_proba(features, coef, intercept)
    assert proba.dtype == torch.float32
    torch.testing.assert_close(proba.sum(dim=1), torch.ones(len(y)))
    assert (proba >= 0).all()
