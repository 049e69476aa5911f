"""Presets by name: which model class and which structural choices make each paper model."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from msae.models.autoencoder import AutoEncoder
from msae.models.base import FeatureModel, ModelConfig

ModelFactory = Callable[[ModelConfig, torch.Generator, torch.dtype], FeatureModel]


@dataclass(frozen=True)
class Preset:
    """A named model: its factory and the config fields it fixes (overridable by the user)."""

    name: str
    description: str
    factory: ModelFactory
    defaults: dict[str, Any] = field(default_factory=dict)
    solver: str | None = None  # a solver the model needs, if not the user's choice


PRESETS: dict[str, Preset] = {}


def register_preset(preset: Preset) -> Preset:
    PRESETS[preset.name] = preset
    return preset


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown preset {name!r}; choose from {sorted(PRESETS)}") from None


for _name, _description, _defaults in [
    ("ae", "auto-encoder with L2 weight decay (baseline)",
     dict(weight_penalty="l2", sparsity="none", multiscale=False)),
    ("sae", "sparse auto-encoder: KL sparsity + L2 weight decay",
     dict(weight_penalty="l2", sparsity="kl", multiscale=False)),
    ("lr21-sae", "sparse auto-encoder: Wasserstein sparsity + L2,1 (ablation: no J_ms)",
     dict(weight_penalty="l21", sparsity="wasserstein", multiscale=False)),
    ("msae", "multi-scale sparse auto-encoder: KL + L2 + J_ms (ablation: no L2,1)",
     dict(weight_penalty="l2", sparsity="kl", multiscale=True)),
    ("lr21-msae", "the paper's model: Wasserstein + L2,1 + J_ms",
     dict(weight_penalty="l21", sparsity="wasserstein", multiscale=True)),
]:  # fmt: skip
    register_preset(Preset(_name, _description, AutoEncoder, _defaults))


def build_model(
    config: ModelConfig, preset: Preset, seed: int, dtype: torch.dtype = torch.float32
) -> FeatureModel:
    generator = torch.Generator().manual_seed(seed)
    return preset.factory(config, generator, dtype)
