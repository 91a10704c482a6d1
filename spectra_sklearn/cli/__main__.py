"""``python -m spectra_sklearn.cli``: the same as the ``spectra-sklearn`` command."""

import sys

from . import main

sys.exit(main())
