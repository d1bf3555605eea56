"""Labelled tables, for the interfaces: training a model on one (``xrbvo train``), evaluating a model on one
(``xrbvo evaluate``), and comparing a classification with a table's published classes (``xrbvo classify``).

The interfaces reach the stages only through the workflows (the import-linter
contract "interfaces call workflows only" in pyproject.toml); this module hands
them the pieces of :mod:`xrbvo.stages.classify` and :mod:`xrbvo.stages.features`
they use, as they are:

* reading: :func:`load_labelled`, :func:`model_matrix`, :data:`CLASS_MAP`, :data:`BAND_NOTE`, :data:`FEATURES`;
* training: :func:`train_labelled`, :func:`usable_features`, :data:`DEFAULT_AUGMENT`, :data:`DEFAULT_EXCLUDE`,
  :data:`DEFAULT_GRID`, :data:`QUICK_GRID`;
* evaluating: :func:`class_report`, :func:`completeness_purity`, :func:`plot_confusion`, :func:`plot_cp_curves`,
  :func:`plot_reliability`;
* more real X-ray binaries and counterpart-less copies (``xrbvo train --extra-hmxb``,
  ``--no-counterpart-copies``): :func:`load_neumann2023`, :func:`default_no_counterpart_rates`;
* comparing: :func:`published_comparison`.
"""

from __future__ import annotations

from xrbvo.stages.classify.augment import default_no_counterpart_rates
from xrbvo.stages.classify.evaluate import class_report, plot_confusion, plot_cp_curves, plot_reliability
from xrbvo.stages.classify.labelled import BAND_NOTE, CLASS_MAP, load_labelled, model_matrix, published_comparison
from xrbvo.stages.classify.train import (DEFAULT_AUGMENT, DEFAULT_EXCLUDE, DEFAULT_GRID, QUICK_GRID, completeness_purity,
                                         train_labelled, usable_features)
from xrbvo.stages.classify.xrbcats import load_neumann2023
from xrbvo.stages.features import FEATURES

__all__ = ["BAND_NOTE", "CLASS_MAP", "FEATURES", "load_labelled", "model_matrix", "published_comparison",
           "DEFAULT_AUGMENT", "DEFAULT_EXCLUDE", "DEFAULT_GRID", "QUICK_GRID", "train_labelled", "usable_features",
           "class_report", "completeness_purity", "plot_confusion", "plot_cp_curves", "plot_reliability",
           "load_neumann2023", "default_no_counterpart_rates"]
