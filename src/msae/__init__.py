"""msae: multi-scale, sparse auto-encoders (LR21-MSAE and its baselines) for feature learning."""

from msae.estimators import MSAEClassifier, MSAETransformer
from msae.models import PRESETS

__version__ = "0.1.0"

__all__ = ["PRESETS", "MSAEClassifier", "MSAETransformer", "__version__"]
