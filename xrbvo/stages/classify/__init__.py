"""Machine learning: features, the source classifier, training and evaluation."""

from xrbvo.stages.classify.classifier import MedianImputer, SourceClassifier
from xrbvo.stages.classify.explain import explain
from xrbvo.stages.features import FEATURES, build_features, features_from_photometry
from xrbvo.stages.probability import shift_priors

__all__ = ["FEATURES", "build_features", "features_from_photometry", "SourceClassifier", "MedianImputer",
           "shift_priors", "explain"]
