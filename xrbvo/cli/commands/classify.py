"""``xrbvo classify``: class probabilities, candidates and explanations for any table of sources."""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "classify"
HELP = "classify the sources of a table with a trained model (probabilities, candidates, explanations)"
DESCRIPTION = """Read FILE (a table with the feature columns, such as an xrbvo catalogue, or a Chandra
Source Catalog table with Gaia/2MASS/WISE photometry), compute the features (Galactic N_H from HI4PI),
and write --out with P_<class> for every class, the most probable class, the HMXB/LMXB candidate flag
from the model's cuts, and the three features that pushed the most probable class most. When FILE
carries a published classification (Class, P_<class>, True_Class), the agreement is printed.

The science policy is that of `xrbvo run` (docs/usage.md): the candidate cuts apply to P_<class> at
the model's selection priors, where they were chosen; P_<class>_field, the most probable class and
each candidate's expected purity are at the field's class priors. With --field-priors auto (the
default) a blind survey (an xrbvo catalogue of eRASS1 sources) gets xrbvo's population model at
|b| < 10 deg, and a targeted sample (a Chandra Source Catalog table such as the labelled set or the
H.E.S.S. field) the model's own class mix; the choice is printed. 'em' estimates the field's mix from
the sources themselves (Saerens et al. 2002; it trusts the classifier on the field and can amplify a
domain shift), 'model' takes the population model for every source, 'training' the model's mix."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    from xrbvo.cli.common import add_columns_argument, add_policy_arguments

    p.add_argument("--model", type=Path, required=True, help="model directory written by `xrbvo train` or `xrbvo demo`")
    p.add_argument("file", type=Path, help="table of sources to classify")
    p.add_argument("--out", type=Path, required=True, help="output table (.fits, .vot, .ecsv, .csv, .parquet)")
    p.add_argument("--uniform-priors", action="store_true",
                   help="field probabilities at uniform class priors (same as --field-priors uniform)")
    add_policy_arguments(p, em=True)
    add_columns_argument(p)


#: The ``--columns`` keys classify takes: its photometry and fluxes are the labelled layouts' own columns.
CLASSIFY_KEYS = ("xid", "ra", "dec")


def check_columns(text) -> dict:
    """The ``--columns`` mapping of classify, its keys checked (before any work).

    Parameters
    ----------
    text : str or None
        The ``--columns`` option.

    Returns
    -------
    dict
        Key -> column (empty without the option).
    """
    from xrbvo.cli.common import parse_columns_option
    from xrbvo.core.errors import InputError

    mapping = parse_columns_option(text)
    other = [k for k in mapping if k not in CLASSIFY_KEYS]
    if other:
        raise InputError(f"--columns {other[0]}=...: classify maps only {', '.join(CLASSIFY_KEYS)} (its photometry "
                         "and fluxes are read from the labelled layouts' own columns, docs/usage.md)")
    return mapping


def rename_columns(table, text, source: str):
    """``table`` with the columns ``--columns`` names renamed to ``xid``, ``ra`` and ``dec`` (one line for anything wrong).

    Parameters
    ----------
    table : astropy.table.Table
        The table as read.
    text : str or None
        The ``--columns`` option.
    source : str
        Name of the input, used in messages.

    Returns
    -------
    astropy.table.Table
        The table, its mapped columns renamed (``table`` itself without the option).
    """
    from xrbvo.core.errors import InputError
    from xrbvo.io.xray import apply_column_map

    mapping = check_columns(text)
    if not mapping:
        return table
    apply_column_map(table, mapping, source=source, option="--columns")  # checks: columns exist, numbers, once each
    out = table.copy(copy_data=False)
    for key, col in mapping.items():
        if col == key:
            continue
        if key in out.colnames:
            raise InputError(f"--columns {key}={col}: {source} already has a column {key!r}; map that one or "
                             "rename it")
        out.rename_column(col, key)
    return out


def run(args, ui) -> int:
    import numpy as np
    from rich.table import Table as RichTable

    from xrbvo.cli.common import plural, policy_from_args, print_policy, print_purity
    from xrbvo.core.errors import InputError
    from xrbvo.io import FORMATS, check_writable, output_lock, read_table, write_table
    from xrbvo.workflows import ModelBundle
    from xrbvo.workflows.classify import classify_table
    from xrbvo.workflows.labelled import published_comparison

    check_columns(args.columns)  # before the model is read
    if not any(str(args.out).lower().endswith(sfx) for sfx in FORMATS):
        raise InputError(f"--out {args.out}: give a file name ending in .fits, .vot, .ecsv, .csv or .parquet")
    if args.uniform_priors:
        if args.field_priors not in ("auto", "uniform") or args.prior:
            raise InputError("--uniform-priors cannot be combined with --field-priors or --prior")
        args.field_priors = "uniform"
    policy = policy_from_args(args)
    bundle = ModelBundle.load(args.model)
    check_writable(Path(args.out).parent)
    with output_lock(Path(args.out).parent, "classify"):  # one writer per directory
        with ui.progress():
            st = ui.stage("classifying")
            st("reading", 0.05)
            t = rename_columns(read_table(args.file), args.columns, str(args.file))
            res = classify_table(t, bundle, policy, source=str(args.file), progress=st)
        out = res.table
        write_table(out, args.out)
    classes = list(bundle.classes)
    cuts = bundle.cuts
    pred = res.predicted
    cand = np.asarray(out["candidate_class"]).astype(str)
    s = RichTable(title=f"xrbvo classify: {plural(len(t), 'source')} ({res.layout} layout)")
    s.add_column("class")
    s.add_column("most probable", justify="right")
    s.add_column("candidates (P >= cut)", justify="right")
    s.add_column("expected true among candidates", justify="right")
    ep = np.asarray(out["expected_purity"], float)
    for c in classes:
        sel = cand == c
        exp = f"{np.nansum(ep[sel]):.1f}" if c in cuts and sel.any() and np.isfinite(ep[sel]).any() else ""
        s.add_row(c, str(int(np.sum(pred == c))), f"{int(sel.sum())} (cut {cuts[c]:.2f})" if c in cuts else "", exp)
    ui.out.print(s)
    cmp = published_comparison(t, pred)
    if cmp:
        ui.out.print(f"agreement with the published classes: {cmp['agreement']:.2f} of {cmp['n']} sources"
                     + (f"; {cmp['agreement_published_confident']:.2f} of the {cmp['n_published_confident']} with "
                        f"published Class_prob >= 0.7" if "n_published_confident" in cmp else ""))
        if cmp.get("n_true"):
            ui.out.print(f"sources with a known class: ours correct {cmp['ours_correct_true']}/{cmp['n_true']}, "
                         f"published correct {cmp['published_correct_true']}/{cmp['n_true']}")
        pc = RichTable(title="published vs ours (counts; published classes mapped onto xrbvo's)")
        for c in ("class", "published", "ours", "both"):
            pc.add_column(c, justify="left" if c == "class" else "right")
        for c, d in cmp["per_class"].items():
            pc.add_row(c, str(d["published"]), str(d["ours"]), str(d["both"]))
        ui.out.print(pc)
    print_policy(ui, res.policy, bundle)
    print_purity(ui, out.meta)
    ui.out.print("P_<class> are at the model's selection priors, where the candidate cuts were chosen; "
                 "P_<class>_field and the most probable class are at the field priors", soft_wrap=True)
    for note in res.policy.notes:
        ui.out.print(f"note: {note}", soft_wrap=True)
    if bundle.metadata.get("band_note"):
        ui.out.print(f"note: {bundle.metadata['band_note']}")
    if bundle.real_data_line:
        ui.out.print(f"note: {bundle.real_data_line}", soft_wrap=True)
    ui.out.print(f"written: {args.out}")
    return 0
