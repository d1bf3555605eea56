"""Workflows: the whole path from an X-ray table to a catalogue, shared by every interface.

:func:`analyse` (``xrbvo run``, ``xrbvo demo``, the Python API; the terminal UI shows its catalogue),
:func:`classify_table` (``xrbvo classify``), the :class:`ModelBundle` and the
:class:`SciencePolicy` they all use.
"""

from xrbvo.workflows.analyse import Analysis, analyse, pipeline_config
from xrbvo.workflows.bundle import ModelBundle
from xrbvo.workflows.policy import ResolvedPolicy, SciencePolicy, parse_priors, resolve_policy
from xrbvo.workflows.report import ReportFiles, write_report

__all__ = ["Analysis", "analyse", "pipeline_config", "ModelBundle", "SciencePolicy", "ResolvedPolicy",
           "parse_priors", "resolve_policy", "write_report", "ReportFiles"]
