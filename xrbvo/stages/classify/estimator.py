"""The training trunk shared by the source classifier and the counterpart model.

One estimator interface (:class:`Estimator`), one metadata schema, one learner seam:

``fit(X, y, ...)`` / ``predict_proba(X)``
    scikit-learn's rules: ``__init__`` stores parameters, ``fit`` returns self, fitted attributes end
    in ``_``, ``classes_`` follows ``predict_proba``'s columns.  The model behind them is a *learner*
    (:mod:`xrbvo.stages.classify.learner`, the only module naming XGBoost), chosen by the
    ``learner`` parameter (None: :data:`~xrbvo.stages.classify.learner.DEFAULT_LEARNER`).
``to_files(metadata=...)`` / ``from_files(files, where=...)``
    Save and load, as bytes (a :class:`~xrbvo.workflows.bundle.ModelBundle` writes them): the
    learner's own file (:attr:`Estimator.MODEL_FILE`) and a JSON metadata file
    (:attr:`Estimator.META_FILE`).  Nothing is unpickled.
``explain()``
    Feature importances by feature name.

The metadata schema (every model file's JSON)::

    format        the estimator's format string (refused when foreign)
    learner       the learner's name ("xgboost"; absent in files written before it was recorded)
    classes       class names, in predict_proba's column order
    features      feature names, in the matrix's column order
    params        the estimator's parameters (the learner's tree parameters among them)
    model_sha256  SHA-256 of the learner's file, checked on load
    ...           what the estimator adds (priors, imputer and calibration; training odds)

Cuts on the out-of-fold probabilities of either model are chosen by one rule,
:func:`xrbvo.stages.classify.train.choose_cuts`.
"""

from __future__ import annotations

import hashlib
import json
from typing import Mapping

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from xrbvo.core.errors import ModelError
from xrbvo.stages.classify.learner import DEFAULT_LEARNER, LEARNER_PARAMS, learner_class

__all__ = ["Estimator", "json_default"]


class Estimator(ClassifierMixin, BaseEstimator):
    """Base of xrbvo's trained models: a learner behind fit / predict_proba / save / load / explain.

    Subclasses set :attr:`FORMAT`, :attr:`MODEL_FILE`, :attr:`META_FILE` and :attr:`TASK`, keep their
    fitted learner in ``learner_``, their feature names in ``feature_names_`` and their classes in
    ``classes_``, and implement :meth:`_metadata` (what they add to the schema) and :meth:`_restore`
    (the fitted state from the metadata and the loaded learner).
    """

    #: Format string of the metadata.
    FORMAT: str = ""
    #: Name of the learner's file.
    MODEL_FILE: str = "model.json"
    #: Name of the metadata file.
    META_FILE: str = "metadata.json"
    #: The learner's task (``"multiclass"`` or ``"binary"``).
    TASK: str = "multiclass"
    #: Parameters not saved with the model (objects, not numbers).
    UNSAVED_PARAMS: tuple[str, ...] = ("learner",)
    #: False: files without ``model_sha256`` (written before it was recorded) load unchecked.
    HASH_REQUIRED: bool = True
    #: What the model is, in messages.
    WHAT: str = "model"

    # --- the learner seam -------------------------------------------------------------------
    def _learner_class(self) -> type:
        return getattr(self, "learner", None) or DEFAULT_LEARNER

    def _new_learner(self):
        """An unfitted learner with this estimator's tree parameters."""
        params = {k: v for k, v in self.get_params(deep=False).items() if k in LEARNER_PARAMS}
        return self._learner_class()(task=self.TASK, **params)

    # --- explain -----------------------------------------------------------------------------
    def explain(self) -> dict[str, float]:
        """Feature importances by feature name (the learner's measure; they sum to 1 unless all zero).

        Returns
        -------
        dict[str, float]
            Feature -> importance, in the columns' order (missingness indicators of the source
            classifier are named ``missing_<feature>``).
        """
        imp = np.asarray(self.learner_.importances(), dtype=float)
        names = self._learner_feature_names()
        if len(imp) != len(names):
            raise ModelError(f"the learner reports {len(imp)} importances for {len(names)} features")
        tot = imp.sum()
        if tot > 0:
            imp = imp / tot
        return {str(n): float(v) for n, v in zip(names, imp)}

    def _learner_feature_names(self) -> list[str]:
        return list(self.feature_names_)

    # --- save / load -------------------------------------------------------------------------
    def _metadata(self) -> dict:  # pragma: no cover - every subclass overrides
        return {}

    def to_files(self, *, metadata: Mapping | None = None) -> dict[str, bytes]:
        """The model as files: the learner's file and the metadata JSON (name -> bytes; nothing written).

        Parameters
        ----------
        metadata : Mapping, optional
            More entries for the metadata (training record, cuts, ...).

        Returns
        -------
        dict[str, bytes]
            :attr:`MODEL_FILE` and :attr:`META_FILE`.
        """
        raw = self.learner_.to_bytes()
        meta = {"format": self.FORMAT, "learner": self._learner_class().name,
                "classes": [str(c) for c in self.classes_], "features": [str(f) for f in self.feature_names_],
                "params": {k: v for k, v in self.get_params(deep=False).items() if k not in self.UNSAVED_PARAMS},
                "model_sha256": hashlib.sha256(raw).hexdigest()}
        meta.update(self._metadata())
        meta.update(dict(metadata or {}))
        return {self.MODEL_FILE: raw, self.META_FILE: json.dumps(meta, indent=2, default=json_default).encode()}

    @classmethod
    def from_files(cls, files: Mapping[str, bytes], *, where: str = "model", learner: type | None = None):
        """The model and its metadata from the bytes of its files.

        Parameters
        ----------
        files : Mapping[str, bytes]
            File name -> bytes (at least :attr:`MODEL_FILE` and :attr:`META_FILE`).
        where : str, optional
            The model directory, for messages.
        learner : type, optional
            The learner class to load with; default the one the metadata names.

        Returns
        -------
        tuple
            The fitted model and its metadata (dict).

        Raises
        ------
        ModelError
            One line naming the file and what to do, when the metadata is unreadable, foreign or
            inconsistent with the learner's file.
        """
        try:
            meta = json.loads(files[cls.META_FILE].decode("utf-8"))
        except (KeyError, ValueError, UnicodeDecodeError) as exc:
            raise ModelError(f"{where}/{cls.META_FILE}: unreadable ({type(exc).__name__}); retrain the model"
                             ) from None
        if not isinstance(meta, dict) or meta.get("format") != cls.FORMAT:
            raise ModelError(f"{where}/{cls.META_FILE}: not an xrbvo {cls.WHAT} (format "
                             f"{meta.get('format') if isinstance(meta, dict) else '?'!r}, expected {cls.FORMAT!r}); "
                             "retrain it")
        cls._check_metadata(meta, where)
        lcls = learner or learner_class(meta.get("learner"))
        if lcls is None or lcls.name != (meta.get("learner") or lcls.name):
            raise ModelError(f"{where}/{cls.META_FILE}: written by the learner {meta.get('learner')!r}, which this "
                             "xrbvo does not have; retrain the model")
        raw = files.get(cls.MODEL_FILE, b"")
        if (cls.HASH_REQUIRED or "model_sha256" in meta) and hashlib.sha256(raw).hexdigest() != meta.get("model_sha256"):
            raise ModelError(f"{where}/{cls.MODEL_FILE}: the model file does not match its recorded hash (modified or "
                             "corrupted); retrain or restore it")
        try:
            params = meta.get("params", {})
            if not isinstance(params, Mapping):
                raise TypeError("params is not a mapping")
            fitted = lcls.from_bytes(raw, task=cls.TASK, params=params)
            self = cls._restore(meta, fitted, learner)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            first = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
            raise ModelError(f"{where}: {cls.WHAT} metadata is incomplete or inconsistent ({first}); retrain the "
                             "model") from None
        return self, meta

    @classmethod
    def _check_metadata(cls, meta: dict, where: str) -> None:
        """Refuse metadata this estimator cannot use (raise :class:`ModelError`); default: accept."""

    @classmethod
    def _restore(cls, meta: dict, fitted_learner, learner: type | None):  # pragma: no cover - overridden
        raise NotImplementedError


def json_default(o):
    """JSON encoder for numpy scalars and arrays (``json.dumps(..., default=json_default)``).

    Parameters
    ----------
    o : object
        What :mod:`json` cannot encode itself.

    Returns
    -------
    object
        A Python number or list.

    Raises
    ------
    TypeError
        For anything else.
    """
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")
