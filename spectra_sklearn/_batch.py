"""Many spectra, on their own grids or on one common grid, indexable by sklearn."""

import numbers
import sys

import numpy as np
from astropy import units as u

from ._spectrum import Spectrum

__all__ = ["SpectrumBatch", "as_spectrum_batch", "is_specutils"]


class SpectrumBatch:
    """An indexable collection of spectra that travels through a Pipeline.

    A batch is stored in one of two ways:

    * **ragged** -- each spectrum keeps its own wavelength grid and length
      (what :class:`~spectra_sklearn.io.SpectrumReader` returns);
    * **on a common grid** -- one 1-D ``wavelength`` array shared by all rows
      and 2-D ``flux``, ``ivar`` and ``mask`` arrays (what
      :class:`~spectra_sklearn.preprocessing.SpectralResampler` returns).

    The wavelength grid, inverse variance, mask and metadata travel with the
    flux, so a step never needs the grid repeated. On a common grid the batch
    converts to the 2-D flux array (``np.asarray(batch)``), so a plain
    scikit-learn estimator placed after resampling receives an ordinary
    ``ndarray of shape (n_spectra, n_pixels)``.

    scikit-learn indexes it like an array (``len``, ``shape``,
    ``batch[indices]``), so cross-validation splitters, ``cross_val_score`` and
    ``GridSearchCV`` work with a batch as ``X``.

    Parameters
    ----------
    spectra : iterable of Spectrum
        The spectra. When all share one wavelength grid (same values, same
        unit) the batch is stored on that common grid.

    Attributes
    ----------
    shape : tuple of int
        ``(n_spectra, n_pixels)`` on a common grid, ``(n_spectra,)`` when ragged.
    on_common_grid : bool
        Whether all spectra share one wavelength grid.

    See Also
    --------
    SpectrumBatch.from_arrays : Build a batch on a common grid from 2-D arrays.

    Examples
    --------
    >>> import numpy as np
    >>> from spectra_sklearn import Spectrum, SpectrumBatch
    >>> batch = SpectrumBatch([
    ...     Spectrum([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]),
    ...     Spectrum([1.5, 2.5], [4.0, 5.0]),
    ... ])
    >>> len(batch), batch.shape, batch.on_common_grid
    (2, (2,), False)
    >>> batch[[1]]
    SpectrumBatch(n_spectra=1, ragged, wavelength_unit=um)
    >>> grid = SpectrumBatch.from_arrays([1.0, 2.0], np.ones((3, 2)))
    >>> np.asarray(grid).shape
    (3, 2)
    """

    def __init__(self, spectra=()):
        spectra = list(spectra)
        for i, s in enumerate(spectra):
            if not isinstance(s, Spectrum):
                raise TypeError(
                    "SpectrumBatch takes Spectrum objects; item "
                    f"{i} is a {type(s).__name__}. Use SpectrumBatch.from_arrays for "
                    "arrays, or spectra_sklearn.io.read_spectra for files."
                )
        self._spectra = None
        self._grid = None
        if spectra and _share_grid(spectra):
            first = spectra[0]
            self._set_common(
                first.wavelength,
                np.stack([s.flux for s in spectra]),
                np.stack([s.ivar for s in spectra]),
                np.stack([s.mask for s in spectra]),
                first.wavelength_unit,
                [s.flux_unit for s in spectra],
                [s.meta for s in spectra],
            )
        else:
            self._spectra = spectra

    @classmethod
    def from_arrays(
        cls,
        wavelength,
        flux,
        ivar=None,
        mask=None,
        *,
        wavelength_unit=None,
        flux_unit=None,
        meta=None,
    ):
        """Build a batch on a common wavelength grid.

        Parameters
        ----------
        wavelength : array-like or astropy Quantity of shape (n_pixels,)
            The common grid, strictly increasing, in ``wavelength_unit``. A
            Quantity keeps its unit or is converted to an explicit
            ``wavelength_unit`` (:func:`astropy.units.spectral`); a frequency,
            energy or wavenumber grid becomes wavelengths (``um`` unless
            ``wavelength_unit`` names a length) and the pixels are reordered
            so that it increases.
        flux : array-like or astropy Quantity of shape (n_spectra, n_pixels)
            One spectrum per row. A Quantity keeps its unit or is converted to
            an explicit ``flux_unit`` (F_nu <-> F_lambda included).
        ivar : array-like or astropy Quantity of shape (n_spectra, n_pixels), default=None
            Inverse variance in ``flux_unit ** -2``; ``None`` means unknown (NaN).
        mask : array-like of bool of shape (n_spectra, n_pixels), default=None
            ``True`` marks bad pixels; non-finite flux is always masked.
        wavelength_unit : astropy unit, str or None, default=None
            Unit of ``wavelength``: ``None`` means the Quantity's unit, else ``"um"``.
        flux_unit : astropy unit, str, None or list of those, default=None
            One flux-like unit for all rows, or one per row.
        meta : list of dict, default=None
            One metadata dict per row.

        Returns
        -------
        SpectrumBatch
            A batch with ``on_common_grid=True``.

        Raises
        ------
        ValueError
            If shapes disagree, the grid is not strictly increasing and finite,
            the inverse variance is negative, or a unit contradicts the declared
            one or is no wavelength / no flux-like unit (e.g. ``kg``).

        Examples
        --------
        >>> from astropy import units as u
        >>> b = SpectrumBatch.from_arrays([400.0, 500.0] * u.nm, [[1.0, 2.0]] * u.Jy)
        >>> b.wavelength_quantity, b.flux_quantity.unit
        (<Quantity [400., 500.] nm>, Unit("Jy"))
        """
        from ._quantity import convert_inputs, is_spectral_not_length

        given_as_frequency = is_spectral_not_length(wavelength, wavelength_unit)
        wavelength, flux, ivar, wavelength_unit, flux_units_in = convert_inputs(
            wavelength, flux, ivar, wavelength_unit, flux_unit,
            "SpectrumBatch.from_arrays", per_row=True,
        )
        flux = np.asarray(flux)
        if not np.issubdtype(flux.dtype, np.floating):
            flux = flux.astype(np.float64)
        if wavelength.ndim != 1 or flux.ndim != 2 or flux.shape[1] != wavelength.size:
            raise ValueError(
                "from_arrays needs wavelength of shape (n_pixels,) and flux of shape "
                f"(n_spectra, n_pixels); got {wavelength.shape} and {flux.shape}."
            )
        if given_as_frequency and wavelength.size > 1 and np.all(np.diff(wavelength) < 0):
            # A frequency or energy grid converted to wavelengths decreases.
            wavelength = wavelength[::-1].copy()
            flux = flux[:, ::-1]
            ivar = None if ivar is None else np.asarray(ivar)[:, ::-1]
            mask = None if mask is None else np.asarray(mask)[:, ::-1]
        if not np.all(np.isfinite(wavelength)) or np.any(np.diff(wavelength) <= 0):
            raise ValueError(
                "The common wavelength grid must be finite and strictly increasing."
            )
        n = flux.shape[0]
        if ivar is None:
            ivar = np.full(flux.shape, np.nan, dtype=flux.dtype)
        else:
            ivar = np.asarray(ivar, dtype=flux.dtype)
            if ivar.shape != flux.shape:
                raise ValueError(f"ivar has shape {ivar.shape}; flux has {flux.shape}.")
            if np.any(ivar < 0):
                raise ValueError("ivar (inverse variance) must be >= 0 or NaN.")
        if mask is None:
            mask = np.zeros(flux.shape, dtype=bool)
        else:
            mask = np.array(mask, dtype=bool)
            if mask.shape != flux.shape:
                raise ValueError(f"mask has shape {mask.shape}; flux has {flux.shape}.")
        mask = mask | ~np.isfinite(flux)
        if not isinstance(flux_units_in, list):
            flux_units = [flux_units_in] * n
        else:
            flux_units = flux_units_in
            if len(flux_units) != n:
                raise ValueError(f"flux_unit has {len(flux_units)} entries for {n} spectra.")
        if meta is None:
            meta = [{} for _ in range(n)]
        else:
            meta = [dict(m) for m in meta]
            if len(meta) != n:
                raise ValueError(f"meta has {len(meta)} entries for {n} spectra.")
        batch = cls.__new__(cls)
        batch._spectra = None
        batch._set_common(
            wavelength, flux, ivar, mask, wavelength_unit, flux_units, meta,
        )
        return batch

    def _set_common(self, wavelength, flux, ivar, mask, wavelength_unit, flux_units, meta):
        self._grid = {
            "wavelength": wavelength,
            "flux": flux,
            "ivar": ivar,
            "mask": mask,
            "wavelength_unit": wavelength_unit,
            "flux_units": list(flux_units),
            "meta": list(meta),
        }

    # -- sequence protocol -------------------------------------------------
    def __len__(self):
        if self._grid is not None:
            return self._grid["flux"].shape[0]
        return len(self._spectra)

    @property
    def shape(self):
        """``(n_spectra, n_pixels)`` on a common grid, else ``(n_spectra,)``."""
        if self._grid is not None:
            return self._grid["flux"].shape
        return (len(self._spectra),)

    @property
    def on_common_grid(self):
        """Whether every spectrum shares one wavelength grid."""
        return self._grid is not None

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __getitem__(self, key):
        # sklearn's _safe_indexing calls ``X[key, ...]`` on objects with a shape.
        if isinstance(key, tuple):
            if len(key) == 2 and key[1] is Ellipsis:
                key = key[0]
            else:
                raise IndexError(
                    "A SpectrumBatch is indexed by spectrum only (one key); got "
                    f"{len(key)} keys."
                )
        if isinstance(key, numbers.Integral):
            n = len(self)
            if not -n <= key < n:
                raise IndexError(f"Spectrum index {key} is out of range for {n} spectra.")
            return self._one(int(key) % n)
        if not isinstance(key, slice):
            key = np.asarray(key)
            if key.dtype == bool:
                if key.shape != (len(self),):
                    raise IndexError(
                        f"A boolean index must have shape ({len(self)},); got {key.shape}."
                    )
                key = np.flatnonzero(key)
            elif key.size == 0:
                key = key.astype(np.intp)
            elif not np.issubdtype(key.dtype, np.integer):
                raise IndexError(
                    "Index a SpectrumBatch with an int, a slice, integers or booleans; "
                    f"got an array of {key.dtype}."
                )
        if self._grid is None:
            if isinstance(key, slice):
                return SpectrumBatch(self._spectra[key])
            return SpectrumBatch._from_list([self._spectra[i] for i in key])
        g = self._grid
        positions = np.arange(len(self))[key]
        return SpectrumBatch.from_arrays(
            g["wavelength"],
            g["flux"][key],
            g["ivar"][key],
            g["mask"][key],
            wavelength_unit=g["wavelength_unit"],
            flux_unit=[g["flux_units"][i] for i in positions],
            meta=[g["meta"][i] for i in positions],
        )

    @classmethod
    def _from_list(cls, spectra):
        batch = cls.__new__(cls)
        batch._grid = None
        batch._spectra = list(spectra)
        return batch

    def _one(self, i):
        if self._grid is None:
            return self._spectra[i]
        g = self._grid
        return Spectrum(
            g["wavelength"],
            g["flux"][i],
            g["ivar"][i],
            g["mask"][i],
            wavelength_unit=g["wavelength_unit"],
            flux_unit=g["flux_units"][i],
            meta=g["meta"][i],
        )

    # -- common-grid views ---------------------------------------------------
    def _require_grid(self, what):
        if self._grid is None:
            raise ValueError(
                f"SpectrumBatch.{what} needs spectra on a common wavelength grid, but "
                f"these {len(self)} spectra have their own grids. Put a "
                "spectra_sklearn.preprocessing.SpectralResampler before this step."
            )
        return self._grid

    @property
    def wavelength(self):
        """ndarray of shape (n_pixels,): the common wavelength grid."""
        return self._require_grid("wavelength")["wavelength"]

    @property
    def flux(self):
        """ndarray of shape (n_spectra, n_pixels): flux on the common grid."""
        return self._require_grid("flux")["flux"]

    @property
    def ivar(self):
        """ndarray of shape (n_spectra, n_pixels): inverse variance (NaN = unknown)."""
        return self._require_grid("ivar")["ivar"]

    @property
    def mask(self):
        """ndarray of bool of shape (n_spectra, n_pixels): ``True`` = bad pixel."""
        return self._require_grid("mask")["mask"]

    @property
    def wavelength_quantity(self):
        """:class:`~astropy.units.Quantity` of shape (n_pixels,): the common grid."""
        g = self._require_grid("wavelength_quantity")
        return u.Quantity(g["wavelength"], g["wavelength_unit"], copy=False)

    def _common_flux_unit(self, what):
        units = set(self._require_grid(what)["flux_units"])
        if len(units) > 1:
            raise ValueError(
                f"SpectrumBatch.{what} needs one flux unit for all spectra; these have "
                f"{len(units)}: {sorted(str(x) for x in units)}."
            )
        unit = units.pop() if units else None
        return u.dimensionless_unscaled if unit is None else unit

    @property
    def flux_quantity(self):
        """:class:`~astropy.units.Quantity` of shape (n_spectra, n_pixels).

        Dimensionless when the flux unit is unknown. Raises ValueError when the
        spectra have different flux units (or are not on a common grid).
        """
        unit = self._common_flux_unit("flux_quantity")
        return u.Quantity(self._grid["flux"], unit, copy=False)

    @property
    def ivar_quantity(self):
        """:class:`~astropy.units.Quantity` of the inverse variance, in ``flux_unit ** -2``."""
        unit = self._common_flux_unit("ivar_quantity")
        return u.Quantity(self._grid["ivar"], unit**-2, copy=False)

    @property
    def wavelength_unit(self):
        """Unit of the wavelength grid (of the first spectrum when ragged)."""
        if self._grid is not None:
            return self._grid["wavelength_unit"]
        return self._spectra[0].wavelength_unit if self._spectra else None

    @property
    def flux_units(self):
        """list of astropy unit or None: the flux unit of each spectrum."""
        if self._grid is not None:
            return list(self._grid["flux_units"])
        return [s.flux_unit for s in self._spectra]

    @property
    def meta(self):
        """list of dict: the metadata of each spectrum."""
        if self._grid is not None:
            return list(self._grid["meta"])
        return [s.meta for s in self._spectra]

    @property
    def spectra(self):
        """list of Spectrum: each spectrum as its own record."""
        if self._grid is None:
            return list(self._spectra)
        return [self[i] for i in range(len(self))]

    def to_specutils(self):
        """Each spectrum as a ``specutils.Spectrum`` (see :func:`spectra_sklearn.io.to_specutils`).

        Returns
        -------
        list of specutils.Spectrum
            One per spectrum, with flux and wavelength Quantities, an
            ``InverseVariance`` uncertainty (None when unknown), mask and meta.

        Raises
        ------
        ImportError
            If specutils is not installed.
        """
        from .io._specutils import to_specutils

        return to_specutils(self)

    def __array__(self, dtype=None, copy=None):
        flux = self._require_grid("flux (as a 2-D array)")["flux"]
        if flux.dtype.kind == "f" and np.isnan(flux).any():
            _refuse_nan_for_finite_estimator(self, flux)
        if dtype is not None and flux.dtype != dtype:
            return flux.astype(dtype)
        return flux.copy() if copy else flux

    def __repr__(self):
        if self._grid is None:
            layout = "ragged"
        else:
            w = self._grid["wavelength"]
            span = f"{w[0]:.6g}-{w[-1]:.6g}" if w.size else "empty"
            layout = f"common grid of {w.size} pixels {span}"
        return (
            f"SpectrumBatch(n_spectra={len(self)}, {layout}, "
            f"wavelength_unit={self.wavelength_unit})"
        )


def is_specutils(X):
    """Whether ``X`` is a specutils Spectrum / SpectrumCollection, or a list of them.

    Decided from the type's module, so that specutils is imported only when
    such an object is given.
    """
    def ours(obj):
        return type(obj).__module__.split(".")[0] == "specutils"

    if isinstance(X, (list, tuple)):
        return len(X) > 0 and all(ours(x) for x in X)
    return ours(X)


def _from_specutils(X):
    from .io._specutils import _specutils, from_specutils

    specutils = _specutils()
    items = list(X) if isinstance(X, (list, tuple)) else [X]
    spectra = []
    for i, item in enumerate(items):
        if isinstance(item, specutils.SpectrumCollection):
            item = [item[j] for j in range(len(item))]
        elif not isinstance(item, specutils.Spectrum):
            raise TypeError(
                f"item {i} is a {type(item).__name__}; spectra_sklearn takes "
                "specutils.Spectrum objects, lists of them and SpectrumCollection."
            )
        for one in item if isinstance(item, list) else [item]:
            converted = from_specutils(one)
            spectra.extend(converted.spectra if isinstance(converted, SpectrumBatch)
                           else [converted])
    return SpectrumBatch(spectra)


def _refuse_nan_for_finite_estimator(batch, flux):
    """Raise a project error when scikit-learn converts this batch for an
    estimator that refuses NaN (``check_array(..., ensure_all_finite=True)``).

    Only on the NaN path: the caller is found on the stack, so that
    ``np.asarray(batch)`` elsewhere, and estimators accepting NaN natively
    (``HistGradientBoostingClassifier``), still get the flux with its NaN.
    """
    frame = sys._getframe(2)
    for _ in range(8):
        if frame is None:
            return
        code = frame.f_code
        if code.co_name == "check_array" and "sklearn" in code.co_filename:
            break
        frame = frame.f_back
    else:
        return
    finite = frame.f_locals.get("ensure_all_finite", True)
    if finite is not True:
        return
    estimator = frame.f_locals.get("estimator")
    name = (estimator if isinstance(estimator, str) else type(estimator).__name__
            ) if estimator is not None else "this estimator"
    rows = np.flatnonzero(np.isnan(flux).any(axis=1))
    meta = batch._grid["meta"]
    shown = ", ".join(_label(meta[i], i) for i in rows[:5])
    more = f" and {rows.size - 5} more" if rows.size > 5 else ""
    raise ValueError(
        f"{rows.size} of {flux.shape[0]} spectra have masked pixels (NaN flux) on the "
        f"common wavelength grid: {shown}{more}; {name} does not accept NaN. Fill "
        "them first: SpectralResampler(fill='edge') interpolates masked output pixels, "
        "or put spectra_sklearn.preprocessing.MaskedPixelInterpolator before "
        f"{name} (the neural estimators of spectra_sklearn.nn take masked pixels "
        "as they are)."
    )


def _label(meta, row):
    source = meta.get("source") if isinstance(meta, dict) else None
    return f"spectrum {row}" + (f" ({source!r})" if source else "")


def _share_grid(spectra):
    first = spectra[0]
    return all(
        s.wavelength_unit == first.wavelength_unit
        and s.wavelength.shape == first.wavelength.shape
        and np.array_equal(s.wavelength, first.wavelength)
        for s in spectra[1:]
    )


def as_spectrum_batch(X, *, input_name="X"):
    """Return ``X`` as a :class:`SpectrumBatch`, and whether it was a plain array.

    Parameters
    ----------
    X : SpectrumBatch, Spectrum, sequence of Spectrum, specutils object(s), \
or array-like of shape (n_spectra, n_pixels)
        A plain 2-D array is taken as flux on the pixel grid ``0 .. n_pixels - 1``
        (unit ``pix``) with unknown inverse variance. A ``specutils.Spectrum``
        (1-D, or 2-D: one spectrum per row), a list of them, or a
        ``specutils.SpectrumCollection`` is converted with
        :func:`spectra_sklearn.io.from_specutils`.
    input_name : str, default="X"
        Name used in error messages.

    Returns
    -------
    batch : SpectrumBatch
    from_array : bool
        ``True`` when ``X`` was a plain array (callers then return arrays).

    Raises
    ------
    TypeError
        If ``X`` is none of the above (for example a list of file paths, which
        :class:`~spectra_sklearn.io.SpectrumReader` reads).
    """
    if isinstance(X, SpectrumBatch):
        return X, False
    if isinstance(X, Spectrum):
        return SpectrumBatch([X]), False
    if is_specutils(X):
        return _from_specutils(X), False
    if isinstance(X, (list, tuple)) and X and all(isinstance(s, Spectrum) for s in X):
        return SpectrumBatch(X), False
    if isinstance(X, (str, bytes)) or (
        isinstance(X, (list, tuple)) and X and isinstance(X[0], (str, bytes))
    ) or (hasattr(X, "dtype") and X.dtype.kind in "USO"):
        raise TypeError(
            f"{input_name} looks like file paths or text; read them first with "
            "spectra_sklearn.io.SpectrumReader (as the first Pipeline step) or "
            "spectra_sklearn.io.read_spectra."
        )
    flux = np.asarray(X)
    if flux.ndim != 2:
        raise TypeError(
            f"{input_name} must be a SpectrumBatch, a list of Spectrum, or a 2-D array "
            f"of flux; got {type(X).__name__} with {flux.ndim} dimension(s)."
        )
    return SpectrumBatch.from_arrays(
        np.arange(flux.shape[1], dtype=np.float64), flux, wavelength_unit=u.pix
    ), True
