"""The paper's published numbers (``paper_values.json``) and the names used for its parts."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

# Order and labels of the paper's tables and figures.
DATASETS = ("mnist", "fashion-mnist", "cifar10", "usps", "isolet", "pendigits", "ecoli")
MODELS = ("ae", "sae", "vae", "vlsae", "lr21-sae", "msae", "lr21-msae")
RAW = "raw"  # softmax on the raw features: the floor every auto-encoder should beat
MODEL_LABELS = {
    "ae": "AE",
    "sae": "SAE",
    "vae": "VAE",
    "vlsae": "VLSAE",
    "lr21-sae": "LR21-SAE",
    "msae": "MSAE",
    "lr21-msae": "LR21-MSAE",
    RAW: "Softmax (raw)",
}
DATASET_LABELS = {
    "mnist": "MNIST",
    "fashion-mnist": "Fashion-MNIST",
    "cifar10": "CIFAR-10",
    "usps": "USPS",
    "isolet": "ISOLET",
    "pendigits": "Pendigits",
    "ecoli": "Ecoli",
    "digits": "Digits (sklearn)",
}
SPARSITY_LABELS = {
    "kl": "KL divergence",
    "js": "JS divergence",
    "wasserstein": "Wasserstein distance",
}


@cache
def paper_values() -> dict[str, Any]:
    """The transcribed tables, hyperparameters and their source citation."""
    text = resources.files("msae.experiments").joinpath("paper_values.json").read_text()
    return json.loads(text)


def label(name: str) -> str:
    """Display name of a model or dataset (the name itself when it has none)."""
    return MODEL_LABELS.get(name) or DATASET_LABELS.get(name) or name


def ordered(names: set[str] | list[str], order: tuple[str, ...]) -> list[str]:
    """``names`` in the first-seen ``order``, names not in it last in sorted order."""
    known = [n for n in dict.fromkeys(order) if n in names]
    return known + sorted(set(names) - set(order))
