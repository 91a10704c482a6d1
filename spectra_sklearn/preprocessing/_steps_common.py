"""Machinery shared by the per-spectrum preprocessing steps.

Every step here is stateless (each spectrum is transformed on its own, like
scikit-learn's :class:`~sklearn.preprocessing.Normalizer`). A step implements
``_transform_group(group)`` on a :class:`Group`: the spectra of one wavelength
grid as 2-D float64 arrays. :class:`SpectrumStep` feeds it the whole batch at
once when the spectra share a grid, one spectrum at a time when they do not,
and reassembles the result as the input came: a plain array for an array, a
:class:`~spectra_sklearn.SpectrumBatch` otherwise.
"""

from dataclasses import dataclass, replace

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils.validation import check_is_fitted

from .._batch import SpectrumBatch
from .._spectrum import Spectrum
from ._inputs import float_dtype, read_spectra_input

__all__ = [
    "Group",
    "SpectrumStep",
    "FWHM_PER_SIGMA",
    "gaussian_matrix",
    "pixel_edges",
    "spectrum_label",
]

#: FWHM of a Gaussian in units of its standard deviation, 2 sqrt(2 ln 2).
FWHM_PER_SIGMA = 2.0 * np.sqrt(2.0 * np.log(2.0))


@dataclass
class Group:
    """Spectra sharing one wavelength grid, as arrays (float64).

    ``wavelength`` is ``(n_pixels,)`` on input; a step may return it as
    ``(n_spectra, n_pixels)`` when each output row gets its own grid.
    ``rows`` are the positions of the spectra in the batch (for messages).
    """

    wavelength: np.ndarray
    wavelength_unit: object
    flux: np.ndarray
    ivar: np.ndarray
    mask: np.ndarray
    flux_units: list
    meta: list
    rows: np.ndarray

    def replace(self, **changes):
        """A copy with ``changes`` applied."""
        return replace(self, **changes)


def spectrum_label(meta, row):
    """``"spectrum 3 ('path/to/file.fits')"`` for error messages."""
    source = meta.get("source") if isinstance(meta, dict) else None
    return f"spectrum {row}" + (f" ({source!r})" if source else "")


class SpectrumStep(TransformerMixin, BaseEstimator):
    """Base of the stateless per-spectrum steps (private).

    Subclasses define ``_transform_group`` and may define ``_check_params``
    (checks across parameters, run in ``fit`` and ``transform``). Class
    attribute ``_array_identity``: plain arrays (no wavelengths, no metadata)
    are returned unchanged, after validation.
    """

    _array_identity = False

    def _check_params(self):
        """Checks across parameters; raise ValueError naming them."""

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the parameters (and record ``n_features_in_`` for arrays).

        Nothing is learnt: the step is stateless and ``transform`` works
        without ``fit``.

        Parameters
        ----------
        X : SpectrumBatch, Spectrum, list of Spectrum, or array-like of shape (n_spectra, n_pixels)
            Spectra (arrays: flux on the pixel grid ``0 .. n_pixels - 1``,
            unit ``pix``).
        y : None
            Ignored.

        Returns
        -------
        self : object
            The step itself.

        Raises
        ------
        ValueError
            If the parameters are invalid or inconsistent.
        """
        self._check_params()
        read_spectra_input(self, X, reset=True)
        return self

    def __sklearn_is_fitted__(self):
        # Stateless: nothing is learnt, transform works without fit.
        return True

    def transform(self, X):
        """Apply the step to every spectrum.

        Parameters
        ----------
        X : SpectrumBatch, Spectrum, list of Spectrum, or array-like of shape (n_spectra, n_pixels)
            Spectra (arrays: flux on the pixel grid, unit ``pix``).

        Returns
        -------
        X_out : SpectrumBatch or ndarray of shape (n_spectra, n_pixels_out)
            The same kind as ``X``: an array for an array (float32 kept), a
            batch otherwise (a single Spectrum gives a batch of one), with
            inverse variance, mask, flux units and metadata carried along.

        Raises
        ------
        ValueError
            If the parameters are invalid, an array has the wrong number of
            columns, or a spectrum cannot be transformed (the message names
            it and the reason).
        """
        check_is_fitted(self)
        self._validate_params()
        self._check_params()
        batch, from_array = read_spectra_input(self, X, reset=False)
        dtype = float_dtype(batch)
        if from_array and self._array_identity:
            return np.array(batch.flux, dtype=dtype, copy=True)
        if batch.on_common_grid:
            groups = [Group(
                batch.wavelength, batch.wavelength_unit,
                np.array(batch.flux, dtype=np.float64),
                np.array(batch.ivar, dtype=np.float64),
                np.array(batch.mask, dtype=bool),
                batch.flux_units, [dict(m) for m in batch.meta],
                np.arange(len(batch)),
            )]
        else:
            groups = [
                Group(s.wavelength, s.wavelength_unit, s.flux[None, :].copy(),
                      s.ivar[None, :].copy(), s.mask[None, :].copy(), [s.flux_unit],
                      [dict(s.meta)], np.array([i]))
                for i, s in enumerate(batch.spectra)
            ]
        out = [self._transform_group(g) for g in groups]
        if from_array:
            return out[0].flux.astype(dtype, copy=False)
        if len(out) == 1 and np.ndim(out[0].wavelength) == 1 and batch.on_common_grid:
            g = out[0]
            return SpectrumBatch.from_arrays(
                g.wavelength, g.flux.astype(dtype, copy=False),
                g.ivar.astype(dtype, copy=False), g.mask,
                wavelength_unit=g.wavelength_unit, flux_unit=g.flux_units, meta=g.meta,
            )
        spectra = []
        for g in out:
            wavelength = np.asarray(g.wavelength)
            for k in range(g.flux.shape[0]):
                spectra.append(Spectrum(
                    wavelength if wavelength.ndim == 1 else wavelength[k],
                    g.flux[k], g.ivar[k], g.mask[k],
                    wavelength_unit=g.wavelength_unit, flux_unit=g.flux_units[k],
                    meta=g.meta[k],
                ))
        return SpectrumBatch(spectra)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.allow_nan = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


def pixel_edges(wavelength):
    """Pixel edges half way between centres, the outer ones half a pixel out.

    Parameters
    ----------
    wavelength : ndarray of shape (n_pixels,)
        Strictly increasing pixel centres, ``n_pixels >= 2``.

    Returns
    -------
    edges : ndarray of shape (n_pixels + 1,)
    """
    mid = 0.5 * (wavelength[1:] + wavelength[:-1])
    return np.concatenate((
        [wavelength[0] - (mid[0] - wavelength[0])], mid,
        [wavelength[-1] + (wavelength[-1] - mid[-1])],
    ))


def gaussian_matrix(wavelength, sigma, truncate):
    """Sparse Gaussian smoothing operator with a width per output pixel.

    Row ``i`` holds the weights of the input pixels for output pixel ``i``:
    a Gaussian centred on ``wavelength[i]`` with standard deviation
    ``sigma[i]``, sampled at the input pixel centres and multiplied by the
    pixel widths (bounded by :func:`pixel_edges`), i.e. the midpoint rule
    for ``integral f(x) K(x_i - x) dx``, so the second moments of the input
    and the kernel add exactly. Pixels farther than ``truncate * sigma[i]``
    get no weight; a zero ``sigma`` gives the identity row. Rows are not
    normalised (callers divide by the weight of the valid pixels).

    Parameters
    ----------
    wavelength : ndarray of shape (n_pixels,)
        Strictly increasing pixel centres.
    sigma : ndarray of shape (n_pixels,)
        Non-negative kernel widths, in the unit of ``wavelength``.
    truncate : float
        Half-width of the kernel support, in standard deviations.

    Returns
    -------
    scipy.sparse.csr_array of shape (n_pixels, n_pixels)
        Non-negative weights; zero weights are not stored.
    """
    n = wavelength.shape[0]
    if n < 2:
        return sparse.csr_array(np.ones((n, n)))
    edges = pixel_edges(wavelength)
    reach = truncate * sigma
    idx = np.arange(n)
    lo = np.minimum(np.searchsorted(wavelength, wavelength - reach, side="left"), idx)
    hi = np.maximum(np.searchsorted(wavelength, wavelength + reach, side="right"), idx + 1)
    counts = hi - lo
    rows = np.repeat(idx, counts)
    start = np.cumsum(counts) - counts
    cols = lo[rows] + (np.arange(rows.size) - start[rows])
    s = sigma[rows]
    sharp = s <= 0
    s_safe = np.where(sharp, 1.0, s)
    offset = (wavelength[cols] - wavelength[rows]) / s_safe
    weights = np.exp(-0.5 * offset**2) * np.diff(edges)[cols] / s_safe
    weights = np.where(sharp, (cols == rows).astype(float), weights)
    matrix = sparse.csr_array((weights, (rows, cols)), shape=(n, n))
    matrix.eliminate_zeros()
    return matrix
