"""``python -m spectra_sklearn``: the same as the ``spectra-sklearn`` command."""

import sys

from .cli import main

sys.exit(main())
