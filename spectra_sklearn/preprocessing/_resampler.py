"""SpectralResampler: put spectra on one common wavelength grid."""

from numbers import Integral, Real

import numpy as np
from astropy import units as u
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._batch import SpectrumBatch
from .._spectrum import _as_unit
from ._inputs import (
    convert_wavelength,
    float_dtype,
    read_spectra_input,
)
from ._resample_kernels import resample_flux_conserving, resample_linear

__all__ = ["SpectralResampler"]


class SpectralResampler(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Resample spectra onto one common wavelength grid.

    ``fit`` chooses the grid (``wavelength_grid_``); ``transform`` puts every
    spectrum on it, propagating the inverse variance and the mask, so that the
    result is a :class:`~spectra_sklearn.SpectrumBatch` on a common grid, i.e.
    a 2-D array for the estimators that follow in a Pipeline.

    A plain 2-D array is taken as flux on the pixel grid ``0 .. n_features - 1``
    (unit ``pix``); with the default parameters the resampler is then the
    identity.

    Parameters
    ----------
    wavelength_grid : array-like of shape (n_pixels,), default=None
        Explicit output pixel centres, strictly increasing, at least 2, in
        ``wavelength_unit`` (an :class:`~astropy.units.Quantity` brings its
        own unit when ``wavelength_unit`` is None). When given,
        ``wavelength_min``, ``wavelength_max``, ``n_pixels`` and ``spacing``
        are ignored.
    wavelength_min, wavelength_max : float, default=None
        Centres of the first and last output pixels, in ``wavelength_unit``.
        ``None``: the smallest first / largest last pixel centre of the
        training spectra (the union of their coverage).
    n_pixels : int >= 2, default=None
        Number of output pixels. ``None``: the median length of the training
        spectra.
    spacing : {'linear', 'log'}, default='linear'
        ``'linear'``: uniform in wavelength; ``'log'``: uniform in
        ``ln(wavelength)`` (constant resolution, as SDSS's ``loglam``;
        needs ``wavelength_min > 0``).
    wavelength_unit : astropy unit or str, default=None
        Unit of the output grid and of ``wavelength_grid``,
        ``wavelength_min`` and ``wavelength_max``. ``None``: the wavelength
        unit of the first training spectrum (``pix`` for arrays). Every
        spectrum's wavelengths are converted to it with astropy.
    method : {'flux_conserving', 'linear'}, default='flux_conserving'
        ``'flux_conserving'``: each output pixel is a bin reaching half way
        to its neighbours (outer edges extrapolated by half a pixel), and
        its flux is the overlap-weighted mean of the input pixels (bins
        built the same way) it overlaps, as SpectRes [1]_; the variance is
        ``sum((w_i sigma_i)**2) / sum(w_i)**2``. Masked or non-finite input
        pixels get zero weight (the mean renormalises over the valid
        overlap). An output pixel is masked when its bin is not wholly
        inside the input bins or no valid input pixel overlaps it.
        ``'linear'``: linear interpolation between the two input pixels
        bracketing each output centre, variance
        ``(1 - t)**2 sigma_j**2 + t**2 sigma_{j+1}**2``; masked outside the
        input centres and where a bracketing pixel is masked (masked gaps
        are not bridged).
    fill : {'nan', 'zero', 'edge'}, default='nan'
        Flux put in masked output pixels: ``'nan'``; ``'zero'``; ``'edge'``:
        ``np.interp`` over the unmasked output pixels of the same spectrum,
        i.e. linear interpolation between the nearest unmasked pixels on
        either side, and the nearest unmasked value beyond the ends. In all
        cases the pixel stays masked with inverse variance 0; a spectrum
        with no unmasked output pixel at all stays all-NaN whatever the
        fill.

    Attributes
    ----------
    wavelength_grid_ : ndarray of shape (n_pixels,)
        The output pixel centres, in ``wavelength_unit_``.
    wavelength_unit_ : astropy unit
        Unit of ``wavelength_grid_``.
    n_features_in_ : int
        Number of pixels of the training array (only when fitted on an
        array).
    feature_names_in_ : ndarray of str
        Column names of a training DataFrame, when it had string names.

    See Also
    --------
    ContinuumNormalizer : Divide spectra by their continuum.

    Notes
    -----
    The inverse variance is ``1 / variance``: unknown (NaN) input stays NaN,
    an input pixel with inverse variance 0 makes every output pixel it
    overlaps 0, and masked output pixels get 0. Flux units are unchanged
    (the resampled flux is a mean flux density). Spectra with fewer than 2
    pixels have no bin width and give fully masked rows.

    Transform costs O(n_in + n_out) per spectrum, vectorised across spectra
    (no Python loop over pixels or spectra).

    References
    ----------
    .. [1] Carnall, A. C. 2017, "SpectRes: A Fast Spectral Resampling Tool in
       Python", arXiv:1705.05165.

    Examples
    --------
    >>> import numpy as np
    >>> from spectra_sklearn import Spectrum
    >>> from spectra_sklearn.preprocessing import SpectralResampler
    >>> spectra = [
    ...     Spectrum([1.0, 1.25, 1.5, 1.75, 2.0], [1.0, 2.0, 3.0, 4.0, 5.0], ivar=[4.0] * 5),
    ...     Spectrum([1125.0, 1375.0, 1625.0], [2.0, 3.0, 4.0], wavelength_unit="nm"),
    ... ]
    >>> resampler = SpectralResampler(wavelength_grid=[1.125, 1.625], wavelength_unit="um")
    >>> batch = resampler.fit_transform(spectra)
    >>> batch.wavelength_unit
    Unit("um")
    >>> batch.flux
    array([[1.5, 3.5],
           [nan, nan]])
    >>> batch.ivar[0]
    array([8., 8.])
    >>> batch.mask[1]
    array([ True,  True])
    >>> SpectralResampler().fit_transform(np.array([[1.0, 2.0, 3.0]]))
    array([[1., 2., 3.]])
    """

    _parameter_constraints: dict = {
        "wavelength_grid": ["array-like", None],
        "wavelength_min": [Real, None],
        "wavelength_max": [Real, None],
        "n_pixels": [Interval(Integral, 2, None, closed="left"), None],
        "spacing": [StrOptions({"linear", "log"})],
        "wavelength_unit": [str, u.UnitBase, None],
        "method": [StrOptions({"flux_conserving", "linear"})],
        "fill": [StrOptions({"nan", "zero", "edge"})],
    }

    def __init__(
        self,
        *,
        wavelength_grid=None,
        wavelength_min=None,
        wavelength_max=None,
        n_pixels=None,
        spacing="linear",
        wavelength_unit=None,
        method="flux_conserving",
        fill="nan",
    ):
        self.wavelength_grid = wavelength_grid
        self.wavelength_min = wavelength_min
        self.wavelength_max = wavelength_max
        self.n_pixels = n_pixels
        self.spacing = spacing
        self.wavelength_unit = wavelength_unit
        self.method = method
        self.fill = fill

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Choose the common wavelength grid.

        Parameters
        ----------
        X : SpectrumBatch, Spectrum, list of Spectrum, or array-like of shape (n_spectra, n_pixels)
            Training spectra (arrays: flux on the pixel grid, unit ``pix``).
        y : None
            Ignored.

        Returns
        -------
        self : SpectralResampler
            Fitted resampler.

        Raises
        ------
        ValueError
            If ``wavelength_grid`` is not 1-D, finite and strictly increasing
            with at least 2 pixels; if ``wavelength_min >= wavelength_max``;
            if ``spacing='log'`` with ``wavelength_min <= 0``; if fewer than 2
            output pixels would result; or if a unit cannot be parsed or the
            spectra's wavelength unit cannot be converted to
            ``wavelength_unit``.
        """
        batch, from_array = read_spectra_input(self, X, reset=True)
        name = type(self).__name__
        unit = _as_unit(self.wavelength_unit, "wavelength_unit", name)
        grid = self.wavelength_grid
        if isinstance(grid, u.Quantity):
            if unit is None:
                unit = grid.unit
            try:
                grid = grid.to_value(unit)
            except u.UnitConversionError:
                raise ValueError(
                    f"The 'wavelength_grid' parameter of {name} is in {grid.unit}, which "
                    f"cannot be converted to wavelength_unit={unit}."
                ) from None
        if unit is None:
            unit = batch.wavelength_unit
        # Check every input unit converts, even when the grid is given.
        grids = [
            (convert_wavelength(w, wunit, unit, "wavelength_unit", name), count)
            for w, count, wunit in _input_grids(batch)
        ]
        if grid is not None:
            grid = _check_grid(grid, name)
        else:
            grid = self._make_grid(grids, name, from_array)
        self.wavelength_grid_ = grid
        self.wavelength_unit_ = unit
        self._n_features_out = grid.shape[0]
        return self

    def _make_grid(self, grids, name, from_array):
        n = self.n_pixels
        if n is None:
            lengths = np.repeat([w.size for w, _ in grids], [c for _, c in grids])
            n = int(np.round(np.median(lengths)))
            if n < 2:
                what = f"{n} feature(s)" if from_array else f"{n} pixel(s)"
                raise ValueError(
                    f"{name} needs at least 2 output pixels, but the training spectra "
                    f"have a median of {what}. Set n_pixels or wavelength_grid."
                )
        lo = self.wavelength_min
        hi = self.wavelength_max
        nonempty = [w for w, _ in grids if w.size]
        if (lo is None or hi is None) and not nonempty:
            raise ValueError(f"{name}: the training spectra have no pixels.")
        if lo is None:
            lo = min(w[0] for w in nonempty)
        if hi is None:
            hi = max(w[-1] for w in nonempty)
        lo, hi = float(lo), float(hi)
        if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
            raise ValueError(
                f"{name} needs wavelength_min < wavelength_max (finite); got "
                f"wavelength_min={lo!r} and wavelength_max={hi!r}"
                + (
                    " (taken from the training spectra's coverage)."
                    if self.wavelength_min is None or self.wavelength_max is None
                    else "."
                )
            )
        if self.spacing == "log":
            if lo <= 0:
                raise ValueError(
                    f"{name} with spacing='log' needs wavelength_min > 0; got "
                    f"wavelength_min={lo!r}."
                )
            grid = np.exp(np.linspace(np.log(lo), np.log(hi), n))
            grid[0], grid[-1] = lo, hi
        else:
            grid = np.linspace(lo, hi, n)
        if np.any(np.diff(grid) <= 0):
            raise ValueError(
                f"{name}: {n} pixels between {lo!r} and {hi!r} do not give a strictly "
                "increasing grid (range too narrow for float64)."
            )
        return grid

    def transform(self, X):
        """Resample spectra onto ``wavelength_grid_``.

        Parameters
        ----------
        X : SpectrumBatch, Spectrum, list of Spectrum, or array-like of shape (n_spectra, n_features_in_)
            Spectra to resample; wavelengths are converted to
            ``wavelength_unit_``.

        Returns
        -------
        X_out : SpectrumBatch or ndarray of shape (n_spectra, n_pixels)
            A batch on the common grid (flux, inverse variance, mask, flux
            units and metadata carried over), or the 2-D resampled flux when
            ``X`` was an array. float32 flux stays float32, anything else is
            float64.

        Raises
        ------
        ValueError
            If a spectrum's wavelength unit cannot be converted to
            ``wavelength_unit_``, or an array has the wrong number of columns.
        """
        check_is_fitted(self)
        batch, from_array = read_spectra_input(self, X, reset=False)
        dtype = float_dtype(batch)
        flux, ivar, mask = self._resample(batch)
        _apply_fill(self.fill, self.wavelength_grid_, flux, mask)
        flux = flux.astype(dtype, copy=False)
        if from_array:
            return flux
        return SpectrumBatch.from_arrays(
            self.wavelength_grid_.copy(),
            flux,
            ivar.astype(dtype, copy=False),
            mask,
            wavelength_unit=self.wavelength_unit_,
            flux_unit=batch.flux_units,
            meta=batch.meta,
        )

    def _resample(self, batch):
        name = type(self).__name__
        kernel = (
            resample_flux_conserving if self.method == "flux_conserving" else resample_linear
        )
        grid = self.wavelength_grid_
        if batch.on_common_grid:
            return kernel(
                grid,
                convert_wavelength(batch.wavelength, batch.wavelength_unit,
                                   self.wavelength_unit_, "wavelength_unit", name),
                np.asarray(batch.flux, dtype=np.float64),
                np.asarray(batch.ivar, dtype=np.float64),
                ~batch.mask,
            )
        spectra = batch.spectra
        return kernel(
            grid,
            np.concatenate([
                convert_wavelength(s.wavelength, s.wavelength_unit, self.wavelength_unit_,
                                   "wavelength_unit", name)
                for s in spectra
            ]),
            np.concatenate([s.flux for s in spectra]),
            np.concatenate([s.ivar for s in spectra]),
            ~np.concatenate([s.mask for s in spectra]),
            lengths=np.array([s.n_pixels for s in spectra], dtype=np.intp),
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


def _input_grids(batch):
    """``[(wavelength, count, unit), ...]``: input grids and how many spectra use each."""
    if batch.on_common_grid:
        return [(batch.wavelength, len(batch), batch.wavelength_unit)]
    return [(s.wavelength, 1, s.wavelength_unit) for s in batch.spectra]


def _check_grid(grid, name):
    try:
        grid = np.asarray(grid, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"The 'wavelength_grid' parameter of {name} must be a 1-D array of numbers; "
            f"got {grid!r}."
        ) from None
    if grid.ndim != 1 or grid.shape[0] < 2:
        raise ValueError(
            f"The 'wavelength_grid' parameter of {name} must be a 1-D array of at least "
            f"2 pixel centres; got shape {grid.shape}."
        )
    if not np.all(np.isfinite(grid)):
        raise ValueError(
            f"The 'wavelength_grid' parameter of {name} must be finite; got "
            f"{int(np.sum(~np.isfinite(grid)))} non-finite values."
        )
    if np.any(np.diff(grid) <= 0):
        raise ValueError(
            f"The 'wavelength_grid' parameter of {name} must be strictly increasing; "
            f"found {int(np.sum(np.diff(grid) <= 0))} steps that are not."
        )
    return grid.copy()


def _apply_fill(fill, grid, flux, mask):
    """Put the ``fill`` flux into the masked pixels of ``flux`` (in place)."""
    if fill == "nan":
        flux[mask] = np.nan
        return
    if fill == "zero":
        flux[mask] = 0.0
        flux[mask.all(axis=1)] = np.nan  # nothing valid at all: leave it visible
        return
    # 'edge': np.interp over the unmasked pixels of each row, vectorised.
    n, m = flux.shape
    good = ~mask
    has_any = good.any(axis=1)
    cols = np.arange(m)
    prev = np.maximum.accumulate(np.where(good, cols, -1), axis=1)
    nxt = np.minimum.accumulate(np.where(good, cols, m)[:, ::-1], axis=1)[:, ::-1]
    rows = np.arange(n)[:, None]
    p = np.clip(prev, 0, m - 1)
    q = np.clip(nxt, 0, m - 1)
    fp, fq = flux[rows, p], flux[rows, q]
    gp, gq = grid[p], grid[q]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (grid[None, :] - gp) / (gq - gp)
        inner = fp + t * (fq - fp)
    value = np.where(prev < 0, fq, np.where(nxt >= m, fp, inner))
    value = np.where(prev == nxt, fp, value)
    fill_here = mask & has_any[:, None]
    flux[fill_here] = value[fill_here]
    flux[mask & ~has_any[:, None]] = np.nan
