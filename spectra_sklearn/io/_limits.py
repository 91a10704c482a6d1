"""Bounds on what reading one file may cost: gzip streams decompressed with a limit.

A gzip stream can expand about a thousand-fold (a "gzip bomb": a 1 MB file
of 1 GB of zeros), so no reader calls :func:`gzip.decompress` on a file's
bytes; they call :func:`gunzip`, which decompresses in chunks and refuses a
stream before its output passes :func:`decompression_limit` -- the larger of
:data:`MIN_DECOMPRESSED_BYTES` (64 MiB) and :data:`MAX_COMPRESSION_RATIO`
(100) times the compressed size, and never more than
:data:`MAX_DECOMPRESSED_BYTES` (1 GiB). Spectrum files are far below these
(the largest we read, an SDSS ``spec`` file, is ~1 MB and compresses 2-3
fold); a file refused here can be decompressed by the user and read as it
is, where the FITS layer checks every header's claims against the file's
size before reading (:func:`~spectra_sklearn.io._fits.check_data_claims`).
"""

import os
import zlib

from ._errors import SpectrumReadError, open_regular_file

__all__ = [
    "MAX_COMPRESSION_RATIO",
    "MAX_DECOMPRESSED_BYTES",
    "MIN_DECOMPRESSED_BYTES",
    "decompression_limit",
    "gunzip",
    "read_file_bytes",
]

#: the most bytes one gzip-compressed file may decompress to (1 GiB)
MAX_DECOMPRESSED_BYTES = 2**30
#: a compressed file may always decompress to this many bytes (64 MiB) ...
MIN_DECOMPRESSED_BYTES = 64 * 2**20
#: ... and beyond that to this many times its compressed size
MAX_COMPRESSION_RATIO = 100

GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 2**20  # decompressed bytes per step


def decompression_limit(compressed_size):
    """The most bytes a gzip stream of ``compressed_size`` bytes may decompress to.

    ``min(MAX_DECOMPRESSED_BYTES, max(MIN_DECOMPRESSED_BYTES,
    MAX_COMPRESSION_RATIO * compressed_size))``, read at call time.

    Examples
    --------
    >>> from spectra_sklearn.io._limits import decompression_limit
    >>> decompression_limit(30_000) == 64 * 2**20
    True
    >>> decompression_limit(10**9) == 2**30
    True
    """
    return min(MAX_DECOMPRESSED_BYTES,
               max(MIN_DECOMPRESSED_BYTES, MAX_COMPRESSION_RATIO * int(compressed_size)))


def gunzip(data, path, format=None):
    """Decompress the gzip stream ``data`` (one or more members), within a bound.

    Parameters
    ----------
    data : bytes
        The compressed file.
    path : str or os.PathLike
        The file, named in errors.
    format : str, default=None
        The format being read, named in errors.

    Returns
    -------
    bytes

    Raises
    ------
    SpectrumReadError
        If the output would pass :func:`decompression_limit` of ``len(data)``
        (refused after at most one more chunk of 1 MiB), or the stream is
        corrupt or truncated.

    Examples
    --------
    >>> import gzip
    >>> from spectra_sklearn.io._limits import gunzip
    >>> gunzip(gzip.compress(b"0.5 1.0\\n") * 2, "a.txt.gz")
    b'0.5 1.0\\n0.5 1.0\\n'
    >>> from spectra_sklearn.io import SpectrumReadError
    >>> try:
    ...     gunzip(gzip.compress(bytes(2**27)), "bomb.txt.gz")  # 128 MiB of zeros in 130 kB
    ... except SpectrumReadError as exc:
    ...     print(exc.reason.split(" (")[0])
    the gzip stream decompresses to more than 67,108,864 bytes
    """
    limit = decompression_limit(len(data))
    out, total = [], 0
    stream = zlib.decompressobj(wbits=31)
    pending = data
    try:
        while True:
            chunk = stream.decompress(pending, _CHUNK)
            total += len(chunk)
            if total > limit:
                raise SpectrumReadError(
                    path, f"the gzip stream decompresses to more than {limit:,} bytes (the "
                    f"limit for a compressed file of {len(data):,} bytes: "
                    f"spectra_sklearn.io._limits); refused as a likely gzip bomb -- "
                    "decompress it yourself if it is genuine", format=format)
            out.append(chunk)
            pending = stream.unconsumed_tail
            if stream.eof:
                rest = stream.unused_data
                if not rest.strip(b"\0"):
                    break
                if not rest.startswith(GZIP_MAGIC):
                    raise zlib.error("bytes after the end of the gzip stream")
                stream, pending = zlib.decompressobj(wbits=31), rest  # another member
            elif not chunk and not pending:
                raise zlib.error("the stream ends before its end marker")
    except zlib.error as exc:
        raise SpectrumReadError(
            path, f"truncated or corrupt gzip stream ({exc})", format=format) from None
    return b"".join(out)


def read_file_bytes(path, format=None):
    """A regular file's bytes, decompressed (:func:`gunzip`) if they start with the gzip magic.

    Raises
    ------
    SpectrumReadError
        If the file is missing, not a regular file, unreadable, a corrupt or
        truncated gzip stream, or a gzip stream beyond the bound.
    """
    fd, size = open_regular_file(path, format)
    try:
        # one read of the whole file (half the cost of a file object's read on a
        # small spectrum); a short read (over 2 GiB) or a file that grew since
        # fstat reads on to the end
        raw = os.read(fd, size + 1)
        if len(raw) != size:
            parts = [raw]
            while part := os.read(fd, 1 << 24):
                parts.append(part)
            raw = b"".join(parts)
    except OSError as exc:
        raise SpectrumReadError(path, f"cannot read the file ({exc})", format=format) from None
    finally:
        os.close(fd)
    if raw[:2] == GZIP_MAGIC:
        raw = gunzip(raw, path, format)
    return raw
