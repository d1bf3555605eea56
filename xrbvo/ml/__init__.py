"""Machine learning: features, the source classifier, training and evaluation."""

from .classifier import MedianImputer, SourceClassifier, shift_priors
from .explain import explain
from .features import FEATURES, build_features, features_from_photometry

__all__ = ["FEATURES", "build_features", "features_from_photometry", "SourceClassifier", "MedianImputer",
           "shift_priors", "explain"]
