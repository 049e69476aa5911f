"""scikit-learn estimators: :class:`MSAETransformer` (features) and :class:`MSAEClassifier`.

Shaped like :class:`sklearn.neural_network.BernoulliRBM`: ``n_components`` hidden units,
``components_`` (the encoder weight, one row per hidden unit), ``intercept_hidden_`` and
``intercept_visible_``, keyword-only options, ``random_state`` and ``verbose``.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Iterator
from numbers import Integral, Real
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from msae import io
from msae.classify import DEFAULT_ALPHA, fine_tune, fit_softmax, softmax_logits
from msae.models import PRESETS, ModelConfig, build_model, get_preset
from msae.models.base import FeatureModel, reconstruction_scores
from msae.penalties import SPARSITY_TERMS, WEIGHT_PENALTIES
from msae.train import MATMUL_PRECISIONS, SOLVERS, IncrementalTrainer, TrainConfig, train

_DTYPES = {"float32": torch.float32, "float64": torch.float64}

_AE_CONSTRAINTS: dict[str, list] = {
    "n_components": [Interval(Integral, 1, None, closed="left")],
    "preset": [StrOptions(set(PRESETS))],
    "lam": [Interval(Real, 0, None, closed="left")],
    "beta": [Interval(Real, 0, None, closed="left")],
    "rho": [Interval(Real, 0, 1, closed="neither")],
    "weight_penalty": [StrOptions(set(WEIGHT_PENALTIES)), None],
    "sparsity": [StrOptions(set(SPARSITY_TERMS)), None],
    "multiscale": ["boolean", None],
    "pyramid_levels": [Interval(Integral, 0, None, closed="left")],
    "image_shape": [tuple, list, None],
    "solver": [StrOptions(set(SOLVERS))],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "batch_size": [Interval(Integral, 1, None, closed="left")],
    "learning_rate": [Interval(Real, 0, None, closed="neither")],
    "device": [str],
    "dtype": [StrOptions(set(_DTYPES))],
    "matmul_precision": [StrOptions(set(MATMUL_PRECISIONS))],
    "callbacks": [list, None],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
}


def parse_device(device: str) -> torch.device:
    """The torch device ``device`` names (``"auto"``: CUDA if there is one, else the CPU);
    ValueError for a name torch does not know."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        return torch.device(device)
    except RuntimeError:
        raise ValueError(
            f"unknown device {device!r}: use 'cpu', 'cuda', 'cuda:N' or 'auto'"
        ) from None


def resolve_device(device: str) -> torch.device:
    """:func:`parse_device`, and a ValueError that says why where this machine does not have
    that device (rather than an error from deep in torch, once training has started)."""
    parsed = parse_device(device)
    if parsed.type == "cuda":
        if not torch.cuda.is_available():
            why = "is a build without CUDA" if torch.version.cuda is None else "finds no GPU"
            raise ValueError(f"device {device!r} is not available: torch {torch.__version__} {why}")
        if parsed.index is not None and parsed.index >= torch.cuda.device_count():
            raise ValueError(
                f"device {device!r} is not available: {torch.cuda.device_count()} CUDA device(s)"
            )
    if parsed.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"device {device!r} is not available on this machine")
    return parsed


class _AutoEncoderParams(BaseEstimator):
    """Hyperparameters shared by both estimators, and the code that fits the auto-encoder."""

    def _model_config(self, n_features: int) -> ModelConfig:
        preset = get_preset(self.preset)
        fields = dict(preset.defaults)
        for name in ("weight_penalty", "sparsity", "multiscale"):
            if getattr(self, name) is not None:
                fields[name] = getattr(self, name)
        return ModelConfig(
            n_features=n_features,
            n_components=self.n_components,
            lam=self.lam,
            beta=self.beta,
            rho=self.rho,
            pyramid_levels=self.pyramid_levels,
            image_shape=tuple(self.image_shape) if self.image_shape is not None else None,
            **fields,
        )

    def _solver(self) -> str:
        """The solver that trains the model: the preset's own where it has one (the VLSAE's),
        else ``solver``."""
        return getattr(PRESETS.get(self.preset), "solver", None) or self.solver

    def _torch(self, x: np.ndarray) -> torch.Tensor:
        # Row-major, so that the matrix products sum in the same order whatever the caller's
        # layout (a DataFrame's values are column-major), and writable: torch cannot wrap
        # read-only arrays.
        x = np.require(x, requirements=["C", "W"])
        return torch.as_tensor(x, dtype=_DTYPES[self.dtype], device=parse_device(self.device))


def _check_unit_interval(X: np.ndarray) -> None:
    """Warn where X leaves [0, 1]: the decoder's sigmoid cannot reconstruct such values, so
    training spends itself on an error it cannot remove (features need scaling first)."""
    low, high = float(X.min()), float(X.max())
    if low < -1e-6 or high > 1 + 1e-6:
        warnings.warn(
            f"X has values outside [0, 1] (from {low:.4g} to {high:.4g}), which the sigmoid "
            "decoder cannot reconstruct; scale the features to [0, 1] first, e.g. with "
            "sklearn.preprocessing.MinMaxScaler",
            UserWarning,
            stacklevel=2,
        )


def _stochastic(estimator: _AutoEncoderParams) -> bool:
    """Whether the estimator trains with mini-batch Adam, which ``partial_fit`` needs."""
    return estimator._solver() == "adam"


class MSAETransformer(ClassNamePrefixFeaturesOutMixin, TransformerMixin, _AutoEncoderParams):
    """Multi-scale sparse auto-encoder features (LR21-MSAE and its family).

    Parameters
    ----------
    n_components : int, default=200
        Number of hidden units ``m``.
    preset : str, default="lr21-msae"
        Model by name: ``ae``, ``sae``, ``lr21-sae``, ``msae``, ``lr21-msae`` (and any
        registered later, e.g. ``vae``, ``vlsae``). It fixes the weight penalty, the sparsity
        term and whether the multi-scale term is used, unless overridden below.
    lam : float, default=1e-5
        Weight of the weight penalty (the paper's lambda).
    beta : float, default=0.1
        Weight of the sparsity term (the paper's beta).
    rho : float, default=0.1
        Target mean activation of each hidden unit, in (0, 1).
    weight_penalty : {"none", "l2", "l21"} or None
        Overrides the preset's weight penalty.
    sparsity : {"none", "kl", "js", "wasserstein"} or None
        Overrides the preset's sparsity term.
    multiscale : bool or None
        Overrides whether the multi-scale consistency term ``J_ms`` is used.
    pyramid_levels : int, default=2
        Number ``N`` of REDUCE steps of the pyramid (``N + 1`` levels). Two halve a 28 x 28
        image to 14 x 14 and 7 x 7; a third level (4 x 4) carries little more than the mean.
    image_shape : tuple (H, W, C) or None
        Shape of the images the rows of X hold (channel-major); None gives 1-D pyramids.
    solver : {"lbfgs", "adam", "vls"}, default="lbfgs"
        Full-batch L-BFGS (``max_iter`` iterations), mini-batch Adam (``max_iter`` epochs) or
        VLSAE's variable-learning-speed gradient descent (which the ``vlsae`` preset forces).
    max_iter, batch_size, learning_rate
        Optimiser settings (``batch_size`` and ``learning_rate`` are for Adam).
    device : str, default="cpu"
        Torch device: ``"cpu"``, ``"cuda"``, ``"cuda:1"`` or ``"auto"``.
    dtype : {"float32", "float64"}, default="float32"
    matmul_precision : {"ieee", "bf16", "tf32"}, default="ieee"
        How training computes its float32 matrix products: exactly (``"ieee"``), or faster
        with the inputs rounded to bfloat16 and float32 sums (``"bf16"``, CPU only: oneDNN,
        fast where the CPU has AMX or AVX512-BF16) or on TF32 tensor cores (``"tf32"``, CUDA
        only). Features, the softmax and fine-tuning are computed exactly either way.
    callbacks : list of callables or None
        Each is called as ``fn(info)`` after every iteration (:class:`msae.train.IterationInfo`).
        One that raises :class:`msae.train.StopTraining` ends training there, as
        :class:`msae.callbacks.EarlyStopping` does when a held-out score stalls.
    random_state : int, RandomState or None
        Seeds the weight initialisation and the mini-batch order.
    verbose : int, default=0
        Print the loss terms every iteration when > 0.

    Attributes
    ----------
    components_ : ndarray (n_components, n_features_in_)
        Encoder weight ``W``.
    intercept_hidden_, intercept_visible_ : ndarray
        Encoder and decoder biases.
    decoder_weights_ : ndarray (n_features_in_, n_components)
        Decoder weight ``W'``.
    mean_activation_ : ndarray (n_components,)
        Mean hidden activation on the training data.
    history_ : list of dict
        Per-iteration loss terms and diagnostics (one entry per ``partial_fit`` call).
    n_iter_ : int
        Iterations (epochs with Adam) run; with ``partial_fit``, the passes made.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Set only when X has string column names.
    model_ : torch.nn.Module
        The trained model (:mod:`msae.models`).
    kept_features_ : ndarray of int or None
        After :meth:`prune`, the input columns the pruned model reads; None before.
    pruning_report_ : dict
        After :meth:`prune`: hidden units and inputs removed and kept, and the parameter
        counts before and after.
    """

    _parameter_constraints: ClassVar[dict] = dict(_AE_CONSTRAINTS)

    def __init__(
        self,
        n_components: int = 200,
        *,
        preset: str = "lr21-msae",
        lam: float = 1e-5,
        beta: float = 0.1,
        rho: float = 0.1,
        weight_penalty: str | None = None,
        sparsity: str | None = None,
        multiscale: bool | None = None,
        pyramid_levels: int = 2,
        image_shape: tuple[int, int, int] | None = None,
        solver: str = "lbfgs",
        max_iter: int = 100,
        batch_size: int = 256,
        learning_rate: float = 1e-3,
        device: str = "cpu",
        dtype: str = "float32",
        matmul_precision: str = "ieee",
        callbacks: list | None = None,
        random_state: int | np.random.RandomState | None = None,
        verbose: int = 0,
    ) -> None:
        self.n_components = n_components
        self.preset = preset
        self.lam = lam
        self.beta = beta
        self.rho = rho
        self.weight_penalty = weight_penalty
        self.sparsity = sparsity
        self.multiscale = multiscale
        self.pyramid_levels = pyramid_levels
        self.image_shape = image_shape
        self.solver = solver
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.device = device
        self.dtype = dtype
        self.matmul_precision = matmul_precision
        self.callbacks = callbacks
        self.random_state = random_state
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = [self.dtype]
        return tags

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(
        self,
        X: Any,
        y: Any = None,
        *,
        checkpoint: str | Path | None = None,
        checkpoint_every: int = 10,
    ) -> MSAETransformer:
        """Train the auto-encoder on X (unsupervised; y is ignored).

        With ``checkpoint`` (a file path) the training state is saved there every
        ``checkpoint_every`` iterations, and a fit that finds a checkpoint of the same data and
        settings there resumes from it; the file is deleted when training ends.
        """
        X = validate_data(self, X, dtype=[np.float64, np.float32])
        _check_unit_interval(X)
        seed = self._seed()
        model = self._build(X.shape[1], seed)
        train_cfg = self._train_config(seed)
        train_cfg.checkpoint, train_cfg.checkpoint_every = checkpoint, checkpoint_every
        x = self._torch(X)
        self.history_ = train(model, x, train_cfg, self._callbacks())
        self.n_iter_ = int(max(row["iteration"] for row in self.history_))
        self.model_ = model
        self.kept_features_: np.ndarray | None = None
        # A later partial_fit continues from these weights.
        self._incremental: IncrementalTrainer | None = None
        self._set_weights(x)
        return self

    @available_if(_stochastic)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X: Any, y: Any = None) -> MSAETransformer:
        """One pass of mini-batch Adam over the rows of X (y is ignored), continuing from the
        model as it is: train on data that does not fit in memory, a chunk per call.

        Only with ``solver="adam"`` (L-BFGS needs the whole data set at each step). Adam's
        state carries over from call to call; after :meth:`fit`, or on a loaded model, the
        first call continues from the fitted weights with a fresh Adam state. ``n_iter_``
        counts the passes, and ``mean_activation_`` is that of the rows of the latest call.
        """
        first = not hasattr(self, "model_")
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=first)
        _check_unit_interval(X)
        trainer = getattr(self, "_incremental", None)
        if trainer is None:  # the first call since fit, load, prune
            seed = self._seed()
            if first:
                self.model_ = self._build(X.shape[1], seed)
                self.history_, self.n_iter_, self.kept_features_ = [], 0, None
            self._check_whole("partial_fit")
            trainer = self._incremental = IncrementalTrainer(
                self.model_, self._train_config(seed), self._callbacks(), passes=self.n_iter_
            )
        x = self._torch(X)
        self.history_.append(trainer.partial_fit(x))
        self.n_iter_ = trainer.passes
        self._set_weights(x)
        return self

    def _seed(self) -> int:
        """A seed for the weights and the solver, drawn from ``random_state``."""
        return int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))

    def _build(self, n_features: int, seed: int) -> Any:
        """A freshly initialised model for ``n_features`` inputs, on the estimator's device."""
        model = build_model(
            self._model_config(n_features), get_preset(self.preset), seed, _DTYPES[self.dtype]
        )
        return model.to(resolve_device(self.device))

    def _train_config(self, seed: int) -> TrainConfig:
        return TrainConfig(
            solver=self._solver(),
            max_iter=self.max_iter,
            batch_size=self.batch_size,
            learning_rate=self.learning_rate,
            seed=seed,
            matmul_precision=self.matmul_precision,
        )

    def _callbacks(self) -> list:
        return [*(self.callbacks or []), *([_print_iteration] if self.verbose else [])]

    def _set_weights(self, x: torch.Tensor | None = None) -> None:
        """Copy the model's weights to the attributes; with the training inputs ``x``, also
        their mean hidden activation."""
        m = self.model_
        if x is not None:
            with torch.no_grad():
                self.mean_activation_ = m.encode(x).mean(0).cpu().numpy()
        self.components_ = m.weight.detach().cpu().numpy()
        self.intercept_hidden_ = m.bias.detach().cpu().numpy()
        self.decoder_weights_ = m.dec_weight.detach().cpu().numpy()
        self.intercept_visible_ = m.dec_bias.detach().cpu().numpy()
        self._n_features_out = self.components_.shape[0]

    def _inputs(self, X: Any) -> torch.Tensor:
        """X checked, as the encoder reads it (only the ``kept_features_`` of a pruned model)."""
        check_is_fitted(self, "model_")
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        if self.kept_features_ is not None:
            X = X[:, self.kept_features_]
        return self._torch(X)

    def _features(self, X: Any) -> torch.Tensor:
        x = self._inputs(X)  # checks fitted-ness first
        with torch.no_grad():
            return self.model_.encode(x)

    def transform(self, X: Any) -> np.ndarray:
        """Hidden features ``s(W x + b)`` of each row of X."""
        return self._features(X).cpu().numpy()

    def inverse_transform(self, X: Any) -> np.ndarray:
        """The decoder's reconstruction ``s(W' h + b')``, in the input space, of each row ``h``
        of X (hidden features, as :meth:`transform` gives them)."""
        self._check_whole("inverse_transform")
        h = check_array(X, dtype=[np.float64, np.float32])
        if h.shape[1] != self._n_features_out:
            raise ValueError(
                f"X has {h.shape[1]} features, but {type(self).__name__} has "
                f"{self._n_features_out} hidden units"
            )
        with torch.no_grad():
            return self.model_.decode(self._torch(h)).cpu().numpy()

    def score_samples(self, X: Any) -> np.ndarray:
        """Minus half the squared reconstruction error of each row of X, ``-||x - x'||^2 / 2``
        (the auto-encoder's J_AE, per row): higher for rows it reconstructs well, such as
        rows like those it was trained on."""
        self._check_whole("score_samples")
        # In float64: the score is a sum of squared differences of nearly equal numbers, which
        # would magnify float32's last bit, and there torch's sigmoid depends on where a value
        # sits in its tensor (a vectorised body, a scalar tail), so on the order of the rows.
        model = copy.deepcopy(self.model_).double()
        return reconstruction_scores(model, self._inputs(X).double()).cpu().numpy()

    def score(self, X: Any, y: Any = None) -> float:
        """The mean of :meth:`score_samples` over the rows of X (y is ignored): minus the mean
        ``||x - x'||^2 / 2``, higher for a better reconstruction, so that model selection
        (``GridSearchCV`` on held-out folds) can compare auto-encoders without labels."""
        return float(self.score_samples(X).mean())

    def _check_whole(self, method: str) -> None:
        check_is_fitted(self, "model_")
        if self.kept_features_ is not None:
            raise ValueError(
                f"{method} needs the whole model: this pruned copy reconstructs only its "
                "kept_features_ (call it on the model before prune())"
            )

    def save(self, path: str | Path) -> Path:
        """Write the fitted model to the directory ``path`` (safetensors + JSON)."""
        return io.save(self, path)

    @staticmethod
    def load(path: str | Path) -> MSAETransformer:
        return io.load(path)

    def prune(self) -> MSAETransformer:
        """A smaller copy without the hidden units and inputs whose weight groups are zero.

        The kept features are identical to this model's. The copy still takes all
        ``n_features_in_`` columns (it selects ``kept_features_`` itself), so it drops into the
        same Pipeline. ``pruning_report_`` says how much was removed.
        """
        check_is_fitted(self, "model_")
        pruned_model, rows, cols = self.model_.pruned()
        clone = copy.copy(self)
        clone.model_, clone._incremental = pruned_model, None
        previous = self.kept_features_
        kept = cols.nonzero().flatten().cpu().numpy()
        clone.kept_features_ = kept if previous is None else previous[kept]
        clone.mean_activation_ = self.mean_activation_[rows.cpu().numpy()]
        clone._set_weights()
        before = self.components_.size * 2 + self.components_.shape[0] + self.n_features_in_
        after = clone.components_.size * 2 + clone.components_.shape[0] + len(clone.kept_features_)
        clone.pruning_report_ = {
            "hidden_units_removed": int((~rows).sum()),
            "hidden_units_kept": int(rows.sum()),
            "inputs_removed": int((~cols).sum()),
            "inputs_kept": int(cols.sum()),
            "parameters_before": int(before),
            "parameters_after": int(after),
        }
        return clone


def _print_iteration(info: Any) -> None:
    terms = "  ".join(f"{k}={v:.5g}" for k, v in info.terms.items())
    print(f"iteration {info.iteration:4d}  loss={info.loss:.6g}  {terms}", flush=True)


class MSAEClassifier(ClassifierMixin, _AutoEncoderParams):
    """Auto-encoder features followed by a softmax classifier (the paper's pipeline).

    Takes every parameter of :class:`MSAETransformer`, plus:

    classifier_alpha : float, default=1e-4
        L2 on the softmax weights.
    classifier_max_iter : int, default=200
        L-BFGS iterations of the softmax.
    fine_tune_iter : int, default=0
        L-BFGS iterations of supervised fine-tuning: after the softmax is fitted, the encoder
        and the softmax are trained together on the softmax's objective (the encoder with no
        penalty of its own, as in UFLDL's stacked auto-encoder). 0, the paper's pipeline,
        skips it. Fine-tuning changes ``transformer_``'s weights, so its features are no longer
        the unsupervised ones, and the zero groups of an L2,1 model do not stay zero.

    The auto-encoder is trained without labels; the softmax then on its features.

    Attributes
    ----------
    transformer_ : MSAETransformer
        The fitted auto-encoder (fine-tuned with the softmax when ``fine_tune_iter`` > 0).
    classes_ : ndarray
    coef_ : ndarray (n_classes, n_components)
        Softmax weights on the hidden features.
    intercept_ : ndarray (n_classes,)
    n_iter_ : int
        The auto-encoder's iterations (``transformer_.n_iter_``).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Set only when X has string column names.
    """

    _parameter_constraints: ClassVar[dict] = {
        **_AE_CONSTRAINTS,
        "classifier_alpha": [Interval(Real, 0, None, closed="left")],
        "classifier_max_iter": [Interval(Integral, 1, None, closed="left")],
        "fine_tune_iter": [Interval(Integral, 0, None, closed="left")],
    }

    def __init__(
        self,
        n_components: int = 200,
        *,
        preset: str = "lr21-msae",
        lam: float = 1e-5,
        beta: float = 0.1,
        rho: float = 0.1,
        weight_penalty: str | None = None,
        sparsity: str | None = None,
        multiscale: bool | None = None,
        pyramid_levels: int = 2,
        image_shape: tuple[int, int, int] | None = None,
        solver: str = "lbfgs",
        max_iter: int = 100,
        batch_size: int = 256,
        learning_rate: float = 1e-3,
        device: str = "cpu",
        dtype: str = "float32",
        matmul_precision: str = "ieee",
        callbacks: list | None = None,
        random_state: int | np.random.RandomState | None = None,
        verbose: int = 0,
        classifier_alpha: float = DEFAULT_ALPHA,
        classifier_max_iter: int = 200,
        fine_tune_iter: int = 0,
    ) -> None:
        self.n_components = n_components
        self.preset = preset
        self.lam = lam
        self.beta = beta
        self.rho = rho
        self.weight_penalty = weight_penalty
        self.sparsity = sparsity
        self.multiscale = multiscale
        self.pyramid_levels = pyramid_levels
        self.image_shape = image_shape
        self.solver = solver
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.device = device
        self.dtype = dtype
        self.matmul_precision = matmul_precision
        self.callbacks = callbacks
        self.random_state = random_state
        self.verbose = verbose
        self.classifier_alpha = classifier_alpha
        self.classifier_max_iter = classifier_max_iter
        self.fine_tune_iter = fine_tune_iter

    def _transformer_params(self) -> dict[str, Any]:
        names = MSAETransformer._get_param_names()
        return {name: getattr(self, name) for name in names}

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(
        self,
        X: Any,
        y: Any,
        *,
        checkpoint: str | Path | None = None,
        checkpoint_every: int = 10,
    ) -> MSAEClassifier:
        """Train the auto-encoder on X, then the softmax on its features of X (then, with
        ``fine_tune_iter``, both together).

        ``checkpoint`` and ``checkpoint_every``: see :meth:`MSAETransformer.fit`.
        """
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32])
        check_classification_targets(y)
        encoder = LabelEncoder().fit(y)
        self.classes_ = encoder.classes_
        self.transformer_ = MSAETransformer(**self._transformer_params()).fit(
            X, checkpoint=checkpoint, checkpoint_every=checkpoint_every
        )
        self.n_iter_ = self.transformer_.n_iter_
        x = self.transformer_._inputs(X)
        labels = torch.as_tensor(encoder.transform(y), dtype=torch.long, device=x.device)
        with torch.no_grad():
            features = self.transformer_.model_.encode(x)
        coef, intercept = fit_softmax(
            features,
            labels,
            len(self.classes_),
            alpha=self.classifier_alpha,
            max_iter=self.classifier_max_iter,
        )
        if self.fine_tune_iter:
            path = self._fine_tune(
                self.transformer_.model_, x, labels, coef, intercept, [self.fine_tune_iter]
            )
            ((_, coef, intercept),) = path
            self.transformer_._set_weights(x)
        self.coef_ = coef.cpu().numpy()
        self.intercept_ = intercept.cpu().numpy()
        return self

    def _fine_tune(
        self,
        model: FeatureModel,
        x: torch.Tensor,
        labels: torch.Tensor,
        coef: torch.Tensor,
        intercept: torch.Tensor,
        lengths: list[int],
    ) -> Iterator[tuple[int, torch.Tensor, torch.Tensor]]:
        """:func:`msae.classify.fine_tune` of ``model``'s encoder, as ``fit`` does it."""
        return fine_tune(
            model.encode,
            [model.weight, model.bias],  # what encode() reads: components_, intercept_hidden_
            x,
            labels,
            coef,
            intercept,
            alpha=self.classifier_alpha,
            lengths=lengths,
        )

    def _logits(self, X: Any) -> torch.Tensor:
        check_is_fitted(self, "coef_")
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        features = self.transformer_._features(X)
        coef = torch.as_tensor(self.coef_, device=features.device)
        intercept = torch.as_tensor(self.intercept_, device=features.device)
        return softmax_logits(features, coef, intercept)

    def decision_function(self, X: Any) -> np.ndarray:
        """The softmax's logits ``coef_ h + intercept_`` of the hidden features, a column per
        class of ``classes_``; with two classes, as scikit-learn's binary classifiers, one
        score per row, of ``classes_[1]`` (its logit minus that of ``classes_[0]``)."""
        logits = self._logits(X)
        if logits.shape[1] == 2:
            logits = logits[:, 1] - logits[:, 0]
        return logits.cpu().numpy()

    def predict_proba(self, X: Any) -> np.ndarray:
        return torch.softmax(self._logits(X), dim=1).cpu().numpy()

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """The log of :meth:`predict_proba`, computed without its underflow."""
        return torch.log_softmax(self._logits(X), dim=1).cpu().numpy()

    def predict(self, X: Any) -> np.ndarray:
        proba = self.predict_proba(X)  # checks fitted-ness first
        return self.classes_[np.argmax(proba, axis=1)]

    def save(self, path: str | Path) -> Path:
        """Write the fitted model to the directory ``path`` (safetensors + JSON)."""
        return io.save(self, path)

    @staticmethod
    def load(path: str | Path) -> MSAEClassifier:
        return io.load(path)
