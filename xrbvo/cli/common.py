"""Options and printing shared by the sub-commands (parsing only; the work is in :mod:`xrbvo.workflows`)."""

from __future__ import annotations

import argparse
import os

__all__ = ["add_policy_arguments", "policy_from_args", "print_analysis", "pairs", "parse_boost", "plain_name",
           "MAX_NAME_BYTES"]

#: Longest base name of output files (UTF-8 bytes): file systems take 255, suffixes such as
#: ``_counterparts.fits`` need the rest.
MAX_NAME_BYTES = 200


def plain_name(name: str, option: str = "--name") -> str:
    """Check that ``name`` is a plain file name (the base name of outputs), or raise one InputError.

    A plain name has no path separator, is not ``.`` or ``..``, does not start
    with ``-`` (it would read as an option) or ``.`` (a hidden file, where
    xrbvo keeps its temporaries and lock), has no control characters and is at
    most :data:`MAX_NAME_BYTES` bytes long.
    """
    from xrbvo.core.errors import InputError

    seps = {"/", "\\", os.sep} | ({os.altsep} if os.altsep else set())
    if not name or name.strip() != name:
        problem = "is empty" if not name.strip() else "starts or ends with white space"
    elif any(c in seps for c in name):
        problem = "holds a path separator"
    elif name.startswith("-"):
        problem = "starts with '-'"
    elif name.startswith("."):
        problem = "starts with '.'"
    elif any(ord(c) < 32 or ord(c) == 127 for c in name):
        problem = "holds a control character"
    elif len(name.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
        problem = f"is longer than {MAX_NAME_BYTES} bytes"
    else:
        return name
    raise InputError(f"{option} {name!r} {problem}: give a plain file name such as xrbvo_catalogue (the "
                     "directory goes in --out)")


def add_policy_arguments(p: argparse.ArgumentParser, *, em: bool = False) -> None:
    """The science-policy options, the same for every command that classifies."""
    p.add_argument("--field-priors", default="auto",
                   choices=("auto", "model", "training", "uniform") + (("em",) if em else ()),
                   help="class priors of the field (for P_<class>_field, the most probable class and each "
                        "candidate's expected purity; the cuts always apply to P_<class> at the model's selection "
                        "priors): auto = xrbvo's population model at |b| < 10 deg for a blind survey (eRASS1, the "
                        "simulated sky), the model's own mix for a targeted sample (Chandra pointings) and "
                        "elsewhere; model = the population model for every source; training = the model's mix"
                        + ("; em = estimated from the sources themselves (Saerens et al. 2002)" if em else ""))
    p.add_argument("--prior", action="append", default=[], metavar="CLASS=SHARE",
                   help="class prior of the field (repeatable; overrides --field-priors; classes not named are "
                        "filled from the model's mix, scaled to the share left)")
    p.add_argument("--sample", default="auto", choices=("auto", "survey", "targeted"),
                   help="what the sources are: a blind flux-limited survey or a targeted sample (auto: decided "
                        "from the input and printed)")
    p.add_argument("--flux-limit", type=float, default=None, metavar="FLUX",
                   help="0.2-2.3 keV flux limit (erg/cm2/s) for the population model (default: the X-ray "
                        "survey's depth, else the sample's 5th percentile)")


def policy_from_args(args):
    from xrbvo.workflows.policy import SciencePolicy, parse_priors

    pol = SciencePolicy(field_priors=args.field_priors, priors=parse_priors(args.prior), sample=args.sample,
                        flux_limit=args.flux_limit)
    pol.validate()
    return pol


def print_analysis(ui, analysis, paths) -> None:
    """The summary every command that runs the workflow prints."""
    s = analysis.summary()
    c = s["candidates"]
    ui.out.print(f"{s['n_sources']} sources, {sum(c.values())} X-ray-binary candidates "
                 f"({c.get('HMXB', 0)} HMXB, {c.get('LMXB', 0)} LMXB)")
    for k in ("HMXB", "LMXB"):
        v = s.get(f"{k}_expected_true")
        if c.get(k) and v == v:
            ui.out.print(f"  expected true {k} among them at the field's priors: {v:.1f}")
    if s["no_coverage"]:
        ui.out.print(f"{s['no_coverage']} sources have no neighbour in any survey (coverage=False; never candidates)")
    ui.out.print(s["policy"], soft_wrap=True)
    for note in s["notes"]:
        ui.out.print(f"note: {note}", soft_wrap=True)
    for k, v in paths.items():
        ui.out.print(f"  {k:<18} {v}")


def pairs(items, what) -> dict[str, str]:
    """``KEY=VALUE`` options as a dict (one clear error for anything else)."""
    from xrbvo.core.errors import InputError

    out = {}
    for it in items:
        if "=" not in it:
            raise InputError(f"{what} {it!r}: write KEY=VALUE")
        k, v = it.split("=", 1)
        out[k.strip()] = v.strip()
    return out


#: Largest injection factor a simulated sky accepts (larger ones exhaust memory, not tell more).
MAX_BOOST = 1000.0


def parse_boost(items) -> dict[str, float] | None:
    """``--boost CLASS=FACTOR`` options (checked: known class, 0 <= FACTOR <= :data:`MAX_BOOST`)."""
    import math

    from xrbvo.core.errors import InputError
    from xrbvo.core.schema import CLASSES

    if items is None:
        return None
    out = {}
    for it in items:
        if "=" not in it:
            raise InputError(f"--boost {it!r}: write CLASS=FACTOR, e.g. HMXB=10")
        k, v = it.split("=", 1)
        k = k.strip().upper()
        if k not in CLASSES:
            raise InputError(f"--boost {it!r}: unknown class {k}; classes are {', '.join(CLASSES)}")
        try:
            out[k] = float(v)
        except ValueError:
            raise InputError(f"--boost {it!r}: FACTOR must be a number") from None
        if not (math.isfinite(out[k]) and 0 <= out[k] <= MAX_BOOST):
            raise InputError(f"--boost {it!r}: FACTOR must be between 0 and {MAX_BOOST:g}")
    return out
