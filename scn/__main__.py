"""`python -m scn ...`: the same as the `scn` command."""

import sys

from .cli.main import main

sys.exit(main())
