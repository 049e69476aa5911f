"""Save and load fitted estimators: ``model.safetensors`` (tensors) + ``config.json`` (the rest).

No pickle is involved, so loading a model file cannot run code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from msae.models import ModelConfig, build_model, get_preset

_FORMAT = 1
_CLASSES = ("MSAETransformer", "MSAEClassifier")


class ModelFileError(ValueError):
    """A model directory that :func:`load` cannot read; the message names the file."""


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


def _read_meta(path: Path) -> dict[str, Any]:
    file = path / "config.json"
    if not file.is_file():
        what = "no such directory" if not path.exists() else "it has no config.json"
        raise ModelFileError(f"{path}: not a saved msae model ({what}; save() writes one)")
    try:
        meta = json.loads(file.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{file}: not valid JSON ({exc})") from exc
    if not isinstance(meta, dict) or meta.get("format") != _FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else type(meta).__name__
        raise ModelFileError(f"{file}: unsupported format {found!r} (expected {_FORMAT})")
    if meta.get("class") not in _CLASSES:
        raise ModelFileError(f"{file}: class {meta.get('class')!r} is not one of {_CLASSES}")
    return meta


def _read_tensors(path: Path) -> dict[str, torch.Tensor]:
    file = path / "model.safetensors"
    try:
        return load_file(str(file))
    except FileNotFoundError:
        raise ModelFileError(f"{file}: missing (save() writes it beside config.json)") from None
    except (SafetensorError, OSError) as exc:
        raise ModelFileError(f"{file}: not a readable safetensors file ({exc})") from exc


def load(path: str | Path) -> Any:
    """Load what :func:`save` wrote; returns a fitted estimator of the saved class.

    Raises :class:`ModelFileError`, naming the file, for a directory that holds no model or a
    damaged one.
    """
    path = Path(path)
    meta = _read_meta(path)
    tensors = _read_tensors(path)
    try:
        return _build(meta, tensors)
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise ModelFileError(
            f"{path}: config.json and model.safetensors do not make a model ({exc!r})"
        ) from exc


def _build(meta: dict[str, Any], tensors: dict[str, torch.Tensor]) -> Any:
    from msae.estimators import MSAEClassifier, MSAETransformer

    params = meta["params"]
    if params.get("image_shape") is not None:
        params["image_shape"] = tuple(params["image_shape"])
    cls = MSAEClassifier if meta["class"] == MSAEClassifier.__name__ else MSAETransformer
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
