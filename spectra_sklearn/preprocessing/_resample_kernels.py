"""Resample many spectra onto one new wavelength grid: data layout and driver.

The spectra come from a :class:`RowSource`: either one grid shared by all
rows (2-D flux), or a list of spectra each on its own grid (lengths may
differ). They are handed to the compiled kernels (:mod:`._resample_flux`,
:mod:`._resample_interp`) in *chunks of consecutive rows* of about
``_CHUNK_PIXELS`` input pixels, each chunk as flat float64 arrays with
offsets (no padding): the kernels loop over the spectra of a chunk and write
straight into the preallocated output rows. Shared-grid float64 rows are
passed as views; ragged spectra are copied into buffers reused from chunk to
chunk, so peak memory is the output plus a few chunk-sized buffers whatever
the number of spectra.

All computation is in float64; callers choose the output dtype. Inverse
variance ``ivar``: ``NaN`` = unknown, ``0`` = no information, ``inf`` =
exact. ``mask``: ``True`` = bad pixel.
"""

import numpy as np

__all__ = [
    "Chunk",
    "RowSource",
    "bin_edges",
    "resample",
]

#: Input pixels per chunk of spectra: the size of the buffers the ragged
#: spectra are copied into.
_CHUNK_PIXELS = 1 << 16


def bin_edges(wavelength):
    """Bin edges of pixels centred on ``wavelength``, exactly as SpectRes.

    Inner edges are the midpoints between neighbouring centres; the two outer
    edges are extrapolated by half of the first and last pixel spacing
    (``spectres.make_bins``, Carnall 2017).

    Parameters
    ----------
    wavelength : ndarray of shape (n,)
        Strictly increasing pixel centres, ``n >= 2``.

    Returns
    -------
    edges : ndarray of shape (n + 1,)

    Notes
    -----
    The one pixel-edge computation of the package: the compiled kernels call
    :func:`~._resample_numba.grid_edges` (which also opens bins at gaps)
    directly, and this is the same function without gaps.
    """
    from ._resample_numba import grid_edges

    w = np.ascontiguousarray(wavelength, dtype=np.float64)
    n = w.shape[0]
    left, right = np.empty(n), np.empty(n)
    grid_edges(w, 0.0, left, right, np.empty(max(n - 1, 0), dtype=bool))
    return np.append(left, right[-1])


class Chunk:
    """Consecutive spectra as flat arrays, the kernels' arguments.

    Attributes
    ----------
    wave : float64 ndarray
        Concatenated input grids (one grid when the rows share it).
    grid_off : int64 ndarray of shape (n_grids + 1,)
        Grid ``g`` is ``wave[grid_off[g]:grid_off[g + 1]]``.
    row_grid : int64 ndarray of shape (n_rows,)
        Grid of each spectrum.
    data_off : int64 ndarray of shape (n_rows,)
        Start of each spectrum in ``flux``, ``ivar`` and ``mask``.
    flux, ivar : float64 ndarray
    mask : bool ndarray
    """

    def __init__(self, wave, grid_off, row_grid, data_off, flux, ivar, mask):
        self.wave = wave
        self.grid_off = grid_off
        self.row_grid = row_grid
        self.data_off = data_off
        self.flux = flux
        self.ivar = ivar
        self.mask = mask

    @property
    def layout(self):
        return (self.wave, self.grid_off, self.row_grid, self.data_off)


def _f8(a):
    return np.ascontiguousarray(a, dtype=np.float64).ravel()


def _flat_bool(a):
    return np.ascontiguousarray(a, dtype=np.bool_).ravel()


class RowSource:
    """Spectra to resample, in chunks of flat float64 arrays.

    Use :meth:`shared` (one grid, 2-D arrays) or :meth:`ragged` (lists of
    1-D arrays, one grid per spectrum, in the output unit already).
    """

    def __init__(self, n_rows, chunks):
        self.n_rows = n_rows
        self._chunks = chunks

    @classmethod
    def shared(cls, wavelength, flux, ivar, mask):
        """Spectra on one grid: ``wavelength`` (m,), the rest (n, m); mask True = bad."""
        wave = _f8(wavelength)
        n, m = flux.shape
        grid_off = np.array([0, m], dtype=np.int64)

        def chunks():
            per = max(1, _CHUNK_PIXELS // max(m, 1))
            for a in range(0, n, per):
                b = min(a + per, n)
                yield a, b, Chunk(
                    wave, grid_off, np.zeros(b - a, dtype=np.int64),
                    np.arange(b - a, dtype=np.int64) * m,
                    _f8(flux[a:b]), _f8(ivar[a:b]), _flat_bool(mask[a:b]),
                )

        return cls(n, chunks)

    @classmethod
    def ragged(cls, wavelengths, fluxes, ivars, masks):
        """Spectra on their own grids: lists of 1-D arrays (mask True = bad)."""
        n = len(fluxes)
        lengths = np.fromiter((f.shape[0] for f in fluxes), dtype=np.int64, count=n)
        ends = np.cumsum(lengths)

        def chunks():
            limit = _CHUNK_PIXELS
            size = int(max(limit, lengths.max(initial=0)))
            buffers = None
            a = 0
            while a < n:
                start = ends[a] - lengths[a]
                # consecutive rows with at most `limit` pixels (at least one row)
                b = max(a + 1, int(np.searchsorted(ends, start + limit, side="right")))
                total = int(ends[b - 1] - start)
                if buffers is None:
                    buffers = (np.empty(size), np.empty(size), np.empty(size),
                               np.empty(size, dtype=np.bool_))
                wave, flux, ivar, mask = (buf[:total] for buf in buffers)
                if b - a == 1:
                    wave[:] = wavelengths[a]
                    flux[:] = fluxes[a]
                    ivar[:] = ivars[a]
                    mask[:] = masks[a]
                else:
                    np.concatenate(wavelengths[a:b], out=wave)
                    np.concatenate(fluxes[a:b], out=flux)
                    np.concatenate(ivars[a:b], out=ivar)
                    np.concatenate(masks[a:b], out=mask)
                offsets = ends[a:b] - lengths[a:b] - start
                grid_off = np.empty(b - a + 1, dtype=np.int64)
                grid_off[:-1] = offsets
                grid_off[-1] = total
                yield a, b, Chunk(wave, grid_off, np.arange(b - a, dtype=np.int64),
                                  offsets, flux, ivar, mask)
                a = b

        return cls(n, chunks)

    def chunks(self):
        """Yield ``(first_row, stop_row, Chunk)``."""
        return self._chunks()


def resample(method, new_wavelength, source, *, new_edges=None, out_dtype=np.float64,
             gap_factor=None, min_coverage=0.0, return_coverage=False):
    """Resample every spectrum of ``source`` onto ``new_wavelength``.

    Parameters
    ----------
    method : {'flux_conserving', 'linear', 'cubic_spline'}
    new_wavelength : ndarray of shape (n_out,)
        Output pixel centres, strictly increasing, ``n_out >= 2``.
    source : RowSource
    new_edges : ndarray of shape (n_out + 1,), default=None
        Output bin edges (flux-conserving method and coverage); ``None``:
        :func:`bin_edges` of ``new_wavelength``.
    out_dtype : dtype, default=float64
        dtype of the flux, inverse variance and coverage returned.
    gap_factor : float or None, default=None
        Input spacings larger than this times the spectrum's median spacing
        are gaps (see :func:`~._resample_numba.grid_edges`).
    min_coverage : float, default=0
        Output pixels whose bin is covered by valid input less than this
        (fraction) are masked.
    return_coverage : bool, default=False
        Also return the covered fraction of each output pixel.

    Returns
    -------
    flux, ivar : ndarray of shape (n_spectra, n_out)
        ``NaN`` flux and ``0`` inverse variance where masked.
    mask : ndarray of bool of shape (n_spectra, n_out)
    coverage : ndarray of shape (n_spectra, n_out) or None
    """
    from ._resample_flux import flux_conserving_rows
    from ._resample_interp import interpolate_rows

    x = _f8(new_wavelength)
    new_edges = bin_edges(x) if new_edges is None else _f8(new_edges)
    gap = 0.0 if gap_factor is None else float(gap_factor)
    min_coverage = float(min_coverage)
    n, n_out = source.n_rows, x.shape[0]
    out_flux = np.empty((n, n_out), dtype=out_dtype)
    out_ivar = np.empty((n, n_out), dtype=out_dtype)
    out_mask = np.empty((n, n_out), dtype=bool)
    out_cov = np.empty((n if return_coverage else 0, n_out), dtype=out_dtype)
    interpolating = method != "flux_conserving"
    cov_pass = interpolating and (return_coverage or min_coverage > 0)
    for a, b, c in source.chunks():
        f, iv, m = out_flux[a:b], out_ivar[a:b], out_mask[a:b]
        cov = out_cov[a:b] if return_coverage else out_cov
        if not interpolating:
            flux_conserving_rows(*c.layout, c.flux, c.ivar, c.mask, new_edges, gap,
                                 min_coverage, False, f, iv, m, cov)
            continue
        interpolate_rows(*c.layout, c.flux, c.ivar, c.mask, x, gap, method == "cubic_spline",
                         f, iv, m)
        if cov_pass:  # covered fraction, and min_coverage applied to the result
            flux_conserving_rows(*c.layout, c.flux, c.ivar, c.mask, new_edges, gap,
                                 min_coverage, True, f, iv, m, cov)
    return out_flux, out_ivar, out_mask, (out_cov if return_coverage else None)
