"""Class-aware counterparts versus NWAY-style counterparts on simulated Galactic-plane fields.

Usage::

    python benchmarks/counterparts.py [--fields 0,1,3] [--seed 500]

Trains both modes on the demo's training skies (seeds 1001-1003), then, on
fields at b = 0, 1 and 3 deg with seeds the training never saw, prints side by
side for ``nway`` (positional plus magnitude priors learnt from all sources) and
``joint``: the share of HMXBs, LMXBs and AGN whose chosen counterpart is not the
true one, and HMXB/LMXB completeness and purity at each mode's cuts.

Each field is run as ``xrbvo run`` runs one (:func:`xrbvo.workflows.analyse`,
the models as an in-memory :class:`~xrbvo.workflows.ModelBundle`) with the
field's own (injected) class mix given as its priors
(``SciencePolicy(priors=sky.class_priors(boosted=True))``).  Under the science
policy that mix is the *field* prior: it sets ``P_<class>_field`` and
``predicted_class``, and so which class's counterpart ``joint`` picks (the
most probable class at the field priors).  Candidates (C / P) are chosen as
every run chooses them: each mode's cuts on ``P_<class>`` at the *selection*
priors, the training skies' unboosted mix the cuts were chosen at.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from rich.console import Console
from rich.table import Table as RichTable


def main(argv=None) -> int:
    from xrbvo.workflows.demo import DEMO_BOOST, _plane_fields as _training_fields  # the plane skies
    from xrbvo.io import standardise_xray
    from xrbvo.stages.classify.train import fit_with_cuts
    from xrbvo.pipeline import PipelineConfig
    from xrbvo.workflows import ModelBundle, SciencePolicy, analyse
    from xrbvo.workflows.training import train_joint, training_set_from_sky
    from xrbvo.stages.neighbourhoods.sim import SimProvider
    from xrbvo.sim import SkyConfig, simulate_sky

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fields", default="0,1,3", help="latitudes of the test fields (deg)")
    ap.add_argument("--seed", type=int, default=500, help="first seed of the test fields")
    ap.add_argument("--width", type=float, default=8.0, help="test field width (deg)")
    args = ap.parse_args(argv)
    con = Console()
    t0 = time.perf_counter()
    skies = [simulate_sky(f) for f in _training_fields(1000)]
    nway_cfg = PipelineConfig(counterparts="nway")
    joint_cfg = PipelineConfig(counterparts="joint")
    ts = training_set_from_sky(skies, nway_cfg)
    nway_model, nway_meta = fit_with_cuts(ts)
    j_src, j_ctpt, j_meta = train_joint(skies, joint_cfg)
    con.print(f"training both modes: {time.perf_counter() - t0:.0f} s")
    bundles = {"nway": ModelBundle(nway_model, nway_meta, None), "joint": ModelBundle(j_src, j_meta, j_ctpt)}
    con.print(f"cuts nway {nway_meta['cuts']}  joint {j_meta['cuts']} (on P_<class> at the selection priors)")

    rows = []
    for k, b in enumerate(float(x) for x in args.fields.split(",")):
        cfg = SkyConfig(l_deg=300.0 + 10 * k, b_deg=b, width_deg=args.width, height_deg=2.0,
                        class_boost=dict(DEMO_BOOST), seed=args.seed + k)
        sky = simulate_sky(cfg)
        xr = standardise_xray(sky.xray)
        priors = sky.class_priors(boosted=True)
        truth = sky.truth
        true = np.asarray(truth["true_class"]).astype(str)
        for mode, pcfg in (("nway", nway_cfg), ("joint", joint_cfg)):
            bundle = bundles[mode]
            # the field's own mix, every class of the model named (0 where the sky has none), as the field priors
            policy = SciencePolicy(priors={c: float(priors.get(c, 0.0)) for c in bundle.classes})
            t1 = time.perf_counter()
            cat = analyse(xr, SimProvider(sky), bundle, policy, config=pcfg).catalogue
            dt = time.perf_counter() - t1
            ok = np.ones(len(cat), bool)
            for s in ("gaia", "2mass", "catwise"):
                ok &= np.asarray(cat[f"nid_{s}"]).astype(str) == np.asarray(truth[f"ctp_{s}"]).astype(str)
            ok_g = np.asarray(cat["nid_gaia"]).astype(str) == np.asarray(truth["ctp_gaia"]).astype(str)
            cand = np.asarray(cat["candidate_class"]).astype(str)
            r = {"b": b, "mode": mode, "n": len(cat), "time_s": dt}
            for c in ("HMXB", "LMXB", "AGN"):
                m = true == c
                r[f"{c}_n"] = int(m.sum())
                r[f"{c}_wrong"] = float(np.mean(~ok[m])) if m.any() else np.nan
                r[f"{c}_wrong_gaia"] = float(np.mean(~ok_g[m])) if m.any() else np.nan
            for c in ("HMXB", "LMXB"):
                tp = np.sum((cand == c) & (true == c))
                r[f"{c}_comp"] = tp / max(np.sum(true == c), 1)
                r[f"{c}_pur"] = tp / np.sum(cand == c) if np.any(cand == c) else np.nan
            rows.append(r)

    def f(x):
        return "n/a" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{x:.2f}"

    t = RichTable(title="Counterparts and candidates: nway vs joint (simulated plane fields, unseen seeds)")
    for h in ("b", "mode", "N", "HMXB wrong ctp", "LMXB wrong ctp", "AGN wrong ctp", "HMXB wrong Gaia",
              "HMXB C / P", "LMXB C / P", "run s"):
        t.add_column(h, justify="right")
    for r in rows:
        t.add_row(f"{r['b']:g}", r["mode"], str(r["n"]),
                  f"{f(r['HMXB_wrong'])} ({r['HMXB_n']})", f"{f(r['LMXB_wrong'])} ({r['LMXB_n']})",
                  f"{f(r['AGN_wrong'])} ({r['AGN_n']})", f(r["HMXB_wrong_gaia"]),
                  f"{f(r['HMXB_comp'])} / {f(r['HMXB_pur'])}", f"{f(r['LMXB_comp'])} / {f(r['LMXB_pur'])}",
                  f"{r['time_s']:.1f}")
    con.print(t)
    # totals over fields
    tot = RichTable(title="All fields together")
    for h in ("mode", "XRB wrong ctp", "HMXB wrong", "LMXB wrong", "AGN wrong", "HMXB C / P", "LMXB C / P"):
        tot.add_column(h, justify="right")
    for mode in ("nway", "joint"):
        rs = [r for r in rows if r["mode"] == mode]

        def wavg(key, c):
            n = sum(r[f"{c}_n"] for r in rs)
            return sum(r[key] * r[f"{c}_n"] for r in rs if not np.isnan(r[key])) / max(n, 1)

        n_h = sum(r["HMXB_n"] for r in rs)
        n_l = sum(r["LMXB_n"] for r in rs)
        xrb = (wavg("HMXB_wrong", "HMXB") * n_h + wavg("LMXB_wrong", "LMXB") * n_l) / max(n_h + n_l, 1)
        tot.add_row(mode, f(xrb), f(wavg("HMXB_wrong", "HMXB")), f(wavg("LMXB_wrong", "LMXB")),
                    f(wavg("AGN_wrong", "AGN")),
                    f"{f(wavg('HMXB_comp', 'HMXB'))} / {f(np.nanmean([r['HMXB_pur'] for r in rs]))}",
                    f"{f(wavg('LMXB_comp', 'LMXB'))} / {f(np.nanmean([r['LMXB_pur'] for r in rs]))}")
    con.print(tot)
    con.print("wrong ctp: the chosen combination (Gaia, 2MASS, CatWISE ids, 'none' included) differs from the "
              "truth (joint: the counterpart of predicted_class, the most probable class at the field priors, "
              "i.e. the field's injected mix); C / P: completeness / purity of the candidates at each mode's cuts, "
              "applied to P_<class> at the selection priors (the unboosted mix the cuts were chosen at)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
