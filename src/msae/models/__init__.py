"""Models of the auto-encoder family and the preset registry."""

from msae.models.autoencoder import AutoEncoder
from msae.models.base import FeatureModel, ModelConfig
from msae.models.registry import PRESETS, Preset, build_model, get_preset, register_preset
from msae.models.vae import VAE as VAE
from msae.models.vlsae import VLSOptions as VLSOptions

__all__ = [
    "PRESETS",
    "AutoEncoder",
    "FeatureModel",
    "ModelConfig",
    "Preset",
    "build_model",
    "get_preset",
    "register_preset",
]
