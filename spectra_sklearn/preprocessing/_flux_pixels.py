"""The flux on a common grid as named columns, and ``[flux | metadata]`` in one step.

:class:`FluxPixels` gives the flux of spectra on a common grid as a 2-D array
named by wavelength, and :func:`make_flux_metadata_union` joins it with
:class:`~spectra_sklearn.preprocessing.MetadataFeatures` in one
:class:`~sklearn.pipeline.FeatureUnion`, so the spectrum and its catalogue
columns reach an estimator as one array, row-aligned by construction.
"""

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.pipeline import FeatureUnion
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted, validate_data

from .._batch import as_spectrum_batch
from ._inputs import is_spectra
from ._metadata import MetadataFeatures

__all__ = ["FluxPixels", "make_flux_metadata_union"]


def _wavelength_names(wavelength):
    """Shortest ``%g`` labels of the grid that are still all distinct."""
    for digits in range(6, 18):
        names = [f"{w:.{digits}g}" for w in wavelength]
        if len(set(names)) == len(names):
            return names
    return [repr(float(w)) for w in wavelength]


class FluxPixels(TransformerMixin, BaseEstimator):
    """The flux of spectra on a common wavelength grid as a 2-D array.

    ``np.asarray(batch)`` as a Pipeline step, with feature names: column
    ``i`` is the flux at ``wavelength[i]`` and is named by that wavelength
    (``'1.2345'``, in the batch's wavelength unit, with as few significant
    digits as keep the names distinct, at least 6). Put
    :class:`~spectra_sklearn.preprocessing.SpectralResampler` before it: a
    ragged batch (spectra on their own grids) raises. A plain array is
    passed through (columns ``x0 .. x{n-1}``).

    Attributes
    ----------
    wavelength_ : ndarray of shape (n_pixels,)
        The common grid seen in ``fit`` (spectra); ``transform`` requires the
        same grid.
    wavelength_unit_ : astropy unit
        Its unit.
    n_features_in_ : int
        Number of columns of the array passed to ``fit`` (arrays only).
    feature_names_in_ : ndarray of str
        Column names of a DataFrame passed to ``fit`` (arrays only).

    See Also
    --------
    MetadataFeatures : Catalogue columns from each spectrum's metadata.
    make_flux_metadata_union : Both side by side.

    Examples
    --------
    >>> import numpy as np
    >>> from spectra_sklearn import SpectrumBatch
    >>> from spectra_sklearn.preprocessing import FluxPixels
    >>> batch = SpectrumBatch.from_arrays([1.1, 1.2, 1.3], np.ones((2, 3)))
    >>> FluxPixels().fit(batch).get_feature_names_out().tolist()
    ['1.1', '1.2', '1.3']
    """

    _parameter_constraints: dict = {}

    def _spectra(self, X):
        batch, _ = as_spectrum_batch(X)
        if not batch.on_common_grid:
            raise ValueError(
                f"FluxPixels needs spectra on one common wavelength grid; got a ragged "
                f"batch of {len(batch)} spectra on their own grids. Put a "
                "SpectralResampler(wavelength_grid=...) step before it."
            )
        return batch

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Record the wavelength grid (spectra) or the number of columns (arrays).

        Parameters
        ----------
        X : SpectrumBatch or list of Spectrum on a common grid, or array-like of shape \
(n_samples, n_pixels)
            The spectra.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted transformer.

        Raises
        ------
        ValueError
            If the spectra are not on one common grid.
        """
        for attr in ("n_features_in_", "feature_names_in_", "wavelength_",
                     "wavelength_unit_"):
            if hasattr(self, attr):
                delattr(self, attr)
        if is_spectra(X):
            batch = self._spectra(X)
            self.wavelength_ = np.array(batch.wavelength, dtype=np.float64)
            self.wavelength_unit_ = batch.wavelength_unit
        else:
            validate_data(self, X, reset=True, dtype=[np.float64, np.float32],
                          ensure_all_finite=False)
        return self

    def transform(self, X):
        """The flux array.

        Parameters
        ----------
        X : SpectrumBatch or list of Spectrum on the fitted grid, or array-like of shape \
(n_samples, n_pixels)
            The spectra.

        Returns
        -------
        ndarray of shape (n_samples, n_pixels)
            The flux (float32 kept, else float64), NaN where the batch has
            NaN (masked pixels are not filled).

        Raises
        ------
        ValueError
            If the spectra are ragged or on another grid than in ``fit``.
        """
        check_is_fitted(self)
        if not hasattr(self, "wavelength_"):
            return validate_data(self, X, reset=False, dtype=[np.float64, np.float32],
                                 ensure_all_finite=False)
        if not is_spectra(X):
            raise ValueError(
                "FluxPixels was fitted on spectra; transform got a plain array. Pass "
                "spectra on the fitted wavelength grid."
            )
        batch = self._spectra(X)
        same = (
            batch.wavelength_unit == self.wavelength_unit_
            and batch.wavelength.shape == self.wavelength_.shape
            and np.array_equal(batch.wavelength, self.wavelength_)
        )
        if not same:
            raise ValueError(
                f"FluxPixels was fitted on a grid of {self.wavelength_.size} pixels "
                f"({self.wavelength_unit_}); transform got {batch.wavelength.size} "
                f"pixels ({batch.wavelength_unit}) on another grid. Resample both to "
                "the same grid (SpectralResampler with a fixed wavelength_grid=)."
            )
        flux = np.asarray(batch)
        return flux.astype(np.float64) if flux.dtype not in (np.float32, np.float64) \
            else flux.copy()

    def get_feature_names_out(self, input_features=None):
        """Column names: the wavelengths (spectra) or the input names (arrays).

        Parameters
        ----------
        input_features : array-like of str, default=None
            For arrays: input names, checked against ``feature_names_in_``.

        Returns
        -------
        ndarray of str objects
        """
        check_is_fitted(self)
        if hasattr(self, "wavelength_"):
            return np.asarray(_wavelength_names(self.wavelength_), dtype=object)
        return _check_feature_names_in(self, input_features)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


def make_flux_metadata_union(metadata, *, flux=None):
    """One step giving ``[flux pixels | metadata features]`` for each spectrum.

    A :class:`~sklearn.pipeline.FeatureUnion` of ``("flux", FluxPixels())``
    and ``("metadata", metadata)``: both read the same batch, so the rows are
    aligned by construction. Put it after the preprocessing (resampling onto
    a common grid, continuum normalisation), which carries each spectrum's
    metadata along.

    Output layout, ``ndarray of shape (n_spectra, n_pixels + n_tabular)``:

    * columns ``0 .. n_pixels - 1``: the flux on the common grid, named
      ``flux__<wavelength>`` (e.g. ``flux__1.2``);
    * the trailing ``n_tabular = len(metadata.get_feature_names_out())``
      columns: the metadata features, named ``metadata__<name>`` --
      ``metadata__<key>``, ``metadata__<a>-<b>`` colours,
      ``metadata__abs_<key>`` absolute magnitudes, then
      ``metadata__missingindicator_<feature>`` indicators.

    An estimator taking both inputs in one array (the fusion estimators of
    :mod:`spectra_sklearn.nn`, parameter ``n_tabular_features``) splits it
    there; any scikit-learn estimator can take it as it is (after a
    :class:`~sklearn.impute.SimpleImputer` when values are missing).
    Parameters are set as ``<step>__metadata__keys`` in a Pipeline, so
    ``GridSearchCV`` can search over the catalogue columns.

    Parameters
    ----------
    metadata : MetadataFeatures
        The catalogue columns to add.
    flux : transformer, default=None
        The flux part; ``None`` means ``FluxPixels()``.

    Returns
    -------
    sklearn.pipeline.FeatureUnion
        Unfitted; ``get_feature_names_out()`` gives the names above.

    Examples
    --------
    >>> import numpy as np
    >>> from spectra_sklearn import SpectrumBatch
    >>> from spectra_sklearn.preprocessing import (MetadataFeatures,
    ...                                            make_flux_metadata_union)
    >>> batch = SpectrumBatch.from_arrays(
    ...     [1.1, 1.2], np.ones((2, 2)), meta=[{"z": 0.1}, {"z": 0.2}])
    >>> union = make_flux_metadata_union(MetadataFeatures(["z"]))
    >>> union.fit_transform(batch)
    array([[1. , 1. , 0.1],
           [1. , 1. , 0.2]])
    >>> union.get_feature_names_out().tolist()
    ['flux__1.1', 'flux__1.2', 'metadata__z']
    """
    if not isinstance(metadata, MetadataFeatures):
        raise TypeError(
            "make_flux_metadata_union: 'metadata' must be a MetadataFeatures "
            f"instance; got {type(metadata).__name__}."
        )
    return FeatureUnion([("flux", FluxPixels() if flux is None else flux),
                         ("metadata", metadata)])
