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
from .._quantity import as_unit
from ._inputs import (
    convert_wavelength,
    float_dtype,
    read_spectra_input,
    wavelength_limits,
)
from ._resample_kernels import RowSource, bin_edges, resample

__all__ = ["SpectralResampler"]


class SpectralResampler(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Resample spectra onto one common wavelength grid.

    ``fit`` chooses the grid (``wavelength_grid_``, bin edges
    ``wavelength_edges_``); ``transform`` puts every spectrum on it,
    propagating the inverse variance and the mask, so that the result is a
    :class:`~spectra_sklearn.SpectrumBatch` on a common grid, i.e. a 2-D
    array for the estimators that follow in a Pipeline. Every spectrum may
    have its own input grid (own length, own spacing, gaps); all spectra are
    resampled in one call to compiled kernels, in chunks of bounded memory.

    A plain 2-D array is taken as flux on the pixel grid ``0 .. n_features - 1``
    (unit ``pix``); with the default parameters the resampler is then the
    identity.

    Parameters
    ----------
    wavelength_grid : array-like of shape (n_pixels,), default=None
        Explicit output pixel centres, strictly increasing, at least 2, in
        ``wavelength_unit`` (an :class:`~astropy.units.Quantity` brings its
        own unit when ``wavelength_unit`` is None). The output bins then meet
        half way between centres, the outer ones extended by half a pixel
        (as SpectRes). When given, ``wavelength_min``, ``wavelength_max``,
        ``n_pixels`` and ``spacing`` are ignored.
    wavelength_edges : array-like of shape (n_pixels + 1,), default=None
        Explicit output bin edges instead (strictly increasing, at least 3);
        the pixel centres are the midpoints of the bins. Cannot be combined
        with ``wavelength_grid``.
    wavelength_min, wavelength_max : float or astropy Quantity, default=None
        Centres of the first and last output pixels, in ``wavelength_unit``;
        a Quantity (wavelength, frequency, energy or wavenumber) is converted
        with :func:`astropy.units.spectral`. ``None``: the smallest first /
        largest last pixel centre of the training spectra (the union of their
        coverage).
    n_pixels : int >= 2, default=None
        Number of output pixels. ``None``: the median length of the training
        spectra.
    spacing : {'linear', 'log'}, default='linear'
        ``'linear'``: uniform in wavelength; ``'log'``: uniform in
        ``ln(wavelength)`` (constant resolution, as SDSS's ``loglam``;
        needs ``wavelength_min > 0``).
    wavelength_unit : astropy unit or str, default=None
        Unit of the output grid and of ``wavelength_grid``,
        ``wavelength_edges``, ``wavelength_min`` and ``wavelength_max``.
        ``None``: the wavelength unit of the first training spectrum
        (``pix`` for arrays). Every spectrum's wavelengths are converted to it
        with astropy.
    method : {'flux_conserving', 'linear', 'cubic_spline'}, default='flux_conserving'
        ``'flux_conserving'`` (SpectRes, Carnall 2017 [1]_): each input and
        output pixel is a bin (see ``wavelength_grid``); an output pixel's
        flux is the overlap-weighted mean of the valid input pixels its bin
        overlaps, so the integrated flux is conserved; variance
        ``sum((w_i sigma_i)**2) / sum(w_i)**2`` with overlap widths ``w_i``.
        A bin inside one valid input pixel takes that pixel's values. Masked
        input pixels get zero weight (the mean renormalises over the valid
        overlap). The output pixel is masked when its bin is not wholly
        inside the input bins or no valid input pixel overlaps it.

        ``'linear'``: linear interpolation between the two input pixels
        bracketing each output centre, variance
        ``(1 - t)**2 sigma_j**2 + t**2 sigma_{j+1}**2``.

        ``'cubic_spline'``: not-a-knot cubic spline [2]_ through the valid
        pixels of each run of unmasked, gap-free input pixels (a run of 3
        gives a parabola, of 2 a line), solved per run in O(n) (the
        not-a-knot equations substituted into their neighbours leave a
        diagonally dominant tridiagonal system). Variance: as ``'linear'`` (the weights of the two
        bracketing pixels). This is exact at input pixel centres and an
        approximation between them: the spline's weights extend to further
        pixels (decaying by ``2 - sqrt(3) = 0.27`` per pixel [2]_), which
        this neglects; for uncorrelated noise of equal size the true
        variance half way between two centres is up to ~1.4 times the one
        reported.

        For the interpolating methods an output pixel is masked outside the
        first and last input centres, inside a gap, and when an input pixel
        with a non-zero weight is masked (masked gaps are not bridged). An
        output centre exactly on a valid input centre takes its values.
    fill : {'nan', 'zero', 'edge'}, default='nan'
        Flux put in masked output pixels: ``'nan'``; ``'zero'``; ``'edge'``:
        ``np.interp`` over the unmasked output pixels of the same spectrum,
        i.e. linear interpolation between the nearest unmasked pixels on
        either side, and the nearest unmasked value beyond the ends. In all
        cases the pixel stays masked with inverse variance 0; a spectrum
        with no unmasked output pixel at all stays all-NaN whatever the
        fill.
    min_coverage : float in [0, 1], default=0.0
        Mask output pixels whose *covered fraction* -- the fraction of their
        bin overlapped by valid (unmasked, non-gap) input pixel bins, see
        :meth:`covered_fraction` -- is below this, whatever the ``method``.
        ``0`` masks none for this reason (an output pixel with some valid
        input is kept, as SpectRes); ``1`` keeps only fully covered pixels.
    gap_factor : float > 1, default=None
        Detect gaps in the input grids: a spacing between two neighbouring
        input pixel centres larger than ``gap_factor`` times the median
        spacing of that spectrum is a gap. The two pixels' bins then stop at
        half their other-side spacing instead of meeting half way, so the
        gap is not covered: output pixels in it are masked (covered fraction
        0) and those overlapping it partly have a covered fraction below 1.
        ``None``: no gap detection; bins always meet half way (SpectRes).

    Attributes
    ----------
    wavelength_grid_ : ndarray of shape (n_pixels,)
        The output pixel centres, in ``wavelength_unit_``.
    wavelength_edges_ : ndarray of shape (n_pixels + 1,)
        The output bin edges, in ``wavelength_unit_``.
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
    overlaps (flux-conserving) or it has a non-zero weight in (interpolating)
    0, and masked output pixels get 0. Flux units are unchanged (the
    resampled flux is a mean flux density). Spectra with fewer than 2 pixels
    have no bin width and give fully masked rows. Input grids given in
    decreasing order are reversed by :class:`~spectra_sklearn.Spectrum`.

    Computation is in float64 whatever the input; float32 flux gives float32
    output. Transform costs O(n_in + n_out) per spectrum: compiled kernels
    (numba, compiled once per machine and cached; IEEE-exact, no fast-math)
    walk each spectrum's input pixels and the output pixels together in one
    pass, writing straight into the output arrays. The flux-conserving sums
    are direct sums, as SpectRes's (not differences of cumulative sums).
    Spectra on their own grids are copied, a chunk of about a hundred
    thousand pixels at a time, into reused buffers, so peak memory is the
    output plus a few megabytes. The first call on a machine compiles the
    kernels (seconds); later ones load them from numba's cache.

    References
    ----------
    .. [1] Carnall, A. C. 2017, "SpectRes: A Fast Spectral Resampling Tool in
       Python", arXiv:1705.05165.
    .. [2] de Boor, C. 1978, "A Practical Guide to Splines", Springer
       (not-a-knot end conditions; decay of the cubic spline's weights).

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
    >>> resampler.covered_fraction(spectra)
    array([[1.  , 1.  ],
           [0.75, 0.75]])
    >>> SpectralResampler().fit_transform(np.array([[1.0, 2.0, 3.0]]))
    array([[1., 2., 3.]])
    """

    @property
    def _conserves_flux(self):
        # checked by spectra_sklearn.utils.estimator_checks.check_flux_conserved
        return self.method == "flux_conserving"

    _parameter_constraints: dict = {
        "wavelength_grid": ["array-like", None],
        "wavelength_edges": ["array-like", None],
        "wavelength_min": [Real, u.Quantity, None],
        "wavelength_max": [Real, u.Quantity, None],
        "n_pixels": [Interval(Integral, 2, None, closed="left"), None],
        "spacing": [StrOptions({"linear", "log"})],
        "wavelength_unit": [str, u.UnitBase, None],
        "method": [StrOptions({"flux_conserving", "linear", "cubic_spline"})],
        "fill": [StrOptions({"nan", "zero", "edge"})],
        "min_coverage": [Interval(Real, 0, 1, closed="both")],
        "gap_factor": [Interval(Real, 1, None, closed="neither"), None],
    }

    def __init__(
        self,
        *,
        wavelength_grid=None,
        wavelength_edges=None,
        wavelength_min=None,
        wavelength_max=None,
        n_pixels=None,
        spacing="linear",
        wavelength_unit=None,
        method="flux_conserving",
        fill="nan",
        min_coverage=0.0,
        gap_factor=None,
    ):
        self.wavelength_grid = wavelength_grid
        self.wavelength_edges = wavelength_edges
        self.wavelength_min = wavelength_min
        self.wavelength_max = wavelength_max
        self.n_pixels = n_pixels
        self.spacing = spacing
        self.wavelength_unit = wavelength_unit
        self.method = method
        self.fill = fill
        self.min_coverage = min_coverage
        self.gap_factor = gap_factor

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
            If ``wavelength_grid`` (``wavelength_edges``) is not 1-D, finite
            and strictly increasing with at least 2 pixels; if both are
            given; if ``wavelength_min >= wavelength_max``; if
            ``spacing='log'`` with ``wavelength_min <= 0``; if fewer than 2
            output pixels would result; or if a unit cannot be parsed or the
            spectra's wavelength unit cannot be converted to
            ``wavelength_unit``.
        """
        batch, from_array = read_spectra_input(self, X, reset=True)
        name = type(self).__name__
        if self.wavelength_grid is not None and self.wavelength_edges is not None:
            raise ValueError(
                f"{name} takes wavelength_grid (pixel centres) or wavelength_edges (bin "
                "edges), not both."
            )
        unit = as_unit(self.wavelength_unit, "wavelength_unit", name)
        explicit, param = self.wavelength_grid, "wavelength_grid"
        if explicit is None and self.wavelength_edges is not None:
            explicit, param = self.wavelength_edges, "wavelength_edges"
        if isinstance(explicit, u.Quantity):
            if unit is None:
                unit = explicit.unit
            try:
                explicit = explicit.to_value(unit)
            except u.UnitConversionError:
                raise ValueError(
                    f"The {param!r} parameter of {name} is in {explicit.unit}, which "
                    f"cannot be converted to wavelength_unit={unit}."
                ) from None
        if unit is None:
            unit = batch.wavelength_unit
        # Check every input unit converts, even when the grid is given.
        grids = [
            (convert_wavelength(w, wunit, unit, "wavelength_unit", name), count)
            for w, count, wunit in _input_grids(batch)
        ]
        if explicit is None:
            grid = self._make_grid(grids, name, from_array, unit)
            edges = bin_edges(grid)
        elif param == "wavelength_grid":
            grid = _check_grid(explicit, name, param, 2)
            edges = bin_edges(grid)
        else:
            edges = _check_grid(explicit, name, param, 3)
            grid = (edges[1:] + edges[:-1]) / 2
        self.wavelength_grid_ = grid
        self.wavelength_edges_ = edges
        self.wavelength_unit_ = unit
        self._n_features_out = grid.shape[0]
        return self

    def _make_grid(self, grids, name, from_array, unit):
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
        lo, hi = wavelength_limits(self.wavelength_min, self.wavelength_max, unit, name)
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
        X : SpectrumBatch, Spectrum, list of Spectrum, or array-like of shape \
(n_spectra, `n_features_in_`)
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
        flux, ivar, mask, _ = resample(
            self.method, self.wavelength_grid_, self._source(batch),
            new_edges=self.wavelength_edges_, out_dtype=dtype, gap_factor=self.gap_factor,
            min_coverage=self.min_coverage,
        )
        _apply_fill(self.fill, self.wavelength_grid_, flux, mask)
        if from_array:
            return flux
        return SpectrumBatch.from_arrays(
            self.wavelength_grid_.copy(),
            flux,
            ivar,
            mask,
            wavelength_unit=self.wavelength_unit_,
            flux_unit=batch.flux_units,
            meta=batch.meta,
        )

    def covered_fraction(self, X):
        """Fraction of each output pixel covered by valid input pixels.

        The fraction of the output pixel's bin (``wavelength_edges_``)
        overlapped by the bins of unmasked input pixels (bins as in
        SpectRes, stopping at gaps when ``gap_factor`` is set), whatever the
        ``method``: 1 inside the spectrum with no masked pixel nearby, 0
        outside it, in between at its ends, next to masked pixels and at
        gaps. ``min_coverage`` masks output pixels below a threshold of it.

        Parameters
        ----------
        X : SpectrumBatch, Spectrum, list of Spectrum, or array-like of shape \
(n_spectra, `n_features_in_`)
            Spectra, as for :meth:`transform`.

        Returns
        -------
        coverage : ndarray of shape (n_spectra, n_pixels)
            Values in ``[0, 1]``; float32 for float32 flux, else float64.

        Raises
        ------
        ValueError
            As :meth:`transform`.
        """
        check_is_fitted(self)
        batch, _ = read_spectra_input(self, X, reset=False)
        *_, coverage = resample(
            "flux_conserving", self.wavelength_grid_, self._source(batch),
            new_edges=self.wavelength_edges_, out_dtype=float_dtype(batch),
            gap_factor=self.gap_factor, return_coverage=True,
        )
        return coverage

    def _source(self, batch):
        """The batch's spectra as a :class:`RowSource` in ``wavelength_unit_``."""
        name = type(self).__name__
        unit = self.wavelength_unit_
        if batch.on_common_grid:
            return RowSource.shared(
                convert_wavelength(batch.wavelength, batch.wavelength_unit, unit,
                                   "wavelength_unit", name),
                batch.flux, batch.ivar, batch.mask,
            )
        spectra = batch.spectra
        wavelengths = []
        previous = same = None
        for s in spectra:  # convert each distinct unit once (spectra share few units)
            if s.wavelength_unit is not previous:
                previous = s.wavelength_unit
                same = previous == unit
            wavelengths.append(
                s.wavelength if same else convert_wavelength(
                    s.wavelength, previous, unit, "wavelength_unit", name)
            )
        return RowSource.ragged(
            wavelengths,
            [s.flux for s in spectra],
            [s.ivar for s in spectra],
            [s.mask for s in spectra],
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


def _check_grid(grid, name, param, min_size):
    try:
        grid = np.asarray(grid, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"The {param!r} parameter of {name} must be a 1-D array of numbers; "
            f"got {grid!r}."
        ) from None
    if grid.ndim != 1 or grid.shape[0] < min_size:
        what = "pixel centres" if param == "wavelength_grid" else "bin edges"
        raise ValueError(
            f"The {param!r} parameter of {name} must be a 1-D array of at least "
            f"{min_size} {what}; got shape {grid.shape}."
        )
    if not np.all(np.isfinite(grid)):
        raise ValueError(
            f"The {param!r} parameter of {name} must be finite; got "
            f"{int(np.sum(~np.isfinite(grid)))} non-finite values."
        )
    if np.any(np.diff(grid) <= 0):
        raise ValueError(
            f"The {param!r} parameter of {name} must be strictly increasing; "
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
