"""Classify a table of sources that already carries photometry (``xrbvo classify``).

The input is an xrbvo catalogue, a table with the feature columns, or a
Chandra Source Catalog table with Gaia/2MASS/WISE photometry (the labelled
set, the H.E.S.S. field).  The science policy, the selection rule and the
output columns are those of :func:`xrbvo.workflows.analyse`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.table import Table

from xrbvo.core.errors import Cancelled
from xrbvo.core.schema import CATALOGUE, CLASSES, XRB_CLASSES, describe_table, prob_column
from xrbvo.stages.catalogue import add_class_columns
from xrbvo.stages.classify.explain import explain
from xrbvo.stages.classify.labelled import LAYOUTS, csc_features, detect_layout, model_matrix, positions
from xrbvo.stages.select import apply_selection, prior_columns
from xrbvo.workflows.bundle import ModelBundle
from xrbvo.workflows.policy import ResolvedPolicy, SciencePolicy, purity_figures, resolve_policy

__all__ = ["Classified", "classify_table"]


@dataclass(frozen=True)
class Classified:
    """The output table and how it was made.

    Parameters
    ----------
    table : astropy.table.Table
        The table.
    policy : ResolvedPolicy
        The science policy (:mod:`xrbvo.workflows.policy`).
    layout : str
        Table layout (``features``, ``csc-labelled`` or ``csc-field``).
    predicted : numpy.ndarray
        The most probable class per row.
    """

    table: Table
    policy: ResolvedPolicy
    layout: str
    predicted: np.ndarray

    def summary(self) -> dict:
        cand = np.asarray(self.table["candidate_class"]).astype(str)
        return {"n_sources": len(self.table), "candidates": {c: int(np.sum(cand == c)) for c in XRB_CLASSES},
                "policy": self.policy.summary(), "notes": list(self.policy.notes)}


def classify_table(table: Table, bundle: ModelBundle, policy: SciencePolicy | None = None, *,
                   source: str = "table", progress: Callable[[str, float], None] | None = None,
                   cancel: threading.Event | None = None) -> Classified:
    """Class probabilities, candidates and explanations for every row of ``table``.

    Parameters
    ----------
    table : astropy.table.Table
        The table.
    bundle : ModelBundle
        The trained models and their metadata (:meth:`ModelBundle.load`).
    policy : SciencePolicy, optional
        The science policy (:mod:`xrbvo.workflows.policy`).
    source : str, optional
        Name of the input, used in messages and recorded in the outputs.
    progress : Callable[[str, float], None], optional
        Progress callback ``(message, fraction)``.
    cancel : threading.Event, optional
        Set it to stop the work (:class:`xrbvo.core.errors.Cancelled` is raised).

    Returns
    -------
    Classified
        Class probabilities, candidates and explanations for every row of ``table``.
    """
    pol = policy or SciencePolicy()
    pol.validate()
    step = progress or (lambda m, f: None)
    layout = detect_layout(table)
    step("features and HI4PI N_H", 0.2)
    # a Chandra table in the model's X-ray bands (converted to eRASS1's for a model trained on simulated skies)
    feats = csc_features(table, layout=layout, source=source, bands=bundle.xray_bands)  # positions checked here
    model = bundle.source
    X = model_matrix(feats, model.feature_names_)
    classes = bundle.classes
    sel_vec = np.array([bundle.selection_priors[c] for c in classes])
    step("probabilities", 0.4)
    proba = model.predict_proba(X, priors=sel_vec) if len(X) else np.zeros((0, len(classes)))
    if cancel is not None and cancel.is_set():
        raise Cancelled()
    ra, dec = positions(table, layout, source=source)
    ok = np.isfinite(ra)
    l = np.full(len(ra), np.nan)
    b = np.full(len(ra), np.nan)
    if ok.any():
        g = SkyCoord(ra=ra[ok] * u.deg, dec=dec[ok] * u.deg).galactic
        l[ok], b[ok] = g.l.deg, g.b.deg
    soft = 10.0 ** np.asarray(feats["log_fx"], float) if "log_fx" in feats.colnames else None
    resolved = resolve_policy(pol, bundle, l_deg=l, b_deg=b, soft_flux=soft, meta=table.meta, layout=layout,
                              proba_selection=proba)
    coverage = np.asarray(table["coverage"], bool) if "coverage" in table.colnames else None
    field_priors = resolved.field_priors
    if resolved.no_counterpart_share is not None and soft is not None and len(X):
        # rule 7: a source whose every counterpart feature is missing has no counterpart
        from xrbvo.stages.classify.augment import counterpart_columns
        from xrbvo.stages.probability import no_counterpart_priors

        cols = counterpart_columns(model.feature_names_)
        none = np.all(~np.isfinite(np.asarray(X, float)[:, cols]), axis=1) if cols else np.zeros(len(X), bool)
        if none.any():
            field_priors = no_counterpart_priors(field_priors, Table({"ra": ra, "dec": dec, "flux_soft": soft}),
                                                 classes, none, resolved.no_counterpart_share)
    sel = apply_selection(proba, classes, sel_vec, field_priors, bundle.cuts,
                          pass_rates=bundle.pass_rates, coverage=coverage, min_purity=resolved.min_purity)
    step("explanations", 0.6)
    ex = explain(model, X, proba=sel.proba_field)
    out = Table()
    lay = LAYOUTS.get(layout)
    if lay and lay["name"] in table.colnames:
        out["name"] = np.asarray(table[lay["name"]]).astype(str)
    for c in ("xid", "name"):
        if c in table.colnames and c not in out.colnames:
            out[c] = np.asarray(table[c]).astype(str)
    out["ra"], out["dec"], out["l"], out["b"] = ra, dec, l, b
    for f in model.feature_names_:
        out[f] = np.asarray(feats[f], float)
    add_class_columns(out, proba, classes, candidate_class=sel.candidate_class, proba_field=sel.proba_field,
                      expected_purity=sel.expected_purity)
    pred = np.asarray(out["predicted_class"])
    out["top_features"] = ex["top_features"]
    for k, v in prior_columns(resolved.field_priors, classes, len(out)).items():
        out[k] = v
    if coverage is not None:
        out["coverage"] = coverage
    out.meta.update(bundle.describe())
    out.meta.update(resolved.header())
    out.meta.update(purity_figures(resolved, out))
    out.meta["INPUT"] = source
    out.meta["LAYOUT"] = layout
    describe_table(out, CATALOGUE)
    step("done", 1.0)
    return Classified(out, resolved, layout, pred)
