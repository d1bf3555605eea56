"""``python -m xrbvo``: the command line (:func:`xrbvo.cli.main`)."""

import sys

from xrbvo.cli import main

sys.exit(main())
