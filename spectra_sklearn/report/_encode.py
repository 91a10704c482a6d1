"""Compact encodings of spectra for the report page and the lookup server.

A spectrum goes to the browser binned to at most ``max_points`` pixels, each
array quantised to 16-bit integers between its own minimum and maximum and
base64 encoded: about 1.2 kB per spectrum, decoded in JavaScript only when
its object is shown. Masked bins are sent as runs of bin indices.
"""

import base64
import math

import numpy as np

__all__ = ["encode_array", "encode_spectrum", "unit_label"]

_MISSING = -32768
_SPAN = 65534  # codes -32767 .. 32767


def encode_array(values, lo=None, hi=None):
    """``[lo, hi, base64 of little-endian int16 codes]``; NaN -> -32768; None if all NaN."""
    values = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(values)
    if not finite.any():
        return None
    lo = float(np.min(values[finite])) if lo is None else float(lo)
    hi = float(np.max(values[finite])) if hi is None else float(hi)
    if not hi > lo:
        hi = lo + (abs(lo) or 1.0)
    scaled = np.clip((values - lo) / (hi - lo), 0.0, 1.0)
    codes = np.where(finite, np.round(scaled * _SPAN) - 32767, _MISSING).astype("<i2")
    return [_round(lo), _round(hi), base64.b64encode(codes.tobytes()).decode("ascii")]


def _round(x):
    return float(f"{x:.6g}")


def _bin(values, size, n_bins, reduce):
    padded = np.full(n_bins * size, np.nan)
    padded[: len(values)] = values
    blocks = padded.reshape(n_bins, size)
    return reduce(blocks)


def _runs(mask):
    """``[start, stop, start, stop, ...]`` of the True runs of ``mask`` (stop exclusive)."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], mask.astype(np.int8), [0]))))
    return edges.tolist()


def unit_label(unit):
    """A short text for an astropy unit, ``''`` for none or dimensionless."""
    if unit is None:
        return ""
    text = unit.to_string("unicode") if hasattr(unit, "to_string") else str(unit)
    return "" if text in ("", "dimensionless") else text


def encode_spectrum(wavelength, flux, ivar=None, mask=None, *, wavelength_unit=None,
                    flux_unit=None, max_points=300):
    """Bin and quantise one spectrum for the page.

    Parameters
    ----------
    wavelength, flux : array-like of shape (n_pixels,)
    ivar : array-like of shape (n_pixels,), default=None
        Inverse variance; the uncertainty band is ``1 / sqrt(ivar)`` where
        ``ivar > 0``.
    mask : array-like of bool of shape (n_pixels,), default=None
        True where a pixel is bad.
    wavelength_unit, flux_unit : astropy unit or str, default=None
    max_points : int, default=300
        Pixels are averaged in consecutive groups so at most this many remain
        (the good pixels of a group; a group is masked when more than half
        of it is).

    Returns
    -------
    dict
        ``w``, ``f``, ``e`` (encoded arrays, ``e`` None without ivar), ``m``
        (masked runs), ``n`` (bins), ``n_pixels``, ``wu``, ``fu`` (unit texts).
    """
    w = np.asarray(wavelength, dtype=np.float64)
    f = np.asarray(flux, dtype=np.float64)
    n = len(f)
    bad = np.zeros(n, bool) if mask is None else np.asarray(mask, bool).copy()
    bad |= ~np.isfinite(f)
    var = None
    if ivar is not None:
        iv = np.asarray(ivar, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            var = np.where(np.isfinite(iv) & (iv > 0), 1.0 / iv, np.nan)
        if not np.isfinite(var).any():
            var = None
    size = max(1, math.ceil(n / max(1, int(max_points))))
    n_bins = math.ceil(n / size)
    good_f = np.where(bad, np.nan, f)
    with np.errstate(invalid="ignore", divide="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN bins are expected
            wb = _bin(w, size, n_bins, lambda b: np.nanmean(b, axis=1))
            n_good = _bin((~bad).astype(float), size, n_bins, lambda b: np.nansum(b, axis=1))
            n_all = _bin(np.ones(n), size, n_bins, lambda b: np.nansum(b, axis=1))
            fb = _bin(good_f, size, n_bins, lambda b: np.nanmean(b, axis=1))
            fb_any = _bin(np.where(np.isfinite(f), f, np.nan), size, n_bins,
                          lambda b: np.nanmean(b, axis=1))
            fb = np.where(np.isfinite(fb), fb, fb_any)
            eb = None
            if var is not None:
                good_var = np.where(bad, np.nan, var)
                eb = np.sqrt(_bin(good_var, size, n_bins, lambda b: np.nansum(b, axis=1))
                             ) / np.maximum(n_good, 1)
                eb = np.where(n_good > 0, eb, np.nan)
    masked = n_good * 2 < n_all
    e_enc = None
    if eb is not None and np.isfinite(eb).any():
        finite_f = fb[np.isfinite(fb)]
        span = float(np.ptp(finite_f)) if finite_f.size else 1.0
        e_enc = encode_array(eb, 0.0, min(float(np.nanmax(eb)), 10 * span or 1.0))
    return {
        "n": int(n_bins), "n_pixels": int(n),
        "w": encode_array(wb), "f": encode_array(fb), "e": e_enc, "m": _runs(masked),
        "wu": unit_label(wavelength_unit), "fu": unit_label(flux_unit),
    }


def encode_spectrum_object(spectrum, max_points=300):
    """:func:`encode_spectrum` of a :class:`~spectra_sklearn.Spectrum`."""
    return encode_spectrum(
        spectrum.wavelength, spectrum.flux, spectrum.ivar, spectrum.mask,
        wavelength_unit=spectrum.wavelength_unit, flux_unit=spectrum.flux_unit,
        max_points=max_points)
