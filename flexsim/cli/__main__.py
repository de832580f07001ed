"""`python -m flexsim.cli`: the console script `flexsim`."""

import sys

from flexsim.cli import main

sys.exit(main())
