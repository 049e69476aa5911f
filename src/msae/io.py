"""Save and load fitted estimators: ``model.safetensors`` (tensors) + ``config.json`` (the rest).

No pickle is involved, so loading a model file cannot run code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from msae.models import ModelConfig, build_model, get_preset

_FORMAT = 1


def _classes_to_json(classes: np.ndarray) -> dict[str, Any]:
    return {"values": classes.tolist(), "dtype": str(classes.dtype)}


def save(estimator: Any, path: str | Path) -> Path:
    """Write a fitted MSAETransformer or MSAEClassifier to the directory ``path``."""
    from msae.estimators import MSAEClassifier

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    is_classifier = isinstance(estimator, MSAEClassifier)
    transformer = estimator.transformer_ if is_classifier else estimator
    params = {k: v for k, v in estimator.get_params().items() if k != "callbacks"}
    if isinstance(params.get("random_state"), np.random.RandomState):
        params["random_state"] = None
    tensors = {
        f"ae.{k}": v.detach().cpu().contiguous() for k, v in transformer.model_.state_dict().items()
    }
    meta: dict[str, Any] = {
        "format": _FORMAT,
        "class": type(estimator).__name__,
        "params": params,
        "model_config": transformer.model_.config.to_dict(),
        "n_features_in": int(transformer.n_features_in_),
        "n_iter": int(transformer.n_iter_),
        "history": transformer.history_,
        "kept_features": None
        if transformer.kept_features_ is None
        else transformer.kept_features_.tolist(),
    }
    tensors["ae.mean_activation"] = torch.as_tensor(transformer.mean_activation_)
    if is_classifier:
        tensors["clf.coef"] = torch.as_tensor(estimator.coef_)
        tensors["clf.intercept"] = torch.as_tensor(estimator.intercept_)
        meta["classes"] = _classes_to_json(estimator.classes_)
    save_file(tensors, str(path / "model.safetensors"))
    (path / "config.json").write_text(json.dumps(meta, indent=2))
    return path


def load(path: str | Path) -> Any:
    """Load what :func:`save` wrote; returns a fitted estimator of the saved class."""
    from msae.estimators import MSAEClassifier, MSAETransformer

    path = Path(path)
    meta = json.loads((path / "config.json").read_text())
    if meta.get("format") != _FORMAT:
        raise ValueError(f"{path / 'config.json'}: unsupported format {meta.get('format')!r}")
    tensors = load_file(str(path / "model.safetensors"))
    params = meta["params"]
    if params.get("image_shape") is not None:
        params["image_shape"] = tuple(params["image_shape"])
    cls = {"MSAETransformer": MSAETransformer, "MSAEClassifier": MSAEClassifier}[meta["class"]]
    estimator = cls(**params)
    transformer = MSAETransformer(
        **{k: v for k, v in params.items() if k in MSAETransformer._get_param_names()}
    )
    config = ModelConfig.from_dict(meta["model_config"])
    state = {
        k[3:]: v for k, v in tensors.items() if k.startswith("ae.") and k != "ae.mean_activation"
    }
    model = build_model(config, get_preset(params["preset"]), 0, state["weight"].dtype)
    model.load_state_dict(state)
    model.eval().to(torch.device("cpu"))
    transformer.model_ = model
    transformer.n_features_in_ = meta["n_features_in"]
    transformer.n_iter_ = meta["n_iter"]
    transformer.history_ = meta["history"]
    kept = meta["kept_features"]
    transformer.kept_features_ = None if kept is None else np.asarray(kept, dtype=np.int64)
    transformer.mean_activation_ = tensors["ae.mean_activation"].numpy()
    transformer._set_weights()
    if cls is MSAETransformer:
        return transformer
    estimator.transformer_ = transformer
    estimator.n_features_in_ = meta["n_features_in"]
    estimator.classes_ = np.asarray(meta["classes"]["values"], dtype=meta["classes"]["dtype"])
    estimator.coef_ = tensors["clf.coef"].numpy()
    estimator.intercept_ = tensors["clf.intercept"].numpy()
    return estimator
