"""The model bundle: the source classifier, the class-aware counterpart model and their metadata, as one.

A model directory holds::

    manifest.json        format, xrbvo version, SHA-256 of every other file
    model.json           source classifier (XGBoost JSON)
    metadata.json        its metadata: classes, features, cuts, priors, training record
    ctpt_model.json      P_XRAY_CTPT, the counterpart model (XGBoost JSON)
    ctpt_metadata.json   its metadata

Every file is hashed in the manifest and checked on load: any damage, edit,
missing file or directory in a file's place is one :class:`~xrbvo.core.errors.ModelError`
naming the file.  Nothing is unpickled: the models are XGBoost JSON, the rest
plain JSON.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import numpy as np

from xrbvo import __version__
from xrbvo.core.errors import ModelError
from xrbvo.io import replace_files
from xrbvo.stages.classify.classifier import SourceClassifier
from xrbvo.stages.classify.counterparts import CounterpartClassifier

__all__ = ["ModelBundle", "BUNDLE_FORMAT", "MANIFEST", "MAX_MODEL_FILE_BYTES"]

#: Format of the manifest.
BUNDLE_FORMAT = "xrbvo-model-bundle/1"
#: Name of the manifest file.
MANIFEST = "manifest.json"
#: No file of a model directory is read past this size (a damaged or foreign file is refused first).
MAX_MODEL_FILE_BYTES = 512 * 1024 * 1024

_HOW = "train one with `xrbvo demo` (it writes OUT/model) or `xrbvo train --labels FILE --out DIR`"


def _sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


@dataclass(frozen=True)
class ModelBundle:
    """A loaded, verified model directory (or one about to be saved).

    Parameters
    ----------
    source : SourceClassifier
        The nine-class (or fewer-class) source classifier.
    metadata : dict
        The source classifier's metadata (cuts, priors, training record).
    counterpart : CounterpartClassifier, optional
        P_XRAY_CTPT for class-aware counterparts; None only for a bundle that cannot have one.
    directory : Path, optional
        Where it was loaded from.
    manifest : dict, optional
        The manifest read (file -> SHA-256).
    """

    source: SourceClassifier
    """The nine-class (or fewer-class) source classifier."""
    metadata: dict
    """The source classifier's metadata (cuts, priors, training record)."""
    counterpart: CounterpartClassifier | None = None
    """P_XRAY_CTPT for class-aware counterparts; None only for a bundle that cannot have one."""
    directory: Path | None = None
    """Where it was loaded from."""
    manifest: dict = field(default_factory=dict)
    """The manifest read (file -> SHA-256)."""

    # ---------------------------------------------------------------------------------------
    @property
    def classes(self) -> tuple[str, ...]:
        return tuple(str(c) for c in self.source.classes_)

    @property
    def cuts(self) -> dict[str, float]:
        """Candidate cuts, on probabilities at :attr:`selection_priors`."""
        return {str(k): float(v) for k, v in dict(self.metadata.get("cuts", {})).items()}

    @property
    def selection_priors(self) -> dict[str, float]:
        """The class priors at which the cuts were chosen (and are applied)."""
        sel = self.metadata.get("selection") or {}
        pri = sel.get("cut_priors") or self.metadata.get("reference_priors")
        if pri:
            v = {c: float(pri.get(c, 0.0)) for c in self.classes}
            if sum(v.values()) > 0:
                s = sum(v.values())
                return {c: x / s for c, x in v.items()}
        return {c: float(p) for c, p in zip(self.classes, self.source.train_priors_)}

    @property
    def mix(self) -> dict[str, float]:
        """The model's own class mix (its reference priors): fills classes a user's partial priors leave out."""
        return self.selection_priors

    @property
    def pass_rates(self) -> dict | None:
        """Cross-validated pass rates of the cuts (:func:`xrbvo.stages.select.pass_rates`), if recorded."""
        return (self.metadata.get("selection") or {}).get("pass_rates")

    @property
    def counterparts(self) -> str:
        """``joint`` (class-aware counterparts) when the bundle has a counterpart model, else ``nway``."""
        return "joint" if self.counterpart is not None else "nway"

    @property
    def trained_on(self) -> str:
        """``simulated`` (simulated skies with truth) or ``labelled`` (a labelled table of real sources)."""
        return str(self.metadata.get("trained_on") or ("labelled" if self.metadata.get("training_file")
                                                       else "simulated"))

    @property
    def xray_bands(self) -> str:
        """X-ray bands the model's features are in: ``erass1`` (trained on simulated eRASS1 skies) or ``chandra``
        (trained on a Chandra labelled table); a Chandra table is converted to them
        (:func:`xrbvo.stages.classify.labelled.csc_features`)."""
        return "erass1" if self.trained_on == "simulated" else "chandra"

    @property
    def real_data_line(self) -> str | None:
        """One line on how a model trained on simulated skies only fares on real labelled sources (None otherwise).

        The figures are those measured when it was trained (``metadata["real_labelled"]``, written by
        :func:`xrbvo.workflows.demo.measure_on_labelled`); a model without them says it was never measured.
        """
        if self.trained_on != "simulated":
            return None
        rec = self.metadata.get("real_labelled")
        if not isinstance(rec, dict) or "balanced_accuracy" not in rec:
            return ("this model was trained on simulated skies only and has not been measured on real labelled "
                    "sources; train it where the labelled set is present, or use a model trained on real ones "
                    "(xrbvo train)")
        rc = rec.get("recall", {})
        parts = [f"{c} recall {rc[c][0]}/{rc[c][1]}" for c in ("HMXB", "LMXB", "NS", "CV", "AGN", "STAR")
                 if c in rc]
        return (f"this model was trained on simulated skies only; on {rec.get('n', '?')} real labelled sources "
                f"({rec.get('file', 'labelled set')}) it scores balanced accuracy {float(rec['balanced_accuracy']):.2f}"
                + (f" ({', '.join(parts)})" if parts else ""))

    def describe(self) -> dict[str, str]:
        """Header keywords saying which model made an output."""
        d = {"MODEL": str(self.directory) if self.directory else "(in memory)",
             "MODELSHA": _sha(json.dumps(self.manifest.get("files", {}), sort_keys=True).encode())[:16],
             "TRAINED": self.trained_on, "COUNTERP": self.counterparts,
             "CUTS": ";".join(f"{k}={v:.4f}" for k, v in self.cuts.items()),
             "CUTPRIOR": ";".join(f"{k}={v:.4g}" for k, v in self.selection_priors.items())}
        if self.metadata.get("band_note"):
            d["BANDNOTE"] = str(self.metadata["band_note"])
        rec = self.metadata.get("real_labelled")
        if self.trained_on == "simulated" and isinstance(rec, dict) and "balanced_accuracy" in rec:
            d["REALBACC"] = f"{float(rec['balanced_accuracy']):.3f}"
        return d

    # ---------------------------------------------------------------------------------------
    def files(self) -> dict[str, bytes]:
        """Every file of the bundle, manifest included (name -> bytes)."""
        out = dict(self.source.to_files(metadata=self.metadata))
        if self.counterpart is not None:
            out.update(self.counterpart.to_files())
        manifest = {"format": BUNDLE_FORMAT, "xrbvo_version": __version__,
                    "files": {k: _sha(v) for k, v in sorted(out.items())}}
        out[MANIFEST] = json.dumps(manifest, indent=2).encode()
        return out

    def save(self, directory: str | Path) -> Path:
        """Write the bundle as one set (see :func:`xrbvo.io.replace_files`: a model directory is the old bundle
        or the new one, never a mixture, whenever the writer is stopped); returns where it went."""
        _check_metadata(self.metadata, self.classes, where=str(directory))
        return replace_files(directory, self.files())

    @classmethod
    def load(cls, directory: str | Path) -> "ModelBundle":
        """Load and verify a model directory.

        Raises
        ------
        ModelError
            One line naming the directory or file and what to do: a missing
            directory or file, a file whose hash differs from the manifest's,
            unreadable or inconsistent metadata, a foreign format.
        """
        d = Path(directory)
        if not d.exists():
            raise ModelError(f"{d}: no such model directory; {_HOW}")
        if not d.is_dir():
            raise ModelError(f"{d}: not a directory; give the model directory ({_HOW})")
        mpath = d / MANIFEST
        if not mpath.is_file():
            if (d / "model.json").exists():
                raise ModelError(f"{d}: a model without a manifest (written by xrbvo before 0.2, or edited); "
                                 f"retrain it: {_HOW}")
            raise ModelError(f"{d}: not an xrbvo model directory (no {MANIFEST}); {_HOW}")
        manifest = _read_json(mpath, d)
        if not isinstance(manifest, dict) or manifest.get("format") != BUNDLE_FORMAT \
                or not isinstance(manifest.get("files"), dict):
            raise ModelError(f"{mpath}: not an xrbvo model manifest (expected format {BUNDLE_FORMAT!r}); {_HOW}")
        files: dict[str, bytes] = {}
        for name, digest in manifest["files"].items():
            if not isinstance(name, str) or "/" in name or "\\" in name or name.startswith(".") or name == MANIFEST:
                raise ModelError(f"{mpath}: the manifest names a file {name!r} outside the model directory")
            p = d / name
            if not p.is_file():
                raise ModelError(f"{p}: missing or not a file, but the model's manifest lists it; restore the "
                                 f"model directory or retrain it")
            if p.stat().st_size > MAX_MODEL_FILE_BYTES:
                raise ModelError(f"{p}: larger than any xrbvo model file ({MAX_MODEL_FILE_BYTES} bytes); retrain")
            try:
                b = p.read_bytes()
            except OSError as exc:
                raise ModelError(f"{p}: cannot be read ({exc.strerror or exc}); check its permissions") from None
            if _sha(b) != digest:
                raise ModelError(f"{p}: modified or corrupted (its SHA-256 differs from the manifest's); restore "
                                 f"the model directory or retrain it")
            files[name] = b
        for need in ("model.json", "metadata.json"):
            if need not in files:
                raise ModelError(f"{mpath}: the manifest lists no {need}; {_HOW}")
        source, meta = SourceClassifier.from_files(files, where=str(d))
        ctpt = None
        if "ctpt_model.json" in files or "ctpt_metadata.json" in files:
            ctpt, _ = CounterpartClassifier.from_files(files, where=str(d))
        _check_metadata(meta, tuple(str(c) for c in source.classes_), where=str(d / "metadata.json"))
        return cls(source, meta, ctpt, d, manifest)


def _read_json(path: Path, d: Path):
    try:
        if path.stat().st_size > MAX_MODEL_FILE_BYTES:
            raise ModelError(f"{path}: too large for a model file; retrain")
        return json.loads(path.read_bytes().decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise ModelError(f"{path}: unreadable (not JSON); restore the model directory or retrain it") from None
    except OSError as exc:
        raise ModelError(f"{path}: cannot be read ({exc.strerror or exc})") from None


def _check_metadata(meta: Mapping, classes: tuple[str, ...], *, where: str) -> None:
    """Cuts and priors that would change the science silently are refused."""
    cuts = meta.get("cuts", {})
    if not isinstance(cuts, Mapping):
        raise ModelError(f"{where}: 'cuts' must map classes to probabilities; retrain the model")
    for k, v in cuts.items():
        if k not in classes:
            raise ModelError(f"{where}: a cut names class {k!r}, which the model does not have; retrain the model")
        if not isinstance(v, (int, float)) or not (0 < float(v) <= 1) or math.isnan(float(v)):
            raise ModelError(f"{where}: the cut of {k} ({v!r}) is not a probability in (0, 1]; retrain the model")
    for key in ("reference_priors",):
        pri = meta.get(key)
        if pri is None:
            continue
        if not isinstance(pri, Mapping) or not all(isinstance(x, (int, float)) and np.isfinite(x) and x >= 0
                                                   for x in pri.values()):
            raise ModelError(f"{where}: '{key}' must map classes to non-negative numbers; retrain the model")
