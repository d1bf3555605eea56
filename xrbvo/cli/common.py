"""Options and printing shared by the sub-commands (parsing only; the work is in :mod:`xrbvo.workflows`)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from xrbvo.core.text import one_line

__all__ = ["add_association_arguments", "add_policy_arguments", "policy_from_args", "print_analysis", "pairs",
           "parse_boost", "plain_name", "MAX_NAME_BYTES", "add_known_arguments", "known_from_args", "print_known",
           "print_policy", "print_purity", "plural", "add_columns_argument", "parse_columns_option", "columns_from_args",
           "add_release_arguments", "read_xray_from_args", "select_region_rows", "xray_service"]

#: How many known X-ray binaries that are not candidates the summary lists (the report lists all).
MAX_MISSED_LINES = 15

#: Longest base name of output files (UTF-8 bytes): file systems take 255, suffixes such as
#: ``_counterparts.fits`` need the rest.
MAX_NAME_BYTES = 200


def plain_name(name: str, option: str = "--name") -> str:
    """Check that ``name`` is a plain file name (the base name of outputs), or raise one InputError.

    A plain name has no path separator, is not ``.`` or ``..``, does not start
    with ``-`` (it would read as an option) or ``.`` (a hidden file, where
    xrbvo keeps its temporaries and lock), has no control characters and is at
    most :data:`MAX_NAME_BYTES` bytes long.

    Parameters
    ----------
    name : str
        The name to check.
    option : str, optional
        The option that gave ``name``, named in the error message.

    Returns
    -------
    str
        ``name`` unchanged.
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


def add_association_arguments(p: argparse.ArgumentParser) -> None:
    """``--radius`` and ``--false-rate``: the counterpart search and its calibrated p_any cut.

    Parameters
    ----------
    p : argparse.ArgumentParser
        The command's parser.
    """
    p.add_argument("--radius", type=float, default=20.0, help="counterpart search radius (arcsec)")
    p.add_argument("--false-rate", type=float, default=0.05, metavar="RATE",
                   help="false-association rate of the p_any cut, measured on the run's X-ray positions moved "
                        "2-5 arcmin away (Salvato et al. 2018); a source below the cut is classified as one "
                        "without a counterpart; between 0 and 0.5 (default 0.05)")


def add_policy_arguments(p: argparse.ArgumentParser, *, em: bool = False) -> None:
    """The science-policy options, the same for every command that classifies.

    Parameters
    ----------
    p : argparse.ArgumentParser
        The command's parser.
    em : bool, optional
        Offer ``--field-priors em`` (priors estimated from the sources; ``classify`` only).
    """
    p.add_argument("--field-priors", default="auto",
                   choices=("auto", "model", "training", "uniform", "source") + (("em",) if em else ()),
                   help="class priors of the field (for P_<class>_field, the most probable class and each "
                        "candidate's expected purity): auto = for a blind survey (eRASS1, the simulated sky) each "
                        "source its own priors, the population model's class mix at its flux on its sight line; "
                        "for a targeted sample (Chandra pointings) the model's own mix; source = the same as auto "
                        "for a blind survey; model = one population-model mix per field at |b| < 10 deg (policy 2's "
                        "default); training = the model's mix"
                        + ("; em = estimated from the sources themselves (Saerens et al. 2002)" if em else ""))
    p.add_argument("--prior", action="append", default=[], metavar="CLASS=SHARE",
                   help="class prior of the field (repeatable; overrides --field-priors; classes not named are "
                        "filled from the model's mix, scaled to the share left)")
    p.add_argument("--sample", default="auto", choices=("auto", "survey", "targeted"),
                   help="what the sources are: a blind flux-limited survey or a targeted sample (auto: decided "
                        "from the input and printed)")
    p.add_argument("--min-purity", default="auto", metavar="X",
                   help="blind surveys: a candidate's own posterior for its class at its own field priors "
                        "(P_<class>_field) must be at least X, in (0, 1] (auto: 0.5; off: the cuts at the model's "
                        "selection priors, policy 2); targeted samples keep the cuts")
    p.add_argument("--no-counterpart", default="auto", choices=("auto", "evidence", "off"),
                   help="a source without any counterpart: its priors times the population model's probability "
                        "of finding none for each class at its flux on its sight line (evidence; auto: for a "
                        "blind survey) or not (off)")
    p.add_argument("--flux-limit", type=float, default=None, metavar="FLUX",
                   help="0.2-2.3 keV flux limit (erg/cm2/s) for the population model (default: the X-ray "
                        "survey's depth, else the sample's 5th percentile)")


#: The keys ``--columns`` takes (the same as :data:`xrbvo.io.xray.COLUMN_KEYS`; spelt here so that help
#: needs no numpy; tests/cli/test_cli_columns.py checks they agree).
COLUMN_KEYS_HELP = "xid, ra, dec, pos_err, flux_soft, flux_soft_err, flux_hard, flux_hard_err"


def add_columns_argument(p: argparse.ArgumentParser) -> None:
    """``--columns KEY=COL,...``: which column of the X-ray table holds each of xrbvo's standard quantities.

    Parameters
    ----------
    p : argparse.ArgumentParser
        The command's parser.
    """
    p.add_argument("--columns", default=None, metavar="KEY=COL,...",
                   help=f"the X-ray table's own column for each of xrbvo's standard names ({COLUMN_KEYS_HELP}), e.g. "
                        "xid=1eRASS,ra=RAJ2000,dec=DEJ2000,pos_err=e_pos,flux_soft=Flux; keys not given are "
                        "recognised by name (eRASS1 as released, at VizieR and HEASARC; 4XMM, CSC, Swift). pos_err is "
                        "a 1-sigma error per coordinate (arcsec unless the column has a unit) unless its name is a "
                        "known one (Err90: a 90%% radius, RADEC_ERR: radial); every input column is kept in the "
                        "catalogue (docs/usage.md)")


def parse_columns_option(text: str | None) -> dict[str, str]:
    """The ``--columns`` text as standard name -> column (empty for None); one InputError for anything wrong.

    Parameters
    ----------
    text : str or None
        The option's text, None when it was not given.

    Returns
    -------
    dict[str, str]
        Standard name -> the table's column (:func:`xrbvo.io.xray.parse_column_map`).
    """
    if text is None:
        return {}
    from xrbvo.io.xray import parse_column_map

    return parse_column_map(text, option="--columns")


def columns_from_args(args, table, source: str):
    """``table`` with the ``--columns`` mapping checked against it and recorded
    (:func:`xrbvo.io.xray.apply_column_map`); ``table`` itself when the option is not given.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line (its ``columns``, if any).
    table : astropy.table.Table
        The X-ray table as read.
    source : str
        Name of the input, used in messages.

    Returns
    -------
    astropy.table.Table
        ``table`` with the mapping recorded, or ``table`` itself.
    """
    mapping = parse_columns_option(getattr(args, "columns", None))
    if not mapping:
        return table
    from xrbvo.io.xray import apply_column_map

    return apply_column_map(table, mapping, source=source, option="--columns")


def add_known_arguments(p: argparse.ArgumentParser) -> None:
    """``--known`` and ``--known-class``: the catalogues of known objects for "known or new".

    Parameters
    ----------
    p : argparse.ArgumentParser
        The command's parser.
    """
    p.add_argument("--known", action="append", default=[], metavar="FILE|SERVICE:TABLE",
                   help="catalogue of known objects to cross-match within the error circles (repeatable): a table "
                        "file with a name and RA/Dec (degrees or sexagesimal), e.g. the HMXB/LMXB/CV catalogues; "
                        "or a TAP service's table, fetched whole and cached: vizier:J/A+A/671/A149/table1, "
                        "URL:SCHEMA.TABLE, or simbad (SIMBAD's X-ray binaries, CVs, pulsars and WR stars); "
                        "adds known_name, known_class, known_sep, known_prob, known_match and new to the catalogue")
    p.add_argument("--known-class", default=None, metavar="CLASS",
                   help="class of every object of the --known catalogues (default: the catalogue's own: HMXB for "
                        "the HMXB catalogues, LMXB, CV, or a class/type column such as SIMBAD's otype)")


def add_release_arguments(p: argparse.ArgumentParser) -> None:
    """The options that choose which X-ray sources are read, the same for ``run`` and ``explore``: the eRASS1
    release's selection and Hard catalogue, and the sky region (:func:`read_xray_from_args` reads them).

    Parameters
    ----------
    p : argparse.ArgumentParser
        The command's sub-parser (``run`` or ``explore``).
    """
    from xrbvo.core.regions import REGION_SYNTAX

    p.add_argument("--hard", type=Path, default=None, metavar="FILE",
                   help="the eRASS1 Hard catalogue (eRASS1_Hard.fits): its 2.3-5 keV flux (ML_FLUX_3) is joined to "
                        "the Main sources strongly associated through UID_Hard; weak associations are flagged "
                        "(hard_assoc=weak) and get no hard flux")
    p.add_argument("--min-det-like", type=float, default=None, metavar="X",
                   help="eRASS1 Main: keep sources with DET_LIKE_0 >= X (default 6, the Main catalogue's own limit)")
    p.add_argument("--max-ext-like", type=float, default=None, metavar="X",
                   help="eRASS1 Main: keep sources with EXT_LIKE <= X (default 0: point-like sources only)")
    p.add_argument("--keep-flagged", action="store_true",
                   help="eRASS1 Main: keep sources with a spurious-source flag (FLAG_SP_SNR, _BPS, _SCL, _LGA, "
                        "_GC_CONS); by default they are removed")
    p.add_argument("--region", default=None, metavar="REGION",
                   help=f"keep only the sources in a sky region: {REGION_SYNTAX}; longitude ranges may wrap "
                        "through 360 (gal:350,10,-5,5); required when the sources come from a TAP service "
                        "(SERVICE:TABLE)")


def xray_service(given: str):
    """The TAP service and table that the X-ray argument names (``vizier:TABLE``, ``URL:TABLE``), or None
    for a file (:func:`xrbvo.vo.sources.parse_service_table`).

    Parameters
    ----------
    given : str
        The X-ray argument as the user wrote it.

    Returns
    -------
    xrbvo.vo.sources.ServiceTable or None
        The service and table; None when ``given`` is an existing file or names no service.
    """
    from xrbvo.vo.sources import parse_service_table

    if Path(given).exists():
        return None
    return parse_service_table(given, option="X-ray sources")


def read_xray_from_args(args, ui, given: str, *, table=None):
    """The X-ray sources named by ``given``, as ``run`` reads them (``explore`` reads them the same way).

    ``given`` is a table file, or ``SERVICE:TABLE`` with ``--region`` (the region's rows pulled through
    the TAP client, with ``--cache`` and ``--timeout`` when the command has them).  The columns of a
    service's copy of the eRASS1 Main catalogue are read as the release's
    (:func:`xrbvo.io.erass1.erass1_service_names`); an eRASS1 Main table is then selected
    (``--min-det-like``, ``--max-ext-like``, ``--keep-flagged``) and joined with ``--hard``, printing each
    cut.  The region itself is applied by the caller (:func:`select_region_rows`, on the standard columns).

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line (the options of :func:`add_release_arguments`; ``--cache`` and
        ``--timeout`` when the command has them).
    ui : xrbvo.cli._ui.UI
        The console that reports each cut and each pull.
    given : str
        The X-ray argument: a table file or ``SERVICE:TABLE``.
    table : astropy.table.Table, optional
        The file ``given`` already read.

    Returns
    -------
    astropy.table.Table
        The sources, selected and joined with ``--hard`` when they are an eRASS1 Main table, else as read.

    Raises
    ------
    InputError
        For a file that does not exist, a service without ``--region``, or release options given with a
        table that is not the eRASS1 Main catalogue.
    """
    from xrbvo.core.errors import InputError
    from xrbvo.io import Selection, is_erass1_main, read_release, read_table
    from xrbvo.io.erass1 import erass1_service_names

    given_opts = {k: v for k, v in (("--min-det-like", args.min_det_like), ("--max-ext-like", args.max_ext_like))
                  if v is not None}
    defaults = Selection()
    sel = Selection(min_det_like=defaults.min_det_like if args.min_det_like is None else args.min_det_like,
                    max_ext_like=defaults.max_ext_like if args.max_ext_like is None else args.max_ext_like,
                    drop_flagged=not args.keep_flagged)
    sel.validate()  # a bad value is one line, before any file is read
    service = xray_service(given) if table is None else None
    if table is not None:
        pass
    elif service is not None:
        table = _pull_xray(service, args, ui)
    elif not Path(given).exists():
        raise InputError(f"{given}: no such file; give an X-ray source table (FITS, VOTable, ECSV, CSV or Parquet) "
                         "or a TAP service's table as SERVICE:TABLE with --region (e.g. "
                         "vizier:J/A+A/682/A34/erass1-m --region gal:300,302,-1,1)")
    else:
        table = read_table(given)
    table = columns_from_args(args, table, str(given))  # --columns: the table's own names for xrbvo's keys
    if not is_erass1_main(table):
        names = erass1_service_names(table.colnames)
        renamed = _renamed(table, names) if names else table
        if is_erass1_main(renamed):  # a service's copy of the Main catalogue (VizieR, HEASARC names)
            table = renamed
    if not is_erass1_main(table):
        asked = [*given_opts, *(["--hard"] if args.hard else []), *(["--keep-flagged"] if args.keep_flagged else [])]
        if asked:
            raise InputError(f"{given}: {', '.join(asked)} apply to the eRASS1 Main catalogue as released "
                             "(columns RA, DEC, ML_FLUX_1, DET_LIKE_0, EXT_LIKE); this table is not one")
        return table
    table, report = read_release(table, args.hard, sel, source=str(given))
    for line in report.lines():
        ui.out.print(line, highlight=False)
    return table


def _renamed(table, names: dict):
    out = table.copy(copy_data=False)
    out.rename_columns(list(names), list(names.values()))
    return out


def _pull_xray(service, args, ui):
    """The rows of a service's table in ``--region`` (one line says what is pulled and how many came)."""
    from xrbvo.core.errors import InputError
    from xrbvo.core.regions import parse_region
    from xrbvo.vo.sources import fetch_region
    from xrbvo.vo.tap import TapClient

    if args.region is None:
        raise InputError(f"{service.spec}: X-ray sources from a TAP service are pulled region by region; give "
                         "--region (e.g. --region gal:300,302,-1,1)")
    region = parse_region(args.region)
    ui.info(f"{service.spec}: pulling the sources in {region} from {service.url}")
    with TapClient(service.url, cache=getattr(args, "cache", None), deadline_s=getattr(args, "timeout", None)) as c:
        table = fetch_region(service, region, client=c)
    ui.info(f"{service.spec}: {len(table)} sources in {region}")
    return table


def select_region_rows(table, region, source, ui):
    """The rows of ``table`` inside ``--region`` (one line says how many; none is an error).

    Parameters
    ----------
    table : astropy.table.Table
        The sources, in the standard columns (``ra``, ``dec``).
    region : str
        The ``--region`` text (:func:`xrbvo.core.regions.parse_region`).
    source : str
        Where the sources came from, in the message.
    ui : xrbvo.cli._ui.UI
        The console that reports how many are kept.

    Returns
    -------
    astropy.table.Table
        The rows inside the region.

    Raises
    ------
    InputError
        When no source lies in the region.
    """
    import numpy as np

    from xrbvo.core.errors import InputError
    from xrbvo.core.regions import parse_region

    r = parse_region(region)
    keep = r.contains(table["ra"], table["dec"])
    n = int(np.sum(keep))
    if n == 0:
        raise InputError(f"--region {r}: none of the {len(table)} sources of {source} lies in it; check the region "
                         "(gal: takes Galactic l and b, eq: ICRS ra and dec, in degrees)")
    ui.out.print(f"region {r}: {n} of {len(table)} sources kept", highlight=False)
    return table[keep]


def known_from_args(args, ui=None) -> list:
    """Read the ``--known`` catalogues: files (:func:`xrbvo.io.known.read_known`) or a TAP service's table
    (:func:`xrbvo.vo.known.fetch_known`, through ``--cache``/``--timeout`` when the command has them: the
    whole fetch ends within ``--timeout``, default :data:`xrbvo.vo.known.DEFAULT_TIMEOUT_S`); one clear error
    for anything wrong.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line (``--known``, ``--cache``, ``--timeout``).
    ui : xrbvo.cli._ui.UI, optional
        The console that reports what was read.

    Returns
    -------
    list of astropy.table.Table
        The known-objects tables, one per ``--known``, in the standard columns.
    """
    from pathlib import Path

    from xrbvo.io.known import read_known
    from xrbvo.vo.known import fetch_known, parse_known_service
    from xrbvo.vo.tap import TapClient

    out = []
    for item in args.known:
        p = Path(item)
        service = None if p.exists() else parse_known_service(item)
        shown = item if service is None else service.shown  # credentials in a URL are never shown
        if service is None:
            t = read_known(p, cls=args.known_class)
        else:
            if ui is not None:
                ui.info(f"--known {shown}: fetching {service.adql} from {service.shown_url}")
            timeout = getattr(args, "timeout", None)
            with TapClient(service.url, cache=getattr(args, "cache", None), deadline_s=timeout) as client:
                t = fetch_known(service, cls=args.known_class, client=client, timeout_s=timeout)
            if ui is not None:
                ui.info(f"--known {shown}: {len(t)} known objects")
        if ui is not None and t.meta.get("NDROPPED"):
            n = t.meta["NDROPPED"]
            ui.info(f"--known {shown}: {plural(n, 'row')} without a position skipped")
        if ui is not None and t.meta.get("NBADERR"):
            n = t.meta["NBADERR"]
            ui.info(f"--known {shown}: {plural(n, 'row')} with a NaN, zero or negative position error: "
                    "matched as if the catalogue gave none (the X-ray error and the 5\" floor)")
        out.append(t)
    return out


def policy_from_args(args):
    """The science policy of the options of :func:`add_policy_arguments`, checked.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line (``--field-priors``, ``--prior``, ``--sample``, ``--flux-limit``).

    Returns
    -------
    xrbvo.workflows.policy.SciencePolicy
        The user's choices.
    """
    from xrbvo.core.errors import InputError
    from xrbvo.workflows.policy import SciencePolicy, parse_priors

    mp = getattr(args, "min_purity", "auto")
    if mp is not None and str(mp).strip().lower() in ("auto", "off"):
        mp = str(mp).strip().lower()
    elif mp is not None:
        try:
            mp = float(mp)
        except ValueError:
            raise InputError(f"--min-purity {args.min_purity!r}: give a purity above 0 and at most 1, e.g. 0.5"
                             ) from None
    pol = SciencePolicy(field_priors=args.field_priors, priors=parse_priors(args.prior), sample=args.sample,
                        flux_limit=args.flux_limit, min_purity=mp,
                        no_counterpart=getattr(args, "no_counterpart", "auto"))
    pol.validate()
    return pol


def plural(n: int, word: str, many: str | None = None) -> str:
    """``n`` and ``word`` in the right number: ``1 source``, ``2 sources``, ``1 X-ray-binary candidate``.

    Parameters
    ----------
    n : int
        The number.
    word : str
        The noun in the singular.
    many : str, optional
        The plural when it is not ``word + "s"``.

    Returns
    -------
    str
        ``n`` and the noun, e.g. ``2 sources``.
    """
    return f"{n} {word if n == 1 else (many or word + 's')}"


def _share(v: float) -> str:
    """A prior in at most 6 characters: two significant digits (``0.0094``, ``0.67``; ``8e-04`` below 0.001)."""
    return f"{v:.0e}" if 0 < v < 1e-3 else f"{v:.2g}"


def print_policy(ui, policy, bundle) -> None:
    """The science policy on the console: the line saying which field priors apply, every class prior
    (selection and field, one compact table) and the candidate cuts with the rule that chose them.

    Parameters
    ----------
    ui : xrbvo.cli._ui.UI
        The console to print to.
    policy : xrbvo.workflows.policy.ResolvedPolicy
        The policy the classification used.
    bundle : xrbvo.workflows.ModelBundle
        The model whose cuts apply.
    """
    import numpy as np

    from xrbvo.core.schema import CLASSES

    ui.out.print(policy.summary(), soft_wrap=True)
    classes = [c for c in CLASSES if c in policy.classes] + [c for c in policy.classes if c not in CLASSES]
    rows = [("class priors", classes, "")]
    rows.append(("selection", [policy.selection_priors.get(c, float("nan")) for c in classes], "the cuts apply here"))
    fp = np.asarray(policy.field_priors, float)
    own = policy.mode == "source"  # each source its own priors; the field's mix only for those without a flux
    if policy.field_mix:
        rows.append(("fallback" if own else "field", [policy.field_mix.get(c, float("nan")) for c in classes],
                     f"the field's mix for {plural(policy.n_fallback, 'source')} without a usable flux or position"
                     if own else plural(policy.n_shifted, "source")))
    if fp.ndim == 2 and len(fp) and fp.shape[1] == len(policy.classes) and (not policy.field_mix or own
                                                                           or policy.n_shifted < len(fp)):
        mean = dict(zip(policy.classes, fp.mean(axis=0)))
        rows.append(("field, mean", [mean[c] for c in classes], f"over all {plural(len(fp), 'source')}"))
    for label, values, note in rows:
        cells = "".join(f"{v if isinstance(v, str) else _share(v):>7}" for v in values)
        ui.out.print(f"{label:<12}{cells}" + (f"  ({note})" if note else ""), highlight=False, soft_wrap=True)
    if getattr(policy, "no_counterpart_share", None) is not None:
        ui.out.print("no counterpart: evidence; a source without any counterpart gets the population model's "
                     "P(none | class, flux, sight line) over the model's training share in its priors "
                     "(--no-counterpart off leaves it out)", soft_wrap=True, highlight=False)
    cuts = bundle.cuts
    if cuts and policy.min_purity is not None:
        ui.out.print(f"candidates: a class with a cut ({', '.join(cuts)}) whose P_<class>_field at the source's own "
                     f"field priors is >= {policy.min_purity:g} (--min-purity), never without coverage",
                     soft_wrap=True, highlight=False)
    elif cuts:
        how = dict(bundle.metadata.get("selection") or {}).get("method")
        ui.out.print("candidate cuts: " + ", ".join(f"P_{k} >= {v:.3g}" for k, v in cuts.items())
                     + " at the selection priors; a source is a candidate of the most probable class above its cut, "
                       "never without coverage" + (f" (cuts chosen on {how})" if how else ""), soft_wrap=True,
                     highlight=False)


def print_purity(ui, meta) -> None:
    """With ``--min-purity``: the expected true X-ray binaries among the candidates beside the census's expectation
    for the input's sky cells, and one warning line when the candidates outnumber it more than three times.

    Parameters
    ----------
    ui : xrbvo.cli._ui.UI
        The console to print to.
    meta : mapping
        The output's header (:func:`xrbvo.workflows.policy.purity_figures`); nothing is printed without it.
    """
    from xrbvo.workflows.policy import CENSUS_EXCESS

    if "NEXPXRB" not in meta:
        return
    n, exp = int(meta["NCANDXRB"]), float(meta["NEXPXRB"])
    line = (f"{plural(n, 'X-ray-binary candidate')} at --min-purity {float(meta['MINPUR']):g}: {exp:.1f} expected "
            f"true (sum of their expected purity; per class {meta['EXPPUR']})")
    cen = meta.get("NCENXRB")
    if cen is not None:
        line += (f"; the population model expects {float(cen):.1f} X-ray binaries detectable in the input's "
                 f"{float(meta['CENSCELL']):.0f} deg2 of 1-deg cells at {float(meta['FLUXLIM']):.2g} erg/cm2/s")
    ui.out.print(line, soft_wrap=True, highlight=False)
    if cen is not None and n > CENSUS_EXCESS * float(cen):
        ui.warn(f"{n} X-ray-binary candidates are more than {CENSUS_EXCESS:g}x the {float(cen):.1f} the population "
                "model expects in this sky: most are likely false; raise --min-purity or check the priors")


def print_analysis(ui, analysis, paths) -> None:
    """The summary every command that runs the workflow prints.

    Parameters
    ----------
    ui : xrbvo.cli._ui.UI
        The console to print to.
    analysis : xrbvo.workflows.Analysis
        What :func:`xrbvo.workflows.analyse` returned.
    paths : mapping or list of Path
        The files written, listed after the summary.
    """
    from xrbvo.core.schema import XRB_CLASSES

    s = analysis.summary()
    c = s["candidates"]
    ui.out.print(f"{plural(s['n_sources'], 'source')}, "
                 f"{plural(sum(c.values()), 'X-ray-binary candidate')} "
                 f"({c.get('HMXB', 0)} HMXB, {c.get('LMXB', 0)} LMXB)")
    for k in XRB_CLASSES:
        v = s.get(f"{k}_expected_true")
        if c.get(k) and v == v:
            ui.out.print(f"  expected true {k} among them at the field's priors: {v:.1f}")
    a = s.get("association")
    if a:
        if a["method"] == "shifted":
            how = (f"false-association rate {a['false_rate']:.3f} measured on {a['n_positions']} moved positions "
                   f"(target {a['target']:g})")
        elif a["method"] == "fallback":
            how = f"not calibrated ({one_line(a['note'])}): the fallback cut"
        else:
            how = "the cut given"
        ui.out.print(f"associations: {a['associated']} of {s['n_sources']} sources with p_any >= {a['cut']:.3g}, "
                     f"{how}; the others are classified as without a counterpart", soft_wrap=True)
    if s["no_coverage"]:
        n = s["no_coverage"]
        ui.out.print(f"{plural(n, 'source')} {'has' if n == 1 else 'have'} no neighbour in any survey "
                     "(coverage=False; never candidates)")
    print_policy(ui, analysis.policy, analysis.bundle)
    print_purity(ui, analysis.catalogue.meta)
    for note in s["notes"]:
        ui.out.print(f"note: {note}", soft_wrap=True)
    if "known" in s:
        print_known(ui, s["known"])
    for k, v in paths.items():
        ui.out.print(f"  {k:<18} {v}")


def print_known(ui, known) -> None:
    """Known and new candidates per class, and the known X-ray binaries that are not candidates.

    Parameters
    ----------
    ui : xrbvo.cli._ui.UI
        The console to print to.
    known : xrbvo.workflows.known.KnownSummary
        The known and new candidates.
    """
    from xrbvo.workflows.known import MAX_KNOWN_ERR_ARCSEC

    parts = []
    for c, n in known.counts.items():
        wrong = {k: v for k, v in n["known_as"].items() if k != c}
        extra = f" (known as {', '.join(f'{k} {v}' for k, v in wrong.items())})" if wrong else ""
        maybe = f" ({n['possibly_known']} possibly known)" if n.get("possibly_known") else ""
        parts.append(f"{c} {n['known']} known{extra}, {n['new']} new{maybe}")
    ui.out.print("known or new among the candidates: " + "; ".join(parts), soft_wrap=True)
    if getattr(known, "set_aside", 0):
        ui.out.print(f"note: {known.set_aside} known objects with a positional error over "
                     f"{MAX_KNOWN_ERR_ARCSEC / 60:g}' were not matched (too poorly localised to tell which source "
                     "they are)", soft_wrap=True)
    if known.missed:
        ui.out.print(f"known X-ray binaries in the field that are not candidates: {len(known.missed)}")
        for m in known.missed[:MAX_MISSED_LINES]:
            p = f", P_{m.known_class} {m.p:.3g}" if m.p == m.p else ""
            name, cls, xid = one_line(m.name), one_line(m.known_class), one_line(m.xid or "-")
            ui.out.print(f"  {name:<24} {cls:<5} {xid:<26} {m.reason}{p}", highlight=False)
        if len(known.missed) > MAX_MISSED_LINES:
            ui.out.print(f"  ... and {len(known.missed) - MAX_MISSED_LINES} more (report/index.html lists them all)")


def pairs(items, what) -> dict[str, str]:
    """``KEY=VALUE`` options as a dict (one clear error for anything else).

    Parameters
    ----------
    items : sequence of str
        The ``KEY=VALUE`` items as given on the command line.
    what : str
        The option's name and form for the error message, e.g. ``--boost CLASS=FACTOR``.

    Returns
    -------
    dict[str, str]
        Key -> value, as text.
    """
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
    """``--boost CLASS=FACTOR`` options (checked: known class, 0 <= FACTOR <= :data:`MAX_BOOST`).

    Parameters
    ----------
    items : sequence of str
        The ``KEY=VALUE`` items as given on the command line.

    Returns
    -------
    dict[str, float] | None
        Class -> injection factor; None when no ``--boost`` was given.
    """
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
