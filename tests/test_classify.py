"""The softmax classifier against scikit-learn's multinomial logistic regression."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.linear_model import LogisticRegression

from msae.classify import fine_tune, fit_softmax, softmax_proba


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


def test_fine_tune_from_the_optimum_of_a_fixed_encoder_stays_there(problem):
    # With nothing to tune in the encoder the objective is fit_softmax's (convex): starting at
    # its minimiser, fine-tuning must return it.
    X, y = problem
    features, labels = torch.as_tensor(X, dtype=torch.float64), torch.as_tensor(y)
    coef, intercept = fit_softmax(features, labels, 4, alpha=1e-2, max_iter=500)
    ((_, *tuned),) = fine_tune(lambda x: x, [], features, labels, coef, intercept, alpha=1e-2,
                               lengths=[100])  # fmt: skip
    np.testing.assert_allclose(tuned[0].numpy(), coef.numpy(), atol=1e-6)
    np.testing.assert_allclose(tuned[1].numpy(), intercept.numpy(), atol=1e-6)


def test_fine_tune_updates_the_encoder_in_place_and_lowers_the_objective(problem):
    X, y = problem
    x, labels = torch.as_tensor(X, dtype=torch.float64), torch.as_tensor(y)
    gen = torch.Generator().manual_seed(0)
    weight = torch.randn(3, 6, generator=gen, dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    start = weight.detach().clone()

    def encode(inputs: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(inputs @ weight.T + bias)

    def objective(coef: torch.Tensor, intercept: torch.Tensor) -> float:
        with torch.no_grad():
            logits = encode(x) @ coef.T + intercept
            return float(F.cross_entropy(logits, labels) + 0.5e-3 * coef.square().sum())

    with torch.no_grad():
        features = encode(x)
    coef, intercept = fit_softmax(features, labels, 4, alpha=1e-3, max_iter=500)
    before = objective(coef, intercept)
    ((_, *tuned),) = fine_tune(encode, [weight, bias], x, labels, coef, intercept, alpha=1e-3,
                               lengths=[50])  # fmt: skip
    assert objective(*tuned) < before - 0.05  # 3 random sigmoid units leave much to gain
    assert not torch.equal(weight.detach(), start)
    assert weight.grad is not None and coef.grad is None  # the inputs coef are left alone


def _encoder(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    weight = torch.randn(3, 6, generator=gen, dtype=torch.float64, requires_grad=True)
    return weight, torch.zeros(3, dtype=torch.float64, requires_grad=True)


def test_fine_tuning_seen_at_each_length_is_a_run_of_that_length(problem):
    # One run seen at 5, 12 and 30 iterations ends where a run of 30 ends, and its point at 12
    # is a run of 12's: the optimiser carries its state over between lengths.
    X, y = problem
    x, labels = torch.as_tensor(X, dtype=torch.float64), torch.as_tensor(y)

    def start(weight, bias):
        with torch.no_grad():
            features = torch.sigmoid(x @ weight.T + bias)
        return fit_softmax(features, labels, 4, alpha=1e-3, max_iter=500)

    weight, bias = _encoder()
    coef, intercept = start(weight, bias)
    path = fine_tune(lambda v: torch.sigmoid(v @ weight.T + bias), [weight, bias], x, labels,
                     coef, intercept, alpha=1e-3, lengths=[5, 12, 30])  # fmt: skip
    seen = {length: (c, b, weight.detach().clone()) for length, c, b in path}
    assert list(seen) == [5, 12, 30]
    for length in (12, 30):
        w, b = _encoder()
        encode = lambda v, w=w, b=b: torch.sigmoid(v @ w.T + b)  # noqa: E731
        run = fine_tune(encode, [w, b], x, labels, coef, intercept, alpha=1e-3, lengths=[length])
        ((_, *tuned),) = run
        torch.testing.assert_close(seen[length][0], tuned[0])
        torch.testing.assert_close(seen[length][2], w.detach())
    with pytest.raises(ValueError, match="increasing"):
        next(fine_tune(lambda v: v, [], x, labels, coef, intercept, lengths=[10, 10]))
