"""Run options and process settings the interfaces check or set before the work starts.

The interfaces (:mod:`xrbvo.cli`, :mod:`xrbvo.tui`) reach the pipeline and the stages only
through the workflows (the import-linter contract "interfaces call workflows only" in
pyproject.toml).  What they need before a workflow runs:

* :class:`PipelineConfig`: the pipeline's options (``xrbvo demo`` builds one; ``run`` takes
  :func:`xrbvo.workflows.pipeline_config` of its model);
* :func:`check_false_rate`: ``--false-rate`` checked in one line before any long work;
* :func:`keep_freed_memory`: the process-wide allocator setting the association engine is
  fastest with; the ``xrbvo`` command sets it at start-up (a library never does on its own).
"""

from __future__ import annotations

from xrbvo.pipeline import PipelineConfig
from xrbvo.stages.match.calibrate import check_false_rate
from xrbvo.stages.match.memory import keep_freed_memory

__all__ = ["PipelineConfig", "check_false_rate", "keep_freed_memory"]
