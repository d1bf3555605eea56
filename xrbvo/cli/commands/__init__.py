"""Sub-commands of the ``xrbvo`` command line, one module each (see :mod:`xrbvo.cli.entry`)."""
