"""read_image / read_images: JPEG, PNG and FITS image files to an ImageBatch.

Format quirks, documented here once:

* **JPEG / PNG** (Pillow, restricted to its JPEG and PNG decoders): 8-bit
  values are divided by 255, 16-bit PNG values by 65535, so pixels are in
  ``[0, 1]``. Colour images give bands ``('r', 'g', 'b')``, greyscale ones
  ``('gray',)``; an alpha channel is dropped, palette, CMYK and YCbCr images
  are converted to RGB. Row 0 is the top of the picture (``meta['origin'] =
  'upper'``). EXIF orientation tags are not applied (pixels as stored).
* **FITS** (astropy): the first HDU holding a 2-D image or a 3-D cube
  ``(n_bands, height, width)`` (length-1 leading axes, as radio cubes have,
  are dropped); BSCALE/BZERO applied; non-finite values become NaN. Row 0 is
  the first FITS row, the bottom of the image (``meta['origin'] =
  'lower'``). Band names come from the ``FILTER``, ``BAND`` or ``FILTNAM``
  card (2-D) or ``FILTERk``/``BANDk`` cards for plane ``k = 1 .. n`` (cubes),
  else ``'band0'``, ... The values are stretched (see
  :mod:`spectra_sklearn.images._stretch`).
"""

import io
import os
import stat
import struct
import warnings
import zlib

import numpy as np

from ._batch import ImageBatch
from ._errors import ImageReadError
from ._stretch import apply_stretch, check_percentile, check_stretch

__all__ = ["FORMATS", "read_image", "identify_image_format", "read_one"]

#: Formats read, and the first bytes that identify them.
FORMATS = {
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "fits": (b"SIMPLE  =",),
}
_PIL_FORMAT = {"jpeg": "JPEG", "png": "PNG"}
_MODES = (None, "RGB", "L")
_COLOUR_BANDS = ("r", "g", "b")

# What libraries raise on a bad file (converted to ImageReadError). Pillow
# raises SyntaxError from some decoders; astropy's VerifyError is an Exception.
_DATA_ERRORS = (
    OSError, EOFError, ValueError, TypeError, IndexError, KeyError, AttributeError,
    OverflowError, ZeroDivisionError, UnicodeDecodeError, SyntaxError, MemoryError,
    zlib.error, struct.error,
)


def identify_image_format(head):
    """The format whose signature starts ``head`` (bytes), or None."""
    for name, signatures in FORMATS.items():
        if any(head.startswith(s) for s in signatures):
            return name
    return None


def _read_regular_file(path):
    """The bytes of ``path``, refusing anything but a regular file before reading.

    The file is opened non-blocking (a FIFO would otherwise block the open
    itself) and checked with ``fstat`` on the open descriptor, so it cannot be
    swapped between the check and the read.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise ImageReadError(path, "no such file") from None
    except OSError as exc:
        raise ImageReadError(path, f"cannot open it ({exc.strerror or exc})") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = ("a directory" if stat.S_ISDIR(mode) else "a FIFO (named pipe)"
                    if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode)
                    or stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode)
                    else "not a regular file")
            raise ImageReadError(path, f"it is {kind}; only regular files are read")
        f = open(fd, "rb", closefd=True)
    except BaseException:
        os.close(fd)
        raise
    with f:
        try:
            return f.read()
        except OSError as exc:
            raise ImageReadError(path, f"reading failed ({exc})") from None


def _limit(max_pixels):
    from PIL import Image

    return Image.MAX_IMAGE_PIXELS if max_pixels is None else max_pixels


def _too_big(path, format, width, height, max_pixels):
    limit = _limit(max_pixels)
    if limit is not None and width * height > limit:
        raise ImageReadError(
            path,
            f"the image is {width} x {height} = {width * height} pixels, more than the "
            f"limit of {limit} (a possible decompression bomb); raise max_pixels= if the "
            "file is trusted",
            format=format,
        )


def _read_pillow(data, path, format, mode, max_pixels):
    from PIL import Image

    with Image.open(io.BytesIO(data), formats=[_PIL_FORMAT[format]]) as im:
        _too_big(path, format, im.width, im.height, max_pixels)
        im.load()
        original_mode, size = im.mode, im.size
        if mode is not None:
            im = im.convert(mode)
        elif im.mode in ("1", "LA", "La"):
            im = im.convert("L")
        elif im.mode not in ("L", "RGB", "I", "I;16", "I;16B", "I;16L", "F"):
            im = im.convert("RGB")
        array = np.asarray(im)
        # channels first, float32, in one copy; then scaled in place
        pixels = np.ascontiguousarray(
            array[None] if array.ndim == 2 else np.moveaxis(array, -1, 0), dtype=np.float32)
        if im.mode in ("L", "RGB"):
            pixels /= np.float32(255)
        elif im.mode.startswith("I"):
            pixels /= np.float32(65535)
    bands = ("gray",) if pixels.shape[0] == 1 else _COLOUR_BANDS
    meta = {"mode": original_mode, "size": size, "origin": "upper"}
    return pixels, bands, meta


def _header_dict(header):
    out = {}
    for key in dict.fromkeys(header.keys()):
        if key in ("COMMENT", "HISTORY", ""):
            out[key] = [str(v) for v in header[key]]
            continue
        value = header[key]
        out[key] = value if isinstance(value, (str, int, float, bool)) else None
    return out


def _fits_band_names(header, n_bands, squeezed_2d):
    if squeezed_2d:
        for key in ("FILTER", "BAND", "FILTNAM", "FILTER1"):
            value = header.get(key)
            if isinstance(value, str) and value.strip():
                return (value.strip(),)
        return ("band0",)
    names = []
    for k in range(1, n_bands + 1):
        value = header.get(f"FILTER{k}", header.get(f"BAND{k}"))
        names.append(value.strip() if isinstance(value, str) and value.strip() else None)
    if all(names) and len(set(names)) == n_bands:
        return tuple(names)
    return tuple(f"band{i}" for i in range(n_bands))


def _read_fits(data, path, max_pixels, stretch, interval):
    from astropy.io import fits

    with fits.open(io.BytesIO(data), memmap=False) as hdul:
        seen = []
        for index, hdu in enumerate(hdul):
            if not isinstance(hdu, (fits.PrimaryHDU, fits.ImageHDU, fits.CompImageHDU)):
                seen.append(f"{index} {type(hdu).__name__}")
                continue
            shape = tuple(hdu.shape)
            while len(shape) > 3 and shape[0] == 1:
                shape = shape[1:]
            if len(shape) not in (2, 3) or 0 in shape:
                seen.append(f"{index} {type(hdu).__name__} of shape {tuple(hdu.shape)}")
                continue
            _too_big(path, "fits", shape[-1], shape[-2], max_pixels)
            values = hdu.data
            if values is None:
                seen.append(f"{index} {type(hdu).__name__} without data")
                continue
            values = np.asarray(values, dtype=np.float64).reshape(shape)
            header = hdu.header
            break
        else:
            raise ImageReadError(
                path,
                "no HDU holds a 2-D image or a 3-D cube of bands (HDUs: "
                + (", ".join(seen) or "none") + ")",
                format="fits",
            )
    squeezed_2d = values.ndim == 2
    pixels = values[None] if squeezed_2d else values
    pixels = np.where(np.isfinite(pixels), pixels, np.nan)
    if not np.isfinite(pixels).any():
        raise ImageReadError(path, f"all pixel values of HDU {index} are NaN or infinite",
                             format="fits")
    bands = _fits_band_names(header, pixels.shape[0], squeezed_2d)
    pixels = apply_stretch(pixels, stretch, interval)
    meta = {
        "hdu": index,
        "header": _header_dict(header),
        "size": (pixels.shape[2], pixels.shape[1]),
        "origin": "lower",
        "stretch": None if stretch is None else type(stretch).__name__,
        "interval": None if stretch is None else repr(interval),
    }
    return pixels.astype(np.float32), bands, meta


def read_one(path, *, format=None, mode=None, stretch="asinh", percentile=(0.5, 99.5),
             max_pixels=None):
    """Read one file: ``(pixels of shape (n_bands, h, w), band_names, meta)``.

    See :func:`read_image` for the parameters. Every failure on a bad file is
    an :class:`ImageReadError` naming it.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"read_image needs a path (str or os.PathLike); got {type(path).__name__}.")
    if format is not None and format not in FORMATS:
        raise ValueError(
            f"The 'format' parameter must be one of {sorted(FORMATS)} or None; got {format!r}."
        )
    if mode not in _MODES:
        raise ValueError(f"The 'mode' parameter must be one of {_MODES}; got {mode!r}.")
    stretch_obj = check_stretch(stretch)
    interval = check_percentile(percentile)
    path = os.fspath(path)
    data = _read_regular_file(path)
    found = identify_image_format(data[:16])
    if format is None:
        if found is None:
            what = "the file is empty" if not data else f"its first bytes {data[:8]!r}"
            raise ImageReadError(
                path, f"not a JPEG, PNG or FITS image ({what} match none of them)")
        format = found
    from PIL import Image

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with np.errstate(all="ignore"):
                if format == "fits":
                    pixels, bands, meta = _read_fits(data, path, max_pixels, stretch_obj,
                                                     interval)
                else:
                    pixels, bands, meta = _read_pillow(data, path, format, mode, max_pixels)
        except ImageReadError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageReadError(
                path, f"decompression bomb guard: {exc}; raise max_pixels= (and "
                "PIL.Image.MAX_IMAGE_PIXELS) if the file is trusted", format=format,
            ) from exc
        except _DATA_ERRORS as exc:
            raise ImageReadError(
                path, f"{type(exc).__name__}: {str(exc)[:300]}", format=format
            ) from exc
        except (NameError, ImportError, AssertionError):  # our mistakes, not the file's
            raise
        except Exception as exc:
            # astropy's VerifyError, cfitsio's CfitsioException (tile-compressed
            # images) and other library errors on a damaged file
            raise ImageReadError(
                path, f"{type(exc).__name__}: {str(exc)[:300]}", format=format
            ) from exc
    meta = {"source": path, "format": format, **meta}
    if caught:
        meta["read_warnings"] = [str(w.message)[:300] for w in caught]
    return pixels, bands, meta


def read_image(path, *, format=None, mode=None, stretch="asinh", percentile=(0.5, 99.5),
               max_pixels=None):
    """Read one image file (JPEG, PNG or FITS) into an ImageBatch of one image.

    Parameters
    ----------
    path : str or os.PathLike
        The file; only regular files are opened (a directory, FIFO or device
        is refused before anything is read).
    format : {'jpeg', 'png', 'fits'} or None, default=None
        ``None`` identifies the format from the first bytes (not the name).
    mode : {None, 'RGB', 'L'}, default=None
        JPEG/PNG only: convert every image to colour (``'RGB'``, greyscale
        replicated) or to greyscale (``'L'``), so that files of mixed kinds
        share bands; ``None`` keeps each file's own (see the module notes).
    stretch : {'asinh', 'log', 'sqrt', 'linear'}, astropy stretch or None, default='asinh'
        FITS only: how pixel values are mapped into ``[0, 1]`` after the
        ``percentile`` limits (arcsinh: Lupton et al. 2004, PASP 116, 133;
        astropy's ``AsinhStretch(a=0.1)``; ``'log'`` is
        ``LogStretch(a=1000)``). ``None`` keeps the raw values (physical
        units, no limits). JPEG/PNG files are already display-stretched and
        are only scaled to ``[0, 1]``.
    percentile : (float, float), float, astropy interval or None, default=(0.5, 99.5)
        FITS only: the lower and upper percentile of each band's finite pixels
        mapped to 0 and 1 (``AsymmetricPercentileInterval``); one float keeps
        that central percentage (``PercentileInterval``); an astropy interval
        such as ``ManualInterval(vmin, vmax)`` is used as given; ``None`` is
        the minimum to maximum.
    max_pixels : int or None, default=None
        Largest width x height accepted, checked from the header before any
        pixel is decoded (decompression-bomb guard); ``None`` is Pillow's
        ``PIL.Image.MAX_IMAGE_PIXELS`` (89,478,485). Pillow's own guard at
        that limit also applies to JPEG/PNG.

    Returns
    -------
    ImageBatch
        One image, float32 pixels of shape ``(1, n_bands, height, width)``;
        ``meta[0]`` holds ``source``, ``format``, ``size`` (width, height),
        ``origin`` ('upper' or 'lower' row 0), for JPEG/PNG the Pillow
        ``mode``, for FITS ``hdu``, ``header`` (dict) and the ``stretch`` /
        ``interval`` used, and ``read_warnings`` when a library warned.

    Raises
    ------
    ImageReadError
        If the file is missing, not a regular file, not a JPEG/PNG/FITS
        image, truncated or corrupt, a FITS file without an image HDU, all
        NaN, or larger than ``max_pixels`` (the message names the file).
    TypeError
        If ``path`` is not a path.
    ValueError
        If ``format``, ``mode``, ``stretch`` or ``percentile`` is invalid.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from astropy.io import fits
    >>> from spectra_sklearn.images import read_image
    >>> path = os.path.join(tempfile.mkdtemp(), "galaxy.fits")
    >>> hdu = fits.PrimaryHDU(np.arange(16.0).reshape(4, 4))
    >>> hdu.header["FILTER"] = "r"
    >>> hdu.writeto(path)
    >>> image = read_image(path, stretch="linear", percentile=None)
    >>> image.band_names, image.pixels.shape, float(image.pixels.max())
    (('r',), (1, 1, 4, 4), 1.0)
    """
    pixels, bands, meta = read_one(path, format=format, mode=mode, stretch=stretch,
                                   percentile=percentile, max_pixels=max_pixels)
    return ImageBatch([pixels], band_names=[bands], meta=[meta])
