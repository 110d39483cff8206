"""``python -m sim.cli``: the ``tis-sim`` command."""

import sys

from sim.cli.main import main

sys.exit(main())
