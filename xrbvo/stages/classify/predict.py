"""The classify stage as calls: class probabilities of sources, and class-aware counterparts.

Two ways from an association to class probabilities:

``nway``
    classify the features of each source's most probable combination
    (:func:`source_proba`);
``joint``
    decide class and counterpart together (:func:`joint_classify`,
    :mod:`xrbvo.stages.classify.counterparts`).

Both return probabilities at the priors asked for; the science policy
(:mod:`xrbvo.workflows.policy`) decides which priors those are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
from astropy.table import Table

from xrbvo.core.schema import CLASSES
from xrbvo.stages.classify.counterparts import combination_table, joint_posterior
from xrbvo.stages.classify.explain import explain
from xrbvo.stages.features import feature_matrix
from xrbvo.stages.match import AssociationResult

__all__ = ["joint_p_any", "source_proba", "explain_sources", "JointClassification", "joint_classify"]


def source_proba(features: Table, model, priors: Mapping[str, float] | np.ndarray | None = None) -> np.ndarray:
    """Class probabilities at ``priors`` (columns follow ``model.classes_``; default the model's training mix).

    Parameters
    ----------
    features : astropy.table.Table
        Feature columns (:data:`xrbvo.stages.features.FEATURES`), one row per source.
    model : xrbvo.stages.classify.classifier.SourceClassifier
        The trained source classifier.
    priors : Mapping[str, float] | numpy.ndarray, optional
        Class priors (class -> prior).

    Returns
    -------
    numpy.ndarray
        Class probabilities at ``priors`` (columns follow ``model.classes_``; default the model's
        training mix).
    """
    X = feature_matrix(features, model.feature_names_)
    if len(X) == 0:
        return np.zeros((0, len(model.classes_)))
    return model.predict_proba(X, priors=priors)


def explain_sources(features: Table, model, proba: np.ndarray | None = None, top: int = 3) -> Table:
    """Per source, the features that pushed its most probable class most (:func:`xrbvo.stages.classify.explain`).

    Parameters
    ----------
    features : astropy.table.Table
        Feature columns (:data:`xrbvo.stages.features.FEATURES`), one row per source.
    model : xrbvo.stages.classify.classifier.SourceClassifier
        The trained source classifier.
    proba : numpy.ndarray, optional
        Class probabilities, shape (n, n_classes), columns in ``classes`` order.
    top : int, optional
        Number of features named per source.

    Returns
    -------
    astropy.table.Table
        Per source, the features that pushed its most probable class most
        (:func:`xrbvo.stages.classify.explain`).
    """
    return explain(model, feature_matrix(features, model.feature_names_), top=top, proba=proba)


@dataclass(frozen=True)
class JointClassification:
    """Class-aware counterparts of every source.

    Parameters
    ----------
    proba : numpy.ndarray
        (n_sources, n_classes) probabilities at the priors asked for, columns ``classes``.
    classes : tuple[str, ...]
        Class names, in the order of the probability columns.
    result : object
        The :class:`~xrbvo.stages.classify.counterparts.JointResult`.
    associated : numpy.ndarray, optional
        Per source: ``p_any`` reaches the run's calibrated cut (None: no cut).
    """

    proba: np.ndarray
    """(n_sources, n_classes) probabilities at the priors asked for, columns ``classes``."""
    classes: tuple[str, ...]
    result: object
    """The :class:`~xrbvo.stages.classify.counterparts.JointResult`."""
    associated: np.ndarray | None = None
    """Per source: ``p_any`` reaches the run's calibrated cut (None: no cut, every source as it comes).
    A source that does not is classified and described as one without a counterpart."""

    def choose(self, association: AssociationResult, neighbourhoods: Mapping[str, Table],
               top_class: np.ndarray) -> tuple[AssociationResult, Table, dict[str, np.ndarray]]:
        """The association, features and per-class counterpart columns for a chosen class per source.

        ``top_class`` is the column index (into ``classes``) of the class whose most
        probable counterpart becomes the source's counterpart (the most probable
        class at the field's priors).  Returns the association with that choice
        (p_any, p_i, match_flag, ``nid_``/``row_`` columns), the features of the chosen
        combination, and ``ctp_<CLASS>`` / ``P_<CLASS>_CTPT`` columns.
        """
        jr = self.result
        cr = jr.rows
        n = len(self.proba)
        classes = list(self.classes)
        top = np.asarray(top_class, dtype=int)
        chosen = np.array([jr.best[classes[t]][i] for i, t in enumerate(top)], dtype=int) if n else np.zeros(0, int)
        none_row = np.zeros(n, int)
        none_row[cr.src[cr.is_none]] = np.nonzero(cr.is_none)[0]
        if self.associated is not None and n:
            chosen = np.where(np.asarray(self.associated, bool), chosen, none_row)
        feats = cr.features[chosen] if n else cr.features[:0]
        p_k = jr.joint.sum(axis=1)
        none_rows = np.nonzero(cr.is_none)[0]
        p_none = np.zeros(n)
        p_none[cr.src[none_rows]] = p_k[none_rows]
        src = association.sources.copy()
        src["p_any"] = 1.0 - p_none
        with np.errstate(invalid="ignore", divide="ignore"):
            src["p_i"] = np.where(cr.is_none[chosen], 0.0, p_k[chosen] / np.maximum(1.0 - p_none, 1e-300))
        src["match_flag"] = (~cr.is_none[chosen]).astype(int)
        extra: dict[str, np.ndarray] = {}
        for s_name, rows in cr.rows.items():
            nids = np.asarray(neighbourhoods[s_name]["nid"]).astype(str)
            r = rows[chosen]
            src[f"nid_{s_name}"] = np.where(r >= 0, nids[np.maximum(r, 0)] if len(nids) else "", "")
            src[f"row_{s_name}"] = r
        for cname in CLASSES:
            if cname not in classes:
                continue
            b = jr.best[cname]
            parts = []
            for s_name, rows in cr.rows.items():
                nids = np.asarray(neighbourhoods[s_name]["nid"]).astype(str)
                r = rows[b]
                parts.append(np.where(r >= 0, np.char.add(f"{s_name}:", nids[np.maximum(r, 0)] if len(nids) else ""),
                                      ""))
            label = [";".join(x for x in row if x) or "none" for row in zip(*parts)] if n else []
            label = np.asarray(label, dtype=str)
            p_ctpt = np.asarray(jr.p_ctpt[cname], float)
            if self.associated is not None and n:
                # below the calibrated cut the source has no counterpart, whatever its class
                un = ~np.asarray(self.associated, bool)
                j = classes.index(cname)
                with np.errstate(invalid="ignore", divide="ignore"):
                    p_none_c = np.where(self.result.proba[:, j] > 0, jr.joint[none_row, j] / self.result.proba[:, j],
                                        0.0)
                label = np.where(un, "none", label)
                p_ctpt = np.where(un, p_none_c, p_ctpt)
            extra[f"ctp_{cname}"] = label
            extra[f"P_{cname}_CTPT"] = p_ctpt
        return AssociationResult(association.combinations, src, association.surveys), feats, extra


def joint_p_any(result) -> np.ndarray:
    """``p_any`` of every source of a joint posterior: one minus the probability of its "none" row.

    Parameters
    ----------
    result : JointResult
        The joint posterior (:func:`~xrbvo.stages.classify.counterparts.joint_posterior`).

    Returns
    -------
    numpy.ndarray
        Per source, the probability that it has a counterpart.
    """
    cr = result.rows
    n = len(result.proba)
    p_none = np.zeros(n)
    p_none[cr.src[cr.is_none]] = result.joint[cr.is_none].sum(axis=1)
    return 1.0 - p_none


def joint_classify(xray: Table, association: AssociationResult, neighbourhoods: Mapping[str, Table],
                   nh: np.ndarray, model, ctpt_model, priors: Mapping[str, float] | None, *,
                   object_density_arcsec2: float | None = None, p_any_cut: float | None = None
                   ) -> JointClassification:
    """Class-aware counterparts: the joint posterior over class and combination at ``priors``.

    ``association`` must be positional (no magnitude priors): the photometry of
    true counterparts is learnt per class by the two classifiers instead.
    ``object_density_arcsec2`` of a larger run sets the objects' sky density (:func:`~xrbvo.stages.classify.counterparts.combination_table`).
    With ``p_any_cut`` (the run's calibrated cut, :mod:`xrbvo.stages.match.calibrate`), a source whose
    ``p_any`` falls below it is classified as one without a counterpart: its class probabilities are
    those of its "none" row alone, so that chance neighbours do not decide its class.

    Parameters
    ----------
    xray : astropy.table.Table
        The X-ray sources in the XRAY schema (:func:`xrbvo.io.standardise_xray`).
    association : AssociationResult
        The association of the X-ray sources with their neighbours.
    neighbourhoods : Mapping[str, Table]
        Survey name -> neighbourhood table (:mod:`xrbvo.stages.neighbourhoods`).
    nh : numpy.ndarray
        Absorbing column, cm^-2.
    model : xrbvo.stages.classify.classifier.SourceClassifier
        The trained source classifier.
    ctpt_model : xrbvo.stages.classify.counterparts.CounterpartClassifier
        The counterpart model (P_XRAY_CTPT).
    priors : Mapping[str, float] | None
        Class priors (class -> prior).
    object_density_arcsec2 : float, optional
        Sky density of candidate objects (per arcsec^2); None: measured from the neighbourhoods.
    p_any_cut : float, optional
        The run's calibrated p_any cut; None: no cut.

    Returns
    -------
    JointClassification
        Class-aware counterparts: the joint posterior over class and combination at ``priors``.
    """
    cr = combination_table(xray, association, neighbourhoods, nh, object_density_arcsec2=object_density_arcsec2)
    jr = joint_posterior(cr, len(xray), model, ctpt_model, priors)
    proba = jr.proba
    associated = None
    if p_any_cut is not None:
        associated = joint_p_any(jr) >= p_any_cut
        if len(proba) and not associated.all():
            none_idx = np.nonzero(cr.is_none)[0]
            alone = np.zeros_like(proba)
            alone[cr.src[none_idx]] = jr.joint[none_idx]
            tot = alone.sum(axis=1, keepdims=True)
            alone = np.divide(alone, tot, out=np.zeros_like(alone), where=tot > 0)
            proba = np.where(associated[:, None], proba, alone)
    cal = getattr(model, "calibration_", None)
    if cal and len(proba):
        # as SourceClassifier.predict_proba: the calibration maps probabilities at the training mix
        from xrbvo.stages.probability import calibrate_at_training_mix

        classes = tuple(jr.classes)
        target = np.asarray([float((priors or {}).get(c, 0.0)) for c in classes]) if priors is not None else \
            np.asarray(model.train_priors_, float)
        target = target / target.sum()
        proba = calibrate_at_training_mix(proba, target, cal, classes, np.asarray(model.train_priors_, float), target)
    return JointClassification(proba, tuple(jr.classes), jr, associated)
