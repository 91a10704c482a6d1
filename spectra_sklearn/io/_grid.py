"""Shared clean-up of a wavelength grid read from a file."""

import numpy as np

from ._errors import SpectrumReadError

__all__ = ["check_usable", "clean_grid", "inverse_variance"]


def clean_grid(wavelength, arrays):
    """Drop unusable wavelengths and put the grid in order.

    Pixels whose wavelength is non-finite or not positive are dropped. If the
    remaining grid is neither increasing nor decreasing it is sorted (stable)
    and repeated wavelengths are dropped, keeping the first.

    Parameters
    ----------
    wavelength : ndarray of shape (n_pixels,)
        The grid as read.
    arrays : list of ndarray of shape (n_pixels,)
        Arrays that go with the grid (flux, uncertainty, flags ...).

    Returns
    -------
    wavelength : ndarray
    arrays : list of ndarray
    facts : dict
        ``{"n_dropped_pixels": int}`` if pixels were dropped and
        ``{"sorted": True}`` if the grid was sorted; empty otherwise.

    Examples
    --------
    >>> import numpy as np
    >>> from spectra_sklearn.io._grid import clean_grid
    >>> w, (f,), facts = clean_grid(np.array([1.0, 0.0, 3.0, 2.0, 2.0]),
    ...                             [np.array([10.0, 0.0, 30.0, 20.0, 21.0])])
    >>> w.tolist(), f.tolist(), facts
    ([1.0, 2.0, 3.0], [10.0, 20.0, 30.0], {'sorted': True, 'n_dropped_pixels': 2})
    """
    facts = {}
    good = np.isfinite(wavelength) & (wavelength > 0)
    n_dropped = 0
    if not good.all():
        n_dropped = int((~good).sum())
        wavelength = wavelength[good]
        arrays = [a[good] for a in arrays]
    step = np.diff(wavelength)
    if step.size and not ((step > 0).all() or (step < 0).all()):
        order = np.argsort(wavelength, kind="stable")
        wavelength = wavelength[order]
        arrays = [a[order] for a in arrays]
        keep = np.concatenate(([True], np.diff(wavelength) > 0))
        if not keep.all():
            n_dropped += int((~keep).sum())
            wavelength = wavelength[keep]
            arrays = [a[keep] for a in arrays]
        facts["sorted"] = True
    if n_dropped:
        facts["n_dropped_pixels"] = n_dropped
    return wavelength, arrays, facts


def check_usable(path, wavelength, flux, format, facts=None):
    """Raise :class:`SpectrumReadError` if nothing usable is left after cleaning.

    Parameters
    ----------
    path, wavelength, flux, format
        The file, the cleaned grid and flux, the format name.
    facts : dict, default=None
        What :func:`clean_grid` returned: a grid that collapsed to a single
        pixel after dropping pixels is a degenerate wavelength solution.

    Raises
    ------
    SpectrumReadError
        If no pixel has a finite positive wavelength, no flux is finite, or
        the grid collapsed to one wavelength (e.g. a ``LOGLAM`` column of
        zeros or ``CDELT1 = 0``: every pixel at the same wavelength).
    """
    if wavelength.size == 0:
        raise SpectrumReadError(
            path, "no pixel has a finite, positive wavelength (zero-length arrays)",
            format=format)
    dropped = (facts or {}).get("n_dropped_pixels", 0)
    if wavelength.size == 1 and dropped:
        raise SpectrumReadError(
            path, f"degenerate wavelength grid: of {dropped + 1} pixels only one has a "
            "usable, distinct wavelength (the others repeat it or are not finite and "
            "positive); the file's wavelength solution is broken", format=format)
    if not np.isfinite(flux).any():
        raise SpectrumReadError(path, "all flux values are NaN or infinite", format=format)


def inverse_variance(sigma):
    """``1 / sigma**2`` and the pixels where sigma was unusable.

    Returns
    -------
    ivar : ndarray
        ``1 / sigma**2`` where sigma is finite and positive, 0 elsewhere.
    unusable : ndarray of bool
        Where sigma was zero, negative or non-finite.

    Examples
    --------
    >>> import numpy as np
    >>> from spectra_sklearn.io._grid import inverse_variance
    >>> ivar, bad = inverse_variance(np.array([0.5, 0.0, -1.0, np.nan]))
    >>> ivar.tolist(), bad.tolist()
    ([4.0, 0.0, 0.0, 0.0], [False, True, True, True])
    """
    usable = np.isfinite(sigma) & (sigma > 0)
    ivar = np.zeros(sigma.shape, dtype=np.float64)
    np.divide(1.0, sigma * sigma, out=ivar, where=usable)
    return ivar, ~usable
