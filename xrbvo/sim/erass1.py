"""A simulated sky written as the eRASS1 DR1 release: ``eRASS1_Main`` and ``eRASS1_Hard``.

The Main table has the DR1 column names (:mod:`xrbvo.io.erass1`, docs/erass1.md) and no
``flux_hard``: the 2.3-5 keV flux is in the Hard table (``ML_FLUX_3``), linked through
``UID_Hard`` (``UID`` strong, ``-UID`` weak, 0 none).  Some sources are marked extended
(``EXT_LIKE`` > 0) and some others flagged (one ``FLAG_SP_*`` set), so the reader's selection
has something to remove; how many of each were marked is kept in the Main header
(``NEXTINJ``, ``NFLGINJ``, ``NWEAKINJ``), next to the sky's own keys (``SAMPLE``, ``FLUXLIM``,
``CLSBOOST``, ``SIMULATED``, ``SEED``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from astropy.table import Table

from xrbvo.io.erass1 import HARD_FLUX, HARD_FLUX_ERR, SPURIOUS_FLAGS
from xrbvo.sim.sky import SimulatedSky

__all__ = ["ReleaseConfig", "release_tables"]

_FLUX_UNIT = "erg / (s cm2)"


@dataclass(frozen=True)
class ReleaseConfig:
    """How the simulated sources are turned into the release's two tables.

    Parameters
    ----------
    extended_fraction : float, optional
        Share of sources marked extended (``EXT_LIKE`` in [3, 40], ``EXT`` > 0), drawn among the AGN (as
        galaxies and clusters would be) when there are enough.
    flagged_fraction : float, optional
        Share of the other sources with one spurious-source flag set.
    hard_snr : float, optional
        A source is in the Hard catalogue when its 2.3-5 keV flux is above ``hard_snr`` times its error.
    weak_fraction : float, optional
        Share of the Hard associations that are weak (``UID_Hard`` = -UID).
    seed_offset : int, optional
        The marks are drawn with ``seed + seed_offset`` (the sky's own draws are untouched).
    """

    extended_fraction: float = 0.04
    """Share of sources marked extended (``EXT_LIKE`` in [3, 40], ``EXT`` > 0), drawn among the AGN
    (as galaxies and clusters would be) when there are enough."""
    flagged_fraction: float = 0.04
    """Share of the other sources with one spurious-source flag set."""
    hard_snr: float = 3.0
    """A source is in the Hard catalogue when its 2.3-5 keV flux is above ``hard_snr`` times its error."""
    weak_fraction: float = 0.2
    """Share of the Hard associations that are weak (``UID_Hard`` = -UID)."""
    seed_offset: int = 1
    """The marks are drawn with ``seed + seed_offset`` (the sky's own draws are untouched)."""


def release_tables(sky: SimulatedSky, config: ReleaseConfig | None = None) -> tuple[Table, Table]:
    """The sky's X-ray sources as the eRASS1 Main and Hard tables.

    Parameters
    ----------
    sky : SimulatedSky
        The simulated field.
    config : ReleaseConfig, optional
        The options; None: ``ReleaseConfig()``.

    Returns
    -------
    main, hard : Table
        Main: one row per simulated source.  Hard: one row per source whose hard flux passes
        ``hard_snr`` (its ``UID_1B`` links back: Main ``UID``, or ``-UID`` when weak).
    """
    cfg = config or ReleaseConfig()
    x = sky.xray
    n = len(x)
    rng = np.random.default_rng(int(sky.config.seed) + cfg.seed_offset)
    idx = np.arange(n)
    uid = 100_000_000_000 + 100_000 * _skytile(np.asarray(x["RA"], float), np.asarray(x["DEC"], float)) + idx + 1

    cls = np.asarray(sky.truth["true_class"]).astype(str)
    n_ext = int(round(cfg.extended_fraction * n))
    agn = idx[cls == "AGN"]
    pool = agn if len(agn) >= n_ext else idx
    ext_rows = rng.choice(pool, n_ext, replace=False) if n_ext else np.zeros(0, int)
    rest = np.setdiff1d(idx, ext_rows)
    n_flag = int(round(cfg.flagged_fraction * n))
    flag_rows = rng.choice(rest, min(n_flag, len(rest)), replace=False) if n_flag else np.zeros(0, int)

    ext_like = np.zeros(n)
    ext_like[ext_rows] = rng.uniform(3.0, 40.0, len(ext_rows))
    ext = np.where(ext_like > 0, rng.uniform(10.0, 60.0, n), 0.0)
    flags = {f: np.zeros(n, np.int32) for f in SPURIOUS_FLAGS}
    which = rng.integers(0, len(SPURIOUS_FLAGS), len(flag_rows))
    for r, k in zip(flag_rows, which):
        flags[SPURIOUS_FLAGS[k]][r] = 1

    hard_obs = np.asarray(x["flux_hard"], float)
    hard_err = np.asarray(x["flux_hard_err"], float)
    in_hard = idx[hard_obs > cfg.hard_snr * hard_err]
    n_weak = int(round(cfg.weak_fraction * len(in_hard)))
    weak = np.zeros(n, bool)
    weak[rng.choice(in_hard, n_weak, replace=False) if n_weak else np.zeros(0, int)] = True
    huid = 200_000_000_000 + 100_000 * _skytile(np.asarray(x["RA"], float)[in_hard],
                                                np.asarray(x["DEC"], float)[in_hard]) + np.arange(len(in_hard)) + 1
    uid_hard = np.zeros(n, np.int64)
    uid_hard[in_hard] = np.where(weak[in_hard], -huid, huid)

    pos_err = np.asarray(x["POS_ERR"], float)
    main = Table({
        "IAUNAME": np.asarray(x["IAUNAME"]).astype(str), "UID": uid.astype(np.int64), "UID_Hard": uid_hard,
        "RA": x["RA"], "DEC": x["DEC"], "POS_ERR": pos_err, "RADEC_ERR": pos_err / 1.2,
        "LII": x["LII"], "BII": x["BII"], "MJD": x["MJD"],
        "EXT": ext, "EXT_LIKE": ext_like, "DET_LIKE_0": x["DET_LIKE_0"],
        "ML_CTS_1": x["ML_CTS_1"], "ML_FLUX_1": x["ML_FLUX_1"], "ML_FLUX_ERR_1": x["ML_FLUX_ERR_1"],
        **flags,
        "FLAG_NO_RADEC_ERR": np.zeros(n, np.int32), "FLAG_NO_EXT_ERR": np.zeros(n, np.int32),
        "FLAG_NO_CTS_ERR": np.zeros(n, np.int32), "FLAG_OPT": np.zeros(n, np.int32),
    })
    for c, unit in (("RA", "deg"), ("DEC", "deg"), ("LII", "deg"), ("BII", "deg"), ("POS_ERR", "arcsec"),
                    ("RADEC_ERR", "arcsec"), ("EXT", "arcsec"), ("ML_CTS_1", "ct"), ("ML_FLUX_1", _FLUX_UNIT),
                    ("ML_FLUX_ERR_1", _FLUX_UNIT), ("MJD", "d")):
        main[c].unit = unit
    main.meta.update(x.meta)
    main.meta["NEXTINJ"] = len(ext_rows)
    main.meta["NFLGINJ"] = len(flag_rows)
    main.meta["NWEAKINJ"] = n_weak

    h = in_hard
    snr = hard_obs[h] / hard_err[h]
    hard = Table({
        "IAUNAME": np.asarray(x["IAUNAME"]).astype(str)[h],
        "UID": huid.astype(np.int64), "UID_1B": np.where(weak[h], -uid[h], uid[h]).astype(np.int64),
        "RA": np.asarray(x["RA"], float)[h], "DEC": np.asarray(x["DEC"], float)[h], "POS_ERR": pos_err[h],
        "EXT": ext[h], "EXT_LIKE": ext_like[h],
        "DET_LIKE_0": snr**2 / 2.0, "DET_LIKE_3": snr**2 / 2.0,
        HARD_FLUX: hard_obs[h], HARD_FLUX_ERR: hard_err[h],
    })
    for c, unit in (("RA", "deg"), ("DEC", "deg"), ("POS_ERR", "arcsec"), ("EXT", "arcsec"),
                    (HARD_FLUX, _FLUX_UNIT), (HARD_FLUX_ERR, _FLUX_UNIT)):
        hard[c].unit = unit
    hard.meta["SIMULATED"] = True
    hard.meta["SEED"] = x.meta.get("SEED", sky.config.seed)
    return main, hard


def _skytile(ra_deg: np.ndarray, dec_deg: np.ndarray) -> np.ndarray:
    """An eRASS sky-tile-like number: three digits of RA, three of the distance from the north pole."""
    return (np.round(ra_deg).astype(np.int64) % 360) * 1000 + np.round(90.0 - dec_deg).astype(np.int64)

