"""Primary-header cards from a file's bytes: the one card parser of the FITS layer.

:func:`read_raw` gives a file's bytes (gunzipped), :func:`split_cards` the
raw value text of each primary-header card as the FITS standard lays them out
(80-byte cards in 2880-byte blocks; Pence et al. 2010, A&A 524, A42) and
:func:`card_value` parses one value field. Every other module of the layer
parses cards with these.
"""

import functools

from .._errors import SpectrumReadError
from .._limits import read_file_bytes

#: numpy dtype of each FITS BITPIX (big-endian, as stored)
_DTYPES = {8: "u1", 16: ">i2", 32: ">i4", 64: ">i8", -32: ">f4", -64: ">f8"}
_CARD, _BLOCK = 80, 2880

def read_raw(path, format):
    """The file's bytes, gunzipped (within the bound of
    :func:`~spectra_sklearn.io._limits.gunzip`) if they start with the gzip magic."""
    return read_file_bytes(path, format)


def split_cards(raw, path, format):
    """Raw value text of each primary-header card, the END card's offset, raw."""
    if not raw.startswith(b"SIMPLE  ="):
        raise SpectrumReadError(
            path, "not a readable FITS file: it does not start with a SIMPLE card "
            "(truncated or corrupt?)", format=format)
    texts, end = {}, None
    for start in range(0, len(raw) - _CARD + 1, _CARD):
        key = raw[start:start + 8]
        if key == b"END     ":
            end = start
            break
        if raw[start + 8:start + 10] == b"= ":
            texts.setdefault(key.rstrip().decode("ascii", "replace"),
                             raw[start + 10:start + _CARD])
        elif key == b"HIERARCH":  # HIERARCH long name = value: keyed as astropy does
            name, equals, value = raw[start + 9:start + _CARD].partition(b"=")
            if equals:
                texts.setdefault(" ".join(name.decode("ascii", "replace").split()).upper(),
                                 value)
    if end is None:
        raise SpectrumReadError(
            path, "truncated or corrupt FITS file: the primary header has no END card",
            format=format)
    return texts, end, raw


@functools.lru_cache(maxsize=4096)
def card_value(field):
    """Value of a header card from the text after ``= `` (a small, forgiving parser).

    Cached: the files of one survey repeat most of their cards (``BITPIX``,
    ``NAXIS1``, ``CRVAL1`` ...), and a cached value costs a tenth of a parse.
    """
    field = field.strip()
    if field.startswith("'"):
        text, i = [], 1
        while i < len(field):
            if field[i] == "'":
                if field[i + 1:i + 2] == "'":
                    text.append("'")
                    i += 2
                    continue
                break
            text.append(field[i])
            i += 1
        return "".join(text).rstrip()
    field = field.split("/", 1)[0].strip()
    if field in ("T", "F"):
        return field == "T"
    for kind in (int, float):
        try:
            return kind(field.replace("D", "E") if kind is float else field)
        except ValueError:
            continue
    return field or None
