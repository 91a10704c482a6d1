"""Real spectra to learn from: the data home, dataset fetchers and a built-in sample.

- :func:`load_spex_sample` -- 300 SpeX M/L/T dwarf spectra shipped with the
  package (no data home, no network);
- :func:`fetch_spex_prism` -- the SpeX Prism Library (Burgasser 2014);
- :func:`fetch_smass2` -- SMASSII asteroid spectra with Bus classes
  (Bus & Binzel 2002), and :data:`BUS_MAIN_GROUPS`;
- :func:`get_data_home` -- where the fetchers read and download the files
  (``data_home=`` > ``SPECTRA_SKLEARN_DATA`` > ``~/spectra_sklearn_data``).
"""

from ._download import ChecksumError, DownloadError, RemoteFileNotFoundError
from ._home import get_data_home
from ._smass2 import BUS_MAIN_GROUPS, fetch_smass2
from ._spex import fetch_spex_prism, load_spex_sample

__all__ = [
    "BUS_MAIN_GROUPS",
    "ChecksumError",
    "DownloadError",
    "RemoteFileNotFoundError",
    "fetch_smass2",
    "fetch_spex_prism",
    "get_data_home",
    "load_spex_sample",
]
