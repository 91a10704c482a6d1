"""Domain checks for spectrum transformers, beside scikit-learn's estimator checks.

scikit-learn's :func:`~sklearn.utils.estimator_checks.parametrize_with_checks`
tests the API on plain arrays; these test what a spectrum step owes its users
on spectra (as imbalanced-learn adds sampler checks to scikit-learn's):

- :func:`check_inverse_variance_valid` -- inverse variance stays ``>= 0`` or
  NaN (unknown), never negative or infinite;
- :func:`check_mask_propagates` -- a pixel masked on input is masked (or has
  zero inverse variance) on output where the step keeps the grid;
- :func:`check_units_carried` -- the wavelength unit and metadata come out
  as they went in (a flux unit too, unless the step makes flux dimensionless);
- :func:`check_ragged_equals_common_grid` -- the same spectra as a ragged
  batch and on a common grid give the same result;
- :func:`check_flux_conserved` -- for steps that promise it
  (``_conserves_flux = True``), the integrated flux is unchanged.

:func:`domain_checks` yields the checks that apply to an estimator, for
``pytest.mark.parametrize``. Every check raises :class:`AssertionError` with a
message naming the estimator and what went wrong.
"""

import numpy as np

__all__ = [
    "check_flux_conserved",
    "check_inverse_variance_valid",
    "check_mask_propagates",
    "check_ragged_equals_common_grid",
    "check_units_carried",
    "domain_checks",
    "make_test_spectra",
]


def make_test_spectra(n_spectra=6, n_pixels=64, *, seed=0, masked=True):
    """Smooth positive test spectra on one grid, 1.0-2.0 µm, with a few bad pixels.

    Parameters
    ----------
    n_spectra, n_pixels : int, default=6, 64
    seed : int, default=0
    masked : bool, default=True
        Mask two pixels of every spectrum (ivar 0 there).

    Returns
    -------
    SpectrumBatch
        On a common log-spaced grid in µm, flux in erg / (s cm2 um), inverse
        variance from a S/N of about 50, ``meta`` with a ``source`` and a
        ``redshift`` of 0.01.
    """
    from .. import SpectrumBatch

    rng = np.random.default_rng(seed)
    wavelength = np.geomspace(1.0, 2.0, n_pixels)
    slope = rng.uniform(-1.0, 1.0, (n_spectra, 1))
    line = 0.3 * np.exp(-0.5 * ((wavelength - rng.uniform(1.2, 1.8, (n_spectra, 1))) / 0.02) ** 2)
    flux = 1.0 + 0.2 * slope * (wavelength - 1.5) - line
    sigma = flux / 50.0
    flux = flux + rng.normal(0.0, 1.0, flux.shape) * sigma
    ivar = 1.0 / sigma**2
    mask = np.zeros(flux.shape, dtype=bool)
    if masked:
        for row in mask:
            row[rng.choice(np.arange(5, n_pixels - 5), 2, replace=False)] = True
        ivar = np.where(mask, 0.0, ivar)
    meta = [{"source": f"test_{i}.fits", "redshift": 0.01} for i in range(n_spectra)]
    return SpectrumBatch.from_arrays(
        wavelength, flux, ivar, mask, wavelength_unit="um",
        flux_unit="erg / (s cm2 um)", meta=meta,
    )


def _transform(estimator, batch):
    from sklearn.base import clone

    return clone(estimator).fit(batch).transform(batch)


def _spectra(out):
    from .. import SpectrumBatch

    assert isinstance(out, SpectrumBatch), (
        f"transform of a SpectrumBatch returned {type(out).__name__}, not a SpectrumBatch"
    )
    return list(out.spectra)


def check_inverse_variance_valid(name, estimator):
    """Inverse variance after the step is ``>= 0`` or NaN, never ``< 0`` or infinite."""
    for spectrum in _spectra(_transform(estimator, make_test_spectra())):
        ivar = np.asarray(spectrum.ivar, dtype=float)
        known = ~np.isnan(ivar)
        assert np.all(np.isfinite(ivar[known])), f"{name}: infinite inverse variance"
        assert np.all(ivar[known] >= 0), f"{name}: negative inverse variance"


def check_mask_propagates(name, estimator):
    """Input bad pixels stay bad (masked or zero inverse variance) where the grid is kept."""
    batch = make_test_spectra()
    out = _transform(estimator, batch)
    for before, after in zip(batch.spectra, _spectra(out)):
        if after.wavelength.shape != before.wavelength.shape or not np.allclose(
            after.wavelength, before.wavelength
        ):
            continue  # a new grid: which output pixel a bad input pixel lands in varies
        bad = before.mask
        kept_bad = after.mask[bad] | (np.nan_to_num(after.ivar[bad], nan=0.0) == 0)
        assert np.all(kept_bad), (
            f"{name}: {int((~kept_bad).sum())} masked input pixel(s) came out unmasked "
            "with non-zero inverse variance"
        )


def check_units_carried(name, estimator):
    """Wavelength unit, metadata (and flux unit unless made dimensionless) are kept."""
    from astropy import units as u

    batch = make_test_spectra()
    for before, after in zip(batch.spectra, _spectra(_transform(estimator, batch))):
        assert u.Unit(after.wavelength_unit).is_equivalent(u.um), (
            f"{name}: wavelength unit {after.wavelength_unit} is not a length"
        )
        assert after.meta.get("source") == before.meta["source"], f"{name}: metadata lost"
        flux_unit = u.Unit(after.flux_unit) if after.flux_unit is not None else None
        assert flux_unit is not None and (
            flux_unit.is_equivalent(before.flux_unit)
            or flux_unit == u.dimensionless_unscaled
        ), f"{name}: flux unit {before.flux_unit} became {after.flux_unit}"


def check_ragged_equals_common_grid(name, estimator):
    """The same spectra as a ragged batch and on a common grid give the same output."""
    from .. import SpectrumBatch

    common = make_test_spectra()
    spectra = list(common.spectra)
    # a ragged batch holding the same spectra: one extra spectrum on another grid,
    # dropped from the comparison, makes the batch ragged
    other = make_test_spectra(1, 50, seed=1).spectra[0]
    ragged = SpectrumBatch([*spectra, other])
    assert not ragged.on_common_grid
    out_common = _spectra(_transform(estimator, common))
    out_ragged = _spectra(_transform(estimator, ragged))[: len(spectra)]
    for i, (a, b) in enumerate(zip(out_common, out_ragged)):
        np.testing.assert_allclose(
            a.wavelength, b.wavelength, rtol=1e-12,
            err_msg=f"{name}: spectrum {i}: grids differ between ragged and common input",
        )
        np.testing.assert_allclose(
            a.flux, b.flux, rtol=1e-9, atol=1e-12, equal_nan=True,
            err_msg=f"{name}: spectrum {i}: flux differs between ragged and common input",
        )
        np.testing.assert_array_equal(
            a.mask, b.mask, err_msg=f"{name}: spectrum {i}: masks differ")


def _binned_integral(wavelength, flux, lo, hi):
    """Integral over ``[lo, hi]`` of the flux as constant on each pixel's bin."""
    from ..preprocessing._resample_kernels import bin_edges

    edges = bin_edges(wavelength)
    width = np.clip(edges[1:], lo, hi) - np.clip(edges[:-1], lo, hi)
    good = np.isfinite(flux)
    return float(np.sum(flux[good] * width[good]))


def check_flux_conserved(name, estimator):
    """The flux integrated over pixel bins is kept (to 0.5 %) where the output is measured.

    Both integrals treat the flux as constant on each pixel's bin (edges half
    way between pixel centres, as SpectRes) and run over the same range: the
    output bins that lie wholly inside the input's coverage and are neither
    masked nor NaN (a resampler masks bins the input covers only in part).
    """
    from ..preprocessing._resample_kernels import bin_edges

    batch = make_test_spectra(masked=False)
    out = _transform(estimator, batch)
    for i, (before, after) in enumerate(zip(batch.spectra, _spectra(out))):
        out_edges, in_edges = bin_edges(after.wavelength), bin_edges(before.wavelength)
        measured = np.flatnonzero(
            (out_edges[:-1] >= in_edges[0]) & (out_edges[1:] <= in_edges[-1])
            & ~after.mask & np.isfinite(after.flux)
        )
        assert measured.size, f"{name}: spectrum {i}: no measured output pixel"
        lo, hi = out_edges[measured[0]], out_edges[measured[-1] + 1]
        np.testing.assert_allclose(
            _binned_integral(after.wavelength, after.flux, lo, hi),
            _binned_integral(before.wavelength, before.flux, lo, hi), rtol=5e-3,
            err_msg=f"{name}: spectrum {i}: integrated flux not conserved",
        )


def domain_checks(estimator):
    """The domain checks that apply to ``estimator``, as ``(name, check)`` pairs.

    Every spectrum transformer gets the inverse-variance, unit and
    ragged/common checks; those whose class sets ``_conserves_flux = True``
    also :func:`check_flux_conserved`. :func:`check_mask_propagates` compares
    pixels by index, so it is left out for steps that move pixels by a whole
    pixel or more on the same grid (``_keeps_pixel_positions = False``, e.g.
    a wavelength-calibration stretch of
    :class:`~spectra_sklearn.preprocessing.InstrumentAugmenter`).

    Parameters
    ----------
    estimator : estimator instance
        A transformer that takes a :class:`~spectra_sklearn.SpectrumBatch`.

    Returns
    -------
    list of callable
        Each ``check(name, estimator)``.

    Examples
    --------
    >>> from spectra_sklearn.preprocessing import FluxScaler
    >>> from spectra_sklearn.utils.estimator_checks import domain_checks
    >>> for check in domain_checks(FluxScaler()):
    ...     check("FluxScaler", FluxScaler())
    """
    checks = [check_inverse_variance_valid, check_units_carried,
              check_ragged_equals_common_grid]
    if getattr(estimator, "_keeps_pixel_positions", True):
        checks.insert(1, check_mask_propagates)
    if getattr(estimator, "_conserves_flux", False):
        checks.append(check_flux_conserved)
    return checks
