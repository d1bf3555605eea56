"""The science policy: one frozen, documented answer to "how does a source become a candidate?".

Every entry point (``xrbvo run``, ``classify``, ``demo``, ``evaluate``, the
Python API, the terminal UI) resolves the same :class:`SciencePolicy` against
its input and its model bundle, and writes the result into every output.

The rules
---------
1. **Cuts are applied to the probabilities at which they were chosen.**  A
   model's candidate cuts were chosen (cross-validated) on probabilities at one
   class mix, its *selection priors* (the training skies' expected mix, or the
   labelled set's training mix).  ``P_<class>`` in the catalogue is at that
   mix, and ``candidate_class`` is the cut applied to it.
2. **The field's priors give the field's probabilities and purity.**
   ``P_<class>_field``, ``predicted_class`` and ``P_max`` are at the field's
   class priors, and ``expected_purity`` is each candidate's expected purity
   in its field (from the cut's cross-validated pass rates and the field mix).
3. **Field priors, ``auto``**: every source of a blind, flux-limited survey (eRASS1 tables, the simulated
   sky) gets its own priors (rule 5): the class mix changes by orders of magnitude with flux and sight
   line, so one vector per field cannot be right for both a bright, hard, catalogued HMXB and a faint
   counterpart-less source beside it.  A targeted sample (Chandra pointings, tables in the Chandra Source
   Catalog layout such as the labelled set) keeps the model's own mix.  The choice is decided from the
   input, printed and recorded; ``--sample`` and ``--field-priors`` override it (``model``: one population
   mix per field at ``|b|`` < :data:`PLANE_B_DEG`, policy 2's default).
4. **Given priors** (``--prior CLASS=SHARE``): classes not named are filled
   from the model's mix, scaled to the share left, and the run says so.  NaN,
   negative, all-zero or unknown classes are one clear error.
5. **Field priors, ``source``** (the default for blind surveys, rule 3): every source gets its own priors, the
   population model's class mix at its own flux on its sight line
   (:func:`xrbvo.stages.classify.priors.source_priors`); a source without a usable flux or position falls
   back to the field's mix (``model``), and the count is printed and recorded (``NFALLBK``).  A targeted
   sample keeps the model's own mix.
6. **Minimum purity** (``--min-purity X``, default :data:`~xrbvo.core.defaults.DEFAULT_MIN_PURITY` for a
   blind survey; ``off`` turns it off): for a blind survey a source is a candidate of class c when c has a
   cut and its own posterior at its own field priors, ``P_c_field``, is at least X (the highest such
   class); ``expected_purity`` is then that posterior, and the header's ``EXPPUR`` the class-level figure.
   A targeted sample keeps the cuts at the selection priors.
7. **No counterpart is evidence** (``--no-counterpart``; ``auto``: on for a blind survey, off for a targeted
   sample): a source left without any counterpart gets its priors multiplied by the population model's
   P(no counterpart in any survey | class, flux, sight line) over the share of the class the model was trained
   at without a counterpart (:func:`xrbvo.stages.probability.no_counterpart_evidence`, docs/classifier.md);
   the run applies it once it knows which sources have none.  A model that does not record that share gets
   none of it, and the run says so.
8. **Coverage**: a source with no neighbour in any survey lies outside the
   surveys' coverage; it is flagged (``coverage`` = False), counted, and is
   never a candidate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from xrbvo.core.errors import InputError
from xrbvo.core.surveys import get_survey
from xrbvo.stages.classify.priors import PLANE_B_DEG, em_priors, expected_field_priors, source_priors
from xrbvo.stages.probability import flux_evidence_priors

__all__ = ["SciencePolicy", "ResolvedPolicy", "resolve_policy", "parse_priors", "sample_hint", "PRIOR_MODES",
           "SAMPLES", "POLICY_VERSION", "PLANE_B_DEG", "purity_figures", "CENSUS_EXCESS",
           "PURITY_KEYS", "NO_COUNTERPART_MODES"]

#: Version of the rules above, recorded in every output.
POLICY_VERSION = "xrbvo-policy/4"  # 4: per-source priors count the flux once (the model's training flux likelihood divided out); 3: blind surveys: per-source priors, --min-purity 0.5, no-counterpart evidence by default; 2: census field priors
#: Ways to set the field's class priors.
PRIOR_MODES = ("auto", "model", "training", "uniform", "em", "source")
#: Candidates above this multiple of the census's expected X-ray binaries in the input's sky cells: a warning.
CENSUS_EXCESS = 3.0
#: Header keywords of :func:`purity_figures`.
PURITY_KEYS = ("NCANDXRB", "NEXPXRB", "EXPPUR", "NCENXRB", "CENSCELL")
#: Kinds of X-ray sample.
SAMPLES = ("auto", "survey", "targeted")
#: Rule 7: ``auto`` (a blind survey: on), ``evidence`` (on), ``off``.
NO_COUNTERPART_MODES = ("auto", "evidence", "off")


@dataclass(frozen=True)
class SciencePolicy:
    """The user's choices; :func:`resolve_policy` turns them into numbers for one input and model.

    Parameters
    ----------
    field_priors : str, optional
        ``auto`` (rule 3), ``model`` (the population model for every source), ``training`` (the model's
        mix), ``uniform``, or ``em`` (estimated from the sources themselves, Saerens et al. 2002;
        ``classify`` only).
    priors : Mapping[str, float], optional
        Given class priors (rule 4); override ``field_priors``.
    sample : str, optional
        ``auto`` (decided from the input), ``survey`` (blind, flux-limited) or ``targeted``.
    flux_limit : float, optional
        0.2-2.3 keV flux limit (erg/cm2/s) of the population model; None: the X-ray survey's depth, else
        the sample's own (5th percentile of its soft fluxes).
    min_purity : float | str | None, optional
        Rule 6: a blind survey's candidates need ``P_<class>_field`` >= this (in (0, 1]); ``"auto"``:
        :data:`~xrbvo.core.defaults.DEFAULT_MIN_PURITY` for a blind survey; None or ``"off"``: off.
    no_counterpart : str, optional
        Rule 7: ``auto`` (on for a blind survey), ``evidence`` or ``off``.
    """

    field_priors: str = "auto"
    """``auto`` (rule 3), ``model`` (the population model for every source), ``training`` (the model's
    mix), ``uniform``, or ``em`` (estimated from the sources themselves, Saerens et al. 2002; ``classify`` only)."""
    priors: Mapping[str, float] | None = None
    """Given class priors (rule 4); override ``field_priors``."""
    sample: str = "auto"
    """``auto`` (decided from the input), ``survey`` (blind, flux-limited) or ``targeted``."""
    flux_limit: float | None = None
    """0.2-2.3 keV flux limit (erg/cm2/s) of the population model; None: the X-ray survey's depth, else the
    sample's own (5th percentile of its soft fluxes)."""
    min_purity: float | str | None = "auto"
    """Rule 6: a blind survey's candidates need ``P_<class>_field`` >= this (in (0, 1]); ``"auto"``: the
    default for a blind survey; None or ``"off"``: off."""
    no_counterpart: str = "auto"
    """Rule 7: ``auto`` (on for a blind survey), ``evidence`` or ``off``."""

    def validate(self) -> None:
        if self.field_priors not in PRIOR_MODES:
            raise InputError(f"unknown field-priors mode {self.field_priors!r}; choose from {', '.join(PRIOR_MODES)}")
        if self.sample not in SAMPLES:
            raise InputError(f"unknown sample kind {self.sample!r}; choose from {', '.join(SAMPLES)}")
        if self.flux_limit is not None and not (math.isfinite(self.flux_limit) and self.flux_limit > 0):
            raise InputError("the flux limit must be a positive number (erg/cm2/s), e.g. 5e-14")
        if self.priors is not None:
            _check_given(self.priors)
        if isinstance(self.min_purity, str):
            if self.min_purity not in ("auto", "off"):
                raise InputError(f"--min-purity {self.min_purity!r}: give a purity above 0 and at most 1 "
                                 "(e.g. 0.5), auto or off")
        elif self.min_purity is not None and not (isinstance(self.min_purity, (int, float))
                                                and math.isfinite(self.min_purity) and 0 < self.min_purity <= 1):
            raise InputError(f"--min-purity {self.min_purity!r}: give a purity above 0 and at most 1, e.g. 0.5")
        if self.no_counterpart not in NO_COUNTERPART_MODES:
            raise InputError(f"unknown no-counterpart mode {self.no_counterpart!r}; choose from "
                             f"{', '.join(NO_COUNTERPART_MODES)}")


def _check_given(priors: Mapping[str, float]) -> None:
    from xrbvo.core.schema import CLASSES

    if not priors:
        raise InputError("no class priors given; write --prior CLASS=SHARE, e.g. --prior HMXB=0.01")
    for k, v in priors.items():
        if k not in CLASSES:
            raise InputError(f"--prior {k}: unknown class; classes are {', '.join(CLASSES)}")
        if not isinstance(v, (int, float)) or not math.isfinite(float(v)):
            raise InputError(f"--prior {k}={v}: a prior must be a finite number between 0 and 1")
        if not 0 <= float(v) <= 1:
            raise InputError(f"--prior {k}={v:g}: a prior must be between 0 and 1")
    if sum(float(v) for v in priors.values()) <= 0:
        raise InputError("the class priors given are all zero; give at least one positive share")


def parse_priors(items: Sequence[str]) -> dict[str, float] | None:
    """``["HMXB=0.01", "AGN=0.3"]`` -> ``{"HMXB": 0.01, "AGN": 0.3}`` (checked; None for no items).

    Parameters
    ----------
    items : Sequence[str]
        The ``KEY=VALUE`` items as given on the command line.

    Returns
    -------
    dict[str, float] | None
        Class -> prior; None when no items were given.
    """
    if not items:
        return None
    out: dict[str, float] = {}
    for it in items:
        if "=" not in it:
            raise InputError(f"--prior {it!r}: write CLASS=SHARE, e.g. --prior HMXB=0.01")
        k, v = (x.strip() for x in it.split("=", 1))
        k = k.upper()
        if k in out:
            raise InputError(f"--prior {k} given twice")
        try:
            out[k] = float(v)
        except ValueError:
            raise InputError(f"--prior {it!r}: SHARE must be a number between 0 and 1") from None
    _check_given(out)
    return out


def sample_hint(meta: Mapping | None = None, *, layout: str | None = None, xray_survey: str | None = None
                ) -> tuple[str | None, str]:
    """What kind of sample an input is, from what it says about itself.

    Returns ``(kind or None, reason)``.  An xrbvo output or a simulated sky
    records ``SAMPLE``; a table in a Chandra Source Catalog layout is a
    targeted sample; a table read as an X-ray survey of the registry (eRASS1)
    is a blind survey.

    Parameters
    ----------
    meta : Mapping, optional
        Table metadata.
    layout : str, optional
        Table layout (``features``, ``csc-labelled`` or ``csc-field``).
    xray_survey : str, optional
        The X-ray survey of the input (e.g. ``erass1``), when known.

    Returns
    -------
    tuple[str | None, str]
        What kind of sample an input is, from what it says about itself.
    """
    meta = {str(k).upper(): v for k, v in dict(meta or {}).items()}
    s = str(meta.get("SAMPLE", "")).strip().lower()
    if s in ("survey", "targeted"):
        return s, f"the input says SAMPLE={s}"
    if layout in ("csc-labelled", "csc-field"):
        return "targeted", "Chandra Source Catalog layout (pointed observations)"
    if xray_survey is not None:
        sv = get_survey(xray_survey)
        if sv.kind == "xray":
            return "survey", f"read as {sv.name} sources (a blind, flux-limited survey)"
    return None, "the input does not say"


def _boost(meta: Mapping | None) -> dict[str, float]:
    meta = {str(k).upper(): v for k, v in dict(meta or {}).items()}
    text = str(meta.get("CLSBOOST", "") or "")
    out = {}
    for part in text.split(";"):
        if "=" in part:
            k, v = part.split("=", 1)
            try:
                out[k.strip()] = float(v)
            except ValueError:
                raise InputError(f"the input's CLSBOOST header {text!r} is not CLASS=FACTOR;...; fix or remove it"
                                 ) from None
    return out


@dataclass(frozen=True)
class ResolvedPolicy:
    """The policy's numbers for one input and one model.

    Parameters
    ----------
    policy : SciencePolicy
        The science policy (:mod:`xrbvo.workflows.policy`).
    classes : tuple[str, ...]
        Class names, in the order of the probability columns.
    sample : str
        ``survey`` or ``targeted``.
    sample_reason : str
        Why the input was taken as a survey or a targeted sample.
    mode : str
        What was applied: ``population``, ``source``, ``training``, ``given``, ``uniform``, ``em``.
    selection_priors : dict[str, float]
        Priors of the cuts (rule 1).
    field_priors : numpy.ndarray
        (n, n_classes) field priors per source, columns ``classes``.
    field_mix : dict[str, float] | None
        The one field mix applied to the shifted rows (None where no row is shifted).
    n_shifted : int
        Sources whose field priors differ from the selection priors.
    filled : tuple[str, ...], optional
        Classes filled from the model's mix (given priors).
    flux_limit : float, optional
        0.2-2.3 keV flux limit (erg/cm2/s) of the population model.
    notes : tuple[str, ...], optional
        Remarks for the user about the priors (printed with the summary).
    n_fallback : int, optional
        ``source`` priors: sources without a usable flux or position, given the field's mix instead.
    min_purity : float, optional
        Rule 6 as applied (None: off, or a targeted sample).
    no_counterpart_share : dict[str, float], optional
        Rule 7 as applied: class -> share of the model's training rows without any counterpart (None: off).
    injected : dict[str, float], optional
        Classes a simulated sky injected above their natural density (its ``CLSBOOST``): the census's
        expectation for the input's sky (:func:`purity_figures`) carries the same factors.
    flux_once : bool, optional
        ``source`` priors: True when the model's training flux distribution is divided out of them (the flux
        counted once: the priors are the population model's class mix at the source's flux over the model's
        training flux likelihood of each class), False when the model lacks it (None: other modes).
    """

    policy: SciencePolicy
    classes: tuple[str, ...]
    sample: str
    """``survey`` or ``targeted``."""
    sample_reason: str
    mode: str
    """What was applied: ``population``, ``training``, ``given``, ``uniform``, ``em``."""
    selection_priors: dict[str, float]
    """Priors of the cuts (rule 1)."""
    field_priors: np.ndarray
    """(n, n_classes) field priors per source, columns ``classes``."""
    field_mix: dict[str, float] | None
    """The one field mix applied to the shifted rows (None where no row is shifted)."""
    n_shifted: int
    """Sources whose field priors differ from the selection priors."""
    filled: tuple[str, ...] = ()
    """Classes filled from the model's mix (given priors)."""
    flux_limit: float | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    n_fallback: int = 0
    """``source`` priors: sources without a usable flux or position, given the field's mix instead."""
    min_purity: float | None = None
    """Rule 6 as applied (None: off, or a targeted sample)."""
    no_counterpart_share: dict[str, float] | None = None
    """Rule 7 as applied: class -> the model's training share without any counterpart (None: off)."""
    injected: dict[str, float] = field(default_factory=dict)
    """A simulated sky's injected classes and their factors (``CLSBOOST``)."""
    flux_once: bool | None = None
    """``source`` priors: True when the model's training flux distribution was divided out of them (the flux
    counted once, :func:`xrbvo.stages.probability.flux_evidence_priors`), False when the model lacks it."""

    def header(self) -> dict[str, str | float | int]:
        """Keywords written into every output (FITS header, VOTable INFO)."""
        h: dict[str, str | float | int] = {
            "POLICY": POLICY_VERSION,
            "SAMPLE": self.sample,
            "PRIORS": self.mode,
            "SELPRIOR": ";".join(f"{k}={v:.4g}" for k, v in self.selection_priors.items()),
            "NSHIFTED": int(self.n_shifted),
            "CUTRULE": "candidate: P_<class> (at SELPRIOR) >= cut, highest such class; never without coverage",
        }
        if self.field_mix:
            h["FLDPRIOR"] = ";".join(f"{k}={v:.4g}" for k, v in self.field_mix.items())
        if self.filled:
            h["PRIORFIL"] = ",".join(self.filled)
        if self.flux_limit is not None:
            h["FLUXLIM"] = float(self.flux_limit)
        if self.mode == "population":
            h["PLANEB"] = float(PLANE_B_DEG)
        if self.mode == "source":
            h["NFALLBK"] = int(self.n_fallback)
            if self.flux_once is not None:
                h["FLUXONCE"] = "yes" if self.flux_once else "no"
        h["NOCTP"] = "evidence" if self.no_counterpart_share is not None else "off"
        if self.no_counterpart_share is not None:
            h["NOCTPQ"] = ";".join(f"{k}={v:.3g}" for k, v in self.no_counterpart_share.items())
        if self.min_purity is not None:
            h["MINPUR"] = float(self.min_purity)
            h["CUTRULE"] = (f"candidate: a class with a cut whose P_<class>_field (at the source's own field priors) "
                            f">= MINPUR, highest such class; never without coverage")
        return h

    def summary(self) -> str:
        """One line for the user."""
        where = " (--field-priors model)"
        what = {"population": f"xrbvo's population model for the {self.n_shifted} source{'' if self.n_shifted == 1 else 's'}{where}",
                "training": f"the model's own class mix ({self.sample} sample: {self.sample_reason})",
                "given": "the priors given" + (f" (classes not named, {', '.join(self.filled)}, filled from the "
                                               "model's mix)" if self.filled else ""),
                "uniform": "uniform class priors",
                "source": f"each source's own, xrbvo's population model at its flux on its sight line "
                          f"({self.n_shifted - self.n_fallback} of {self.n_shifted} source"
                          f"{'' if self.n_shifted == 1 else 's'}; {self.n_fallback} without a usable flux or "
                          f"position given the field's mix; a blind survey: {self.sample_reason})",
                "em": f"estimated from the {self.n_shifted} low-latitude source{'' if self.n_shifted == 1 else 's'} themselves (EM)"}[self.mode]
        return f"field priors: {what}"  # every class's prior: the header's FLDPRIOR, the console's table


def _fill(given: Mapping[str, float], mix: Mapping[str, float], classes: Sequence[str]
          ) -> tuple[dict[str, float], tuple[str, ...]]:
    unknown = [k for k in given if k not in classes]
    if unknown:
        raise InputError(f"--prior {unknown[0]}: the model has no class {unknown[0]} (it knows {', '.join(classes)})")
    named = {k: float(v) for k, v in given.items()}
    rest = [c for c in classes if c not in named]
    if not rest:
        s = sum(named.values())
        return {c: named[c] / s for c in classes}, ()
    left = 1.0 - sum(named.values())
    if left <= 0:
        raise InputError(f"the priors given sum to {sum(named.values()):.3g} but leave {', '.join(rest)} unnamed; "
                         "give shares below 1 in total, or name every class")
    m = np.array([max(float(mix.get(c, 0.0)), 0.0) for c in rest])
    m = m / m.sum() if m.sum() > 0 else np.full(len(rest), 1.0 / len(rest))
    out = dict(named)
    out.update({c: left * float(x) for c, x in zip(rest, m)})
    return {c: out[c] for c in classes}, tuple(rest)


def resolve_policy(policy: SciencePolicy, bundle, *, l_deg, b_deg, soft_flux=None, meta: Mapping | None = None,
                   layout: str | None = None, xray_survey: str | None = None,
                   proba_selection: np.ndarray | None = None) -> ResolvedPolicy:
    """The policy's numbers for sources at Galactic (l, b) and a model bundle.

    Parameters
    ----------
    policy : SciencePolicy
    bundle : ModelBundle
        Supplies the classes, the selection priors and the model's mix.
    l_deg, b_deg : array
        Galactic positions of the sources (NaN where unknown).
    soft_flux : array, optional
        0.2-2.3 keV fluxes, for the sample's own flux limit.
    meta, layout, xray_survey
        What the input says about itself (:func:`sample_hint`).
    proba_selection : array, optional
        Probabilities at the selection priors (``em`` only).

    Returns
    -------
    ResolvedPolicy
        The policy's numbers for sources at Galactic (l, b) and a model bundle.
    """
    policy.validate()
    classes = tuple(bundle.classes)
    sel = dict(bundle.selection_priors)
    sel_vec = np.array([sel[c] for c in classes])
    l = np.atleast_1d(np.asarray(l_deg, dtype=float))
    b = np.atleast_1d(np.asarray(b_deg, dtype=float))
    n = len(b)
    notes: list[str] = []
    hint, reason = sample_hint(meta, layout=layout, xray_survey=xray_survey)
    if policy.sample != "auto":
        sample, reason = policy.sample, "given"
    elif hint is None:
        sample = "targeted"
        notes.append("the input does not say whether it is a blind survey or a targeted sample: the model's own "
                     "class mix is used (give --sample survey for the population model)")
    else:
        sample = hint
    rows = np.broadcast_to(sel_vec, (n, len(classes))).copy()
    flux_once = None
    filled: tuple[str, ...] = ()
    mix = None
    flux_limit = None
    n_shifted = 0
    n_fallback = 0
    if policy.priors is not None:
        given, filled = _fill(policy.priors, bundle.mix, classes)
        mix = given
        rows[:] = np.array([given[c] for c in classes])
        mode, n_shifted = "given", n
    elif policy.field_priors == "uniform":
        mix = {c: 1.0 / len(classes) for c in classes}
        rows[:] = 1.0 / len(classes)
        mode, n_shifted = "uniform", n
    elif policy.field_priors == "training" or (policy.field_priors in ("auto", "source") and sample == "targeted"):
        mode = "training"
        if policy.field_priors == "source":
            notes.append("--field-priors source is for blind surveys; a targeted sample keeps the model's own mix "
                         "(give --sample survey to treat it as a blind survey)")
    elif policy.field_priors == "source" or (policy.field_priors == "auto" and sample == "survey"):
        mode = "source"
        fs = np.broadcast_to(np.asarray(soft_flux if soft_flux is not None else np.nan, dtype=float), (n,))
        own, good = source_priors(l, b, fs, classes)
        boost = _boost(meta)
        if boost:
            own = own * np.array([boost.get(c, 1.0) for c in classes])
            own /= own.sum(axis=1, keepdims=True)
            notes.append("the simulated sky records injected classes (" + ", ".join(
                f"{k} x{v:g}" for k, v in boost.items()) + "): the population mix is multiplied by them")
        fl = getattr(getattr(bundle, "source", None), "flux_likelihood_", None)
        if fl is not None and good.any():
            # the model's probabilities hold its training flux distribution: divide it out (flux counted once)
            own[good] = flux_evidence_priors(own[good], np.log10(fs[good]), fl, classes)
            flux_once = True
        elif good.any():
            flux_once = False
            notes.append("the model does not record its training flux distribution (train it again with this "
                         "version): per-source priors count the flux a second time")
        rows[good] = own[good]
        n_fallback = int((~good).sum())
        ok = np.isfinite(l) & np.isfinite(b)
        back = ~good & ok
        if back.any():
            flux_limit = _flux_limit(policy, xray_survey, meta, soft_flux)
            mix = expected_field_priors(l[ok], b[ok], classes, flux_limit=flux_limit)
            if boost:
                mix = {c: v * boost.get(c, 1.0) for c, v in mix.items()}
                mix = {c: v / sum(mix.values()) for c, v in mix.items()}
            rows[back] = np.array([mix[c] for c in classes])
        n_shifted = int(good.sum() + back.sum())
        if n_fallback:
            notes.append(f"{n_fallback} source{'' if n_fallback == 1 else 's'} without a usable soft flux or position: "
                         + ("the field's mix" if back.any() else "the model's mix") + " instead of its own priors")
    else:
        ok = np.isfinite(l) & np.isfinite(b)
        low = ok & (np.abs(b) < PLANE_B_DEG) if policy.field_priors in ("auto", "em") else ok
        if policy.field_priors == "em":
            if proba_selection is None:
                raise InputError("--field-priors em estimates the mix from the sources' probabilities; "
                                 "it is available in `xrbvo classify` only")
            mode = "em"
            if low.any():
                pri, _, _ = em_priors(np.asarray(proba_selection)[low], sel_vec)
                mix = {c: float(v) for c, v in zip(classes, pri)}
        else:
            mode = "population"
            if low.any():
                flux_limit = _flux_limit(policy, xray_survey, meta, soft_flux)
                mix = expected_field_priors(l[low], b[low], classes, flux_limit=flux_limit)
                boost = _boost(meta)
                if boost:
                    mix = {c: v * boost.get(c, 1.0) for c, v in mix.items()}
                    s = sum(mix.values())
                    mix = {c: v / s for c, v in mix.items()}
                    notes.append("the simulated sky records injected classes (" + ", ".join(
                        f"{k} x{v:g}" for k, v in boost.items()) + "): the population mix is multiplied by them")
        if mix is not None:
            rows[low] = np.array([mix[c] for c in classes])
            n_shifted = int(low.sum())
        if n_shifted == 0 and mode == "population":
            mode = "training"
            reason += f"; no source at |b| < {PLANE_B_DEG:g} deg"
    asked = _min_purity(policy.min_purity)
    min_purity = asked if sample == "survey" else None
    if min_purity is not None and flux_limit is None:  # the census of the input's cells needs one
        flux_limit = _flux_limit(policy, xray_survey, meta, soft_flux)
    if asked is not None and min_purity is None and policy.min_purity != "auto":
        notes.append("--min-purity applies to blind surveys; a targeted sample keeps the cuts at the selection "
                     "priors (give --sample survey to treat it as a blind survey)")
    noctp = _no_counterpart_share(policy, bundle, sample, classes, notes)
    return ResolvedPolicy(policy, classes, sample, reason, mode, sel, rows, mix, n_shifted, filled, flux_limit,
                          tuple(notes), n_fallback, min_purity, noctp, _boost(meta), flux_once=flux_once)


def _no_counterpart_share(policy: SciencePolicy, bundle, sample: str, classes: Sequence[str],
                          notes: list[str]) -> dict[str, float] | None:
    """Rule 7: the model's training share without counterpart per class when the evidence applies, else None."""
    on = policy.no_counterpart == "evidence" or (policy.no_counterpart == "auto" and sample == "survey")
    if not on:
        return None
    got = dict((getattr(bundle, "metadata", None) or {}).get("no_counterpart_share") or {})
    if not got or any(c not in got for c in classes):
        notes.append("the model does not record its training share without counterparts (train it again with "
                     "this version): no-counterpart evidence is off")
        return None
    return {c: float(got[c]) for c in classes}


def _min_purity(value) -> float | None:
    if value is None or value == "off":
        return None
    if value == "auto":
        from xrbvo.core.defaults import DEFAULT_MIN_PURITY

        return float(DEFAULT_MIN_PURITY)
    return float(value)


def _flux_limit(policy: SciencePolicy, xray_survey, meta, soft_flux) -> float:
    if policy.flux_limit is not None:
        return float(policy.flux_limit)
    m = {str(k).upper(): v for k, v in dict(meta or {}).items()}
    try:
        v = float(m.get("FLUXLIM", "nan"))
    except (TypeError, ValueError):
        v = float("nan")
    if math.isfinite(v) and v > 0:
        return v
    if xray_survey is not None:
        d = get_survey(xray_survey).depth.get("flux_soft")
        if d:
            return float(d)
    fs = np.asarray(soft_flux if soft_flux is not None else [], dtype=float)
    fs = fs[np.isfinite(fs) & (fs > 0)]
    if len(fs) == 0:
        raise InputError("no soft X-ray fluxes to set the sample's flux limit; give one (--flux-limit)")
    return float(np.percentile(fs, 5))


def purity_figures(resolved: ResolvedPolicy, catalogue) -> dict[str, str | float | int]:
    """Header keywords of rule 6: the candidates' expected purity against the census of the input's sky.

    ``EXPPUR``: each candidate class's mean expected purity (the class-level figure); ``NEXPXRB``: the expected
    number of true X-ray binaries among the candidates (the sum of their ``expected_purity``); ``NCENXRB``:
    the population model's expected number of X-ray binaries (HMXB + LMXB) detectable in the 1-deg Galactic
    cells that hold the input's sources, at ``FLUXLIM`` (:func:`xrbvo.galaxy.census.expected_counts`, one flat
    limit, times the factors of any class a simulated sky injected); ``CENSCELL``: the cells' area (deg2);
    ``NCANDXRB``: the candidates.  Empty when rule 6 is off.

    Parameters
    ----------
    resolved : ResolvedPolicy
        The policy applied.
    catalogue : astropy.table.Table
        The output, with ``ra``, ``dec``, ``candidate_class`` and ``expected_purity``.

    Returns
    -------
    dict
        The keywords (see above).
    """
    if resolved.min_purity is None or resolved.flux_limit is None:
        return {}
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    from xrbvo.core.schema import XRB_CLASSES
    from xrbvo.galaxy.census import Sensitivity, cells_for_tiles, expected_counts

    cand = np.asarray(catalogue["candidate_class"]).astype(str)
    pur = np.asarray(catalogue["expected_purity"], dtype=float)
    xrb = np.isin(cand, list(XRB_CLASSES))
    h: dict[str, str | float | int] = {"NCANDXRB": int(xrb.sum()), "NEXPXRB": float(np.nansum(pur[xrb]))}
    h["EXPPUR"] = ";".join(f"{c}={np.nanmean(pur[cand == c]):.3g}" for c in XRB_CLASSES if (cand == c).any()) or "none"
    ra = np.asarray(catalogue["ra"], dtype=float)
    dec = np.asarray(catalogue["dec"], dtype=float)
    ok = np.isfinite(ra) & np.isfinite(dec)
    if ok.any():
        g = SkyCoord(ra=ra[ok] * u.deg, dec=dec[ok] * u.deg).galactic
        cells = cells_for_tiles(g.l.deg, g.b.deg, tile_deg=1.0, step_deg=1.0)
        got = expected_counts(cells, Sensitivity(flux_limit=float(resolved.flux_limit), exposure="flat"))
        # a simulated sky with injected classes: the census expects them at the same factors
        h["NCENXRB"] = float(sum(got[c] * float(resolved.injected.get(c, 1.0)) for c in XRB_CLASSES))
        h["CENSCELL"] = float(cells.area_deg2)
    return h
