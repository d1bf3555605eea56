"""``python -m xrbvo``: the command line (:func:`xrbvo.cli.entry`)."""

import sys

from xrbvo.cli import main

sys.exit(main())
