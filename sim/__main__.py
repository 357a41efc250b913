"""``python -m sim ...`` works as ``sharesim ...``."""

import sys

from .cli import main

sys.exit(main())
