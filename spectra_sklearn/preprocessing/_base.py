"""The base of every spectrum transformer: validate, then a hook on each group.

:class:`BaseSpectrumTransformer` is the one pattern the preprocessing steps
follow. A step implements ``_transform_group(group)`` on a :class:`Group`: the
spectra of one wavelength grid as 2-D float64 arrays. The base validates the
parameters and the input, feeds the hook the whole batch at once when the
spectra share a grid (one spectrum at a time when they do not), and
reassembles the result as the input came: a plain array for an array, a
:class:`~spectra_sklearn.SpectrumBatch` otherwise, carrying inverse variance,
mask, flux units and metadata along. A step with a second public method on
the same machinery (``ContinuumNormalizer.continuum``) passes another hook to
:meth:`BaseSpectrumTransformer._apply`.
"""

from dataclasses import dataclass, replace

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils.validation import check_is_fitted

from .._batch import SpectrumBatch
from .._spectrum import Spectrum
from ._inputs import float_dtype, read_spectra_input

__all__ = ["Group", "BaseSpectrumTransformer", "spectrum_label"]


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


class BaseSpectrumTransformer(TransformerMixin, BaseEstimator):
    """Base of the stateless per-spectrum transformers.

    Writing a transformer: store the parameters in ``__init__`` and declare
    them in ``_parameter_constraints``; implement ``_transform_group(group)``
    (return ``group.replace(flux=..., ivar=..., mask=...)``; a new
    ``wavelength`` of shape ``(n_pixels_out,)`` or ``(n_spectra,
    n_pixels_out)`` changes the grid); optionally ``_check_params`` (checks
    across parameters, run in ``fit`` and ``transform``). Class attribute
    ``_array_identity``: plain arrays (no wavelengths, no metadata) are
    returned unchanged, after validation. Steps are stateless: ``transform``
    works without ``fit`` (``requires_fit=False``), as scikit-learn's
    :class:`~sklearn.preprocessing.Normalizer`.

    Examples
    --------
    >>> import numpy as np
    >>> from spectra_sklearn.preprocessing import BaseSpectrumTransformer
    >>> class FluxSquarer(BaseSpectrumTransformer):
    ...     _parameter_constraints = {}
    ...     def _transform_group(self, group):
    ...         return group.replace(flux=group.flux**2, ivar=group.ivar / (4 * group.flux**2))
    >>> FluxSquarer().fit_transform(np.array([[1.0, 2.0, 3.0]]))
    array([[1., 4., 9.]])
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
        return self._apply(X, self._transform_group)

    def _transform_group(self, group):
        """The step on one group of spectra sharing a grid; returns a Group."""
        raise NotImplementedError

    def _apply(self, X, hook):
        """Validate ``X``, call ``hook(group)`` on each group, reassemble.

        Parameters
        ----------
        X : SpectrumBatch, Spectrum, list of Spectrum, or array-like
            As :meth:`transform`.
        hook : callable
            ``hook(group) -> Group``.
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
        out = [hook(g) for g in groups]
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
