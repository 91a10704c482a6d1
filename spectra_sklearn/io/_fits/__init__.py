"""The FITS layer shared by every reader, one small module per job.

- :mod:`._cards` -- a file's bytes and its primary-header cards: the one card
  parser (:func:`card_value`);
- :mod:`._claims` -- every header's claimed data size checked against the
  bytes the file has, before anything is allocated (:func:`check_data_claims`);
- :mod:`._library` -- astropy and fitsio, every library error translated
  into :class:`~spectra_sklearn.io.SpectrumReadError` naming the file (the
  fallback of the byte-level paths);
- :mod:`._primary` -- the primary image straight from the bytes (SpeX's hot
  path);
- :mod:`._hdus` -- a file's bytes split into header-data units;
- :mod:`._bintable` -- binary tables read from those bytes (SDSS).

A reader imports what it needs from here; a new format needs none of it to
change (identification is declared in its own module, with
:func:`~spectra_sklearn.io.register_format`).
"""

from ._bintable import bintable_column_names, read_bintable, read_bintable_rows
from ._cards import card_value
from ._claims import check_data_claims
from ._hdus import LayoutNotHandled, RawHDU, read_hdus, split_hdus
from ._library import fitsio_can_open, header_cards, is_gzip, open_fits, open_fitsio
from ._primary import as_float64, read_primary_image

__all__ = [
    "LayoutNotHandled",
    "RawHDU",
    "as_float64",
    "bintable_column_names",
    "card_value",
    "check_data_claims",
    "fitsio_can_open",
    "header_cards",
    "is_gzip",
    "open_fits",
    "open_fitsio",
    "read_bintable",
    "read_bintable_rows",
    "read_hdus",
    "read_primary_image",
    "split_hdus",
]
