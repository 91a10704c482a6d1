"""Readers: spectrum files to :class:`~spectra_sklearn.Spectrum` and batches.

One reader module per format, all behind one registry:

========  ======================================  =====================================
format    files                                   module
========  ======================================  =====================================
``spex``  SpeX prism FITS images (Burgasser 2014)  :mod:`spectra_sklearn.io.spex`
``smass`` SMASSII text ``*.[2]`` (Bus & Binzel     :mod:`spectra_sklearn.io.smass`
          2002)
``fits``  generic 1-D FITS image or table          :mod:`spectra_sklearn.io.generic_fits`
========  ======================================  =====================================

:func:`read_spectrum` reads one file, :func:`read_spectra` many (optionally in
parallel), and :class:`SpectrumReader` does the same as the first step of a
scikit-learn Pipeline whose ``X`` is a list of paths. Every failure is a
:class:`SpectrumReadError` naming the file. New formats plug in with
:func:`register_format`.
"""

from ._errors import SpectrumReadError
from ._registry import available_formats, identify_format, register_format
from ._read import read_spectra, read_spectra_file, read_spectrum
from ._reader import SpectrumReader

# Importing the format modules registers them.
from . import generic_fits, smass, spex  # noqa: E402,F401  isort: skip

__all__ = [
    "SpectrumReadError",
    "SpectrumReader",
    "available_formats",
    "identify_format",
    "read_spectra",
    "read_spectra_file",
    "read_spectrum",
    "register_format",
]
