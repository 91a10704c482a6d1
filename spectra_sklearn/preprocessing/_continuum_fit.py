"""Continuum estimates for many spectra at once: masked medians and clipped polynomials.

All functions take 2-D ``(n_spectra, n_pixels)`` float64 arrays and a boolean
``use`` (or ``valid``) array of the same shape, and work on every row at once.
"""

import numpy as np
from numpy.polynomial import chebyshev

__all__ = ["masked_median", "window_continuum", "polynomial_continuum"]

#: Normal-distribution consistency factor of the median absolute deviation.
_MAD_TO_SIGMA = 1.4826022185056018

#: Target number of Vandermonde values per chunk of rows (bounds memory).
_CHUNK_ELEMENTS = 1 << 21


def masked_median(values, use):
    """Row-wise median of ``values`` over the pixels where ``use`` is True.

    Parameters
    ----------
    values : ndarray of shape (n, p)
    use : ndarray of bool of shape (n, p)

    Returns
    -------
    median : ndarray of shape (n,)
        ``NaN`` for rows with no pixel in use (no warning).
    """
    if values.shape[1] == 0:
        return np.full(values.shape[0], np.nan)
    count = use.sum(axis=1)
    v = np.sort(np.where(use, values, np.inf), axis=1)
    last = values.shape[1] - 1
    lo = np.clip((count - 1) // 2, 0, last)[:, None]
    hi = np.clip(count // 2, 0, last)[:, None]
    with np.errstate(invalid="ignore"):
        med = (np.take_along_axis(v, lo, 1)[:, 0] + np.take_along_axis(v, hi, 1)[:, 0]) / 2
    med[count == 0] = np.nan
    return med


def window_continuum(wavelength, flux, valid, lo, hi):
    """Median flux of the valid pixels with ``lo <= wavelength <= hi``.

    Parameters
    ----------
    wavelength : ndarray of shape (p,)
    flux : ndarray of shape (n, p)
    valid : ndarray of bool of shape (n, p)
    lo, hi : float
        Window limits, in the unit of ``wavelength``.

    Returns
    -------
    continuum : ndarray of shape (n,)
        ``NaN`` where the window holds no valid pixel.
    """
    inside = (wavelength >= lo) & (wavelength <= hi)
    return masked_median(flux, valid & inside[None, :])


def polynomial_continuum(
    wavelength, flux, valid, *, degree, sigma_lower, sigma_upper, maxiters
):
    """Iteratively sigma-clipped Chebyshev continuum of every row.

    Each row is fitted by unweighted least squares with a Chebyshev series
    of ``degree`` in the wavelength scaled to ``[-1, 1]`` over that row's
    valid pixels. After each fit, pixels whose residual ``r`` lies below
    ``median(r) - sigma_lower * s`` or above ``median(r) + sigma_upper * s``
    (``s`` = 1.4826 * median absolute deviation of the residuals in use) are
    dropped, and the fit is repeated, at most ``maxiters`` times or until no
    pixel is dropped. Dropped pixels are not readmitted; a clipping step that
    would leave fewer than ``degree + 1`` pixels is skipped.

    Parameters
    ----------
    wavelength : ndarray of shape (p,) or (n, p)
        Pixel centres (a shared grid or one per row).
    flux : ndarray of shape (n, p)
    valid : ndarray of bool of shape (n, p)
        ``False`` for masked pixels, never used.
    degree : int
    sigma_lower, sigma_upper : float
    maxiters : int

    Returns
    -------
    continuum : ndarray of shape (n, p)
        The fitted continuum at every pixel (masked ones included).
    determined : ndarray of bool of shape (n,)
        ``False`` where the row has fewer than ``degree + 1`` valid pixels
        (its continuum is NaN).
    """
    n, p = flux.shape
    k = degree + 1
    continuum = np.empty((n, p))
    determined = np.empty(n, dtype=bool)
    per_chunk = max(1, _CHUNK_ELEMENTS // max(p * k, 1))
    wavelength = np.broadcast_to(wavelength, (n, p))
    for a in range(0, n, per_chunk):
        b = min(a + per_chunk, n)
        continuum[a:b], determined[a:b] = _fit_rows(
            wavelength[a:b], flux[a:b], valid[a:b], degree,
            sigma_lower, sigma_upper, maxiters,
        )
    return continuum, determined


def _fit_rows(wavelength, flux, valid, degree, sigma_lower, sigma_upper, maxiters):
    k = degree + 1
    w_lo = np.where(valid, wavelength, np.inf).min(axis=1, initial=np.inf)
    w_hi = np.where(valid, wavelength, -np.inf).max(axis=1, initial=-np.inf)
    determined = valid.sum(axis=1) >= k
    centre = np.where(determined, (w_lo + w_hi) / 2, 0.0)
    half = np.where(determined & (w_hi > w_lo), (w_hi - w_lo) / 2, 1.0)
    x = (wavelength - centre[:, None]) / half[:, None]
    vander = chebyshev.chebvander(x, degree)  # (n, p, k)
    fz = np.where(valid, flux, 0.0)
    use = valid & determined[:, None]
    for iteration in range(maxiters + 1):
        coef = _solve(vander, use, fz, determined, k)
        continuum = np.einsum("npk,nk->np", vander, coef)
        if iteration == maxiters:
            break
        resid = flux - continuum
        centre_r = masked_median(resid, use)
        dev = resid - centre_r[:, None]
        scale = masked_median(np.abs(dev), use) * _MAD_TO_SIGMA
        with np.errstate(invalid="ignore"):
            keep = use & (dev >= -sigma_lower * scale[:, None]) & (
                dev <= sigma_upper * scale[:, None]
            )
        # No spread (exact fit) or too few pixels left: leave the row alone.
        apply = (scale > 0) & (keep.sum(axis=1) >= k)
        keep = np.where(apply[:, None], keep, use)
        if np.array_equal(keep, use):
            break
        use = keep
    continuum[~determined] = np.nan
    return continuum, determined


def _solve(vander, use, fz, determined, k):
    """Least-squares Chebyshev coefficients of every row, shape (n, k)."""
    weighted = vander * use[..., None]
    gram = np.matmul(weighted.transpose(0, 2, 1), vander)  # (n, k, k)
    rhs = np.einsum("npk,np->nk", weighted, fz)
    gram[~determined] = np.eye(k)
    rhs[~determined] = 0.0
    try:
        return np.linalg.solve(gram, rhs[..., None])[..., 0]
    except np.linalg.LinAlgError:
        coef = np.empty(rhs.shape)
        for i in range(gram.shape[0]):
            coef[i] = np.linalg.lstsq(gram[i], rhs[i], rcond=None)[0]
        return coef
