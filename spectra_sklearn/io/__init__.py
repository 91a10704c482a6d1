"""Readers: spectrum files to :class:`~spectra_sklearn.Spectrum` and batches.

One reader module per format, all behind one registry:

=========  =======================================  ======================================
format     files                                    module
=========  =======================================  ======================================
``spex``   SpeX prism FITS images (Burgasser 2014)  :mod:`spectra_sklearn.io.spex`
``smass``  SMASSII text ``*.[2]`` (Bus & Binzel     :mod:`spectra_sklearn.io.smass`
           2002)
``fits``   generic 1-D FITS image or table          :mod:`spectra_sklearn.io.generic_fits`
=========  =======================================  ======================================

Survey FITS formats (and CASSIS's IPAC table):

==================  ==================================  ========================================
format              files                               module
==================  ==================================  ========================================
``sdss``            SDSS/BOSS ``spec``/``spec-lite``    :mod:`spectra_sklearn.io.sdss`
                    (COADD table, SPECOBJ labels)
``sdss_templates``  SDSS ``spEigen*.fits`` templates,   :mod:`spectra_sklearn.io.sdss_templates`
                    one per image row (several per
                    file)
``cassis``          CASSIS Spitzer/IRS FITS image       :mod:`spectra_sklearn.io.cassis`
                    (N, 16)
``cassis_tbl``      CASSIS Spitzer/IRS IPAC table       :mod:`spectra_sklearn.io.cassis`
                    ``.tbl``
``iso_sws``         ISO SWS atlas image (N, 4) or SWAA  :mod:`spectra_sklearn.io.iso_sws`
                    table
``miles``           MILES 1-D image, air wavelengths    :mod:`spectra_sklearn.io.miles`
==================  ==================================  ========================================

Text tables:

==============  ======================================  =========================================
format          files                                   module
==============  ======================================  =========================================
``demeo2009``   DeMeo et al. 2009 asteroid table (CSV,  :mod:`spectra_sklearn.io.asteroid_tables`
                one spectrum per row)
``mahlke2022``  Mahlke et al. 2022 asteroid tables      :mod:`spectra_sklearn.io.asteroid_tables`
                (CSV, one spectrum per row)
``ascii``       ECSV / CSV / whitespace text table      :mod:`spectra_sklearn.io.ascii`
                with wavelength and flux columns
==============  ======================================  =========================================

:func:`read_spectrum` reads one file, :func:`read_spectra` many (optionally in
parallel), and :class:`SpectrumReader` does the same as the first step of a
scikit-learn Pipeline whose ``X`` is a list of paths. Every failure is a
:class:`SpectrumReadError` naming the file; ``on_error="warn"``/``"skip"``
reads the rest and reports the failures (:class:`ReadFailure`,
:class:`SpectrumReadWarning`). :func:`to_specutils` and
:func:`from_specutils` convert to and from ``specutils.Spectrum`` (specutils
is optional). New formats plug in with :func:`register_format`.
"""

from ._errors import ReadFailure, SpectrumReadError, SpectrumReadWarning
from ._read import read_spectra, read_spectra_file, read_spectrum
from ._reader import SpectrumReader
from ._registry import available_formats, identify_format, register_format
from ._specutils import from_specutils, to_specutils

# Importing the format modules registers them.
from . import generic_fits, smass, spex  # noqa: E402,F401  isort: skip
from . import cassis, iso_sws, miles, sdss, sdss_templates  # noqa: E402,F401  isort: skip
from . import ascii, asteroid_tables  # noqa: E402,F401  isort: skip

__all__ = [
    "ReadFailure",
    "SpectrumReadError",
    "SpectrumReadWarning",
    "SpectrumReader",
    "available_formats",
    "from_specutils",
    "identify_format",
    "read_spectra",
    "read_spectra_file",
    "read_spectrum",
    "register_format",
    "to_specutils",
]
