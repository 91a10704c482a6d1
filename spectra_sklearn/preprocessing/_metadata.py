"""Catalogue columns of each spectrum's metadata as tabular features.

:class:`MetadataFeatures` selects named ``meta`` values (redshift, 2MASS
magnitudes, parallax, signal-to-noise ...) of every spectrum as a 2-D float
array, with derived colours and absolute magnitudes and explicit missing-value
handling (:mod:`._add_metadata` puts an external catalogue table into each
``meta`` first, :mod:`._flux_pixels` puts the features next to the flux).
"""

import difflib
import math
import numbers

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted, validate_data

from .._batch import as_spectrum_batch
from .._spectrum import Spectrum
from ._base import spectrum_label
from ._inputs import is_spectra

__all__ = ["MetadataFeatures"]


def _parse_colour(colour):
    """``(a, b)`` from ``("a", "b")`` or ``"a-b"``; raises ValueError."""
    if isinstance(colour, str):
        parts = colour.split("-")
        if len(parts) == 2 and all(p.strip() for p in parts):
            return parts[0].strip(), parts[1].strip()
    elif (
        isinstance(colour, (tuple, list))
        and len(colour) == 2
        and all(isinstance(c, str) and c for c in colour)
    ):
        return colour[0], colour[1]
    raise ValueError(
        "The 'colours' parameter of MetadataFeatures takes pairs of metadata keys, "
        "('J_2MASS', 'H_2MASS'), or strings 'J_2MASS-H_2MASS' with exactly one '-'; "
        f"got {colour!r}. Use the tuple form for a key that contains '-'."
    )


def _value(meta, key, row, owner):
    """``meta[key]`` as a float (NaN for None, NaN and masked values).

    Raises
    ------
    KeyError
        The key is absent (the caller words the message).
    ValueError
        The value is text, an array, or otherwise not one real number.
    """
    value = meta[key]
    if value is None or value is np.ma.masked:
        return math.nan
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        if isinstance(value, (str, bytes)):
            found = f"the text {value!r}"
        elif hasattr(value, "shape"):
            found = f"an array of shape {np.shape(value)}"
        else:
            found = f"a {type(value).__name__} ({value!r})"
        raise ValueError(
            f"{owner}: {spectrum_label(meta, row)} has meta[{key!r}] = {found}; a "
            "metadata feature must be one real number (int or float; None or NaN "
            "for a missing value). Convert the value when the spectra are read, "
            "or leave the key out of 'keys'."
        )
    value = float(value)
    if math.isinf(value):
        raise ValueError(
            f"{owner}: {spectrum_label(meta, row)} has meta[{key!r}] = {value}; "
            "metadata features must be finite or NaN (missing). Replace the "
            "infinite value by NaN (missing) or a real number."
        )
    return value


class MetadataFeatures(TransformerMixin, BaseEstimator):
    """Named metadata values of each spectrum as tabular features.

    Catalogue columns travel with each spectrum in its ``meta`` dict: the
    SDSS ``SPECOBJ`` redshift ``z``, ``z_err``, ``sn_median_all`` and the
    ``spectromag_u`` ... ``spectromag_z`` magnitudes (``'sdss'`` reader);
    the 2MASS ``J_2MASS``, ``H_2MASS``, ``KS_2MASS`` magnitudes, ``PARALLAX``,
    ``MU``, ``VTAN`` and ``MEDIAN_SNR`` of the SpeX Prism Library
    (:func:`~spectra_sklearn.datasets.fetch_spex_prism`); any reader's
    header cards. This transformer reads the values named in ``keys`` from
    every spectrum, so the table cannot be misaligned with the spectra, and
    returns them as a 2-D float array, followed by

    * the **colours** (differences of two magnitudes) named in ``colours``,
      ``J_2MASS-H_2MASS = J_2MASS - H_2MASS``;
    * the **absolute magnitudes** of the apparent magnitudes named in
      ``absolute_magnitudes``, from the trigonometric parallax in
      milliarcseconds (``meta[parallax_key]``):
      ``M = m + 5 log10(parallax / mas) - 10``, i.e.
      ``M = m - 5 log10(d / 10 pc)`` with ``d = 1000 pc / (parallax / mas)``.
      A parallax that is missing, zero or negative gives a missing value (no
      distance). Named ``abs_<key>``;
    * with ``missing='indicator'``, one 0/1 **missing indicator** per value
      column that had a missing value in ``fit`` (as
      :class:`~sklearn.impute.SimpleImputer` with ``add_indicator=True``,
      ``features='missing-only'``), named ``missingindicator_<feature>`` as
      :class:`~sklearn.impute.MissingIndicator` names them.

    Missing values (``None`` or NaN in ``meta``) are the normal case for
    catalogue columns -- in the SpeX library a parallax is known for 13 % of
    the spectra -- and stay NaN in the output with ``missing='indicator'``:
    put an imputer (:class:`~sklearn.impute.SimpleImputer`) or an estimator
    that takes NaN after this step. ``missing='raise'`` refuses them instead,
    naming the spectrum and the key. A key absent from a spectrum's ``meta``
    is always an error (a misspelt key must not become a column of NaN).

    Plain 2-D arrays and DataFrames (already tabular, as scikit-learn's
    estimator checks pass them) are taken as the table itself: the columns
    are named by the DataFrame's column names, else by ``keys`` when it
    names every column in order, else ``x0 .. x{n-1}``; ``keys`` then selects
    columns by those names and ``colours`` / ``absolute_magnitudes`` refer to
    them too.

    Parameters
    ----------
    keys : list of str, default=None
        Metadata keys to output, in this order. ``None`` outputs every column
        of a plain array or DataFrame; with spectra it raises (name the
        catalogue columns: there is no safe default set of metadata).
    colours : list of (str, str) or str, default=None
        Differences ``a - b`` of two metadata values (magnitudes), given as
        pairs ``("J_2MASS", "H_2MASS")`` or strings ``"J_2MASS-H_2MASS"``;
        the keys need not be in ``keys``. Named ``"a-b"``.
    absolute_magnitudes : list of str, default=None
        Apparent magnitudes (metadata keys) to convert to absolute
        magnitudes with the parallax (formula above); named ``abs_<key>``.
    parallax_key : str, default='PARALLAX'
        Metadata key of the trigonometric parallax, in milliarcseconds (the
        unit of ``PARALLAX`` in the SpeX ``sources.csv``). Read only when
        ``absolute_magnitudes`` is given.
    missing : {'indicator', 'nan', 'raise'}, default='indicator'
        ``'indicator'``: a missing value is NaN and each value column with a
        missing value in ``fit`` gets a missing-indicator column (so the
        number of output columns depends on the training data).
        ``'nan'``: a missing value is NaN and no indicator is added: the
        output has one column per feature whatever the data, which is what
        :class:`~spectra_sklearn.nn.SpectrumFusionClassifier` needs (a fixed
        ``n_tabular_features``; it makes its own missing indicators).
        ``'raise'``: any missing value raises a ValueError naming the
        spectrum and the key.

    Attributes
    ----------
    keys_ : list of str
        The metadata keys (or columns) read, in output order.
    feature_names_out_ : ndarray of str
        Names of the output columns: keys, colours, absolute magnitudes,
        then missing indicators.
    indicator_features_ : ndarray of str
        The value columns that have a missing indicator.
    n_features_in_ : int
        Number of columns of the array passed to ``fit`` (arrays only).
    feature_names_in_ : ndarray of str
        Column names of a DataFrame passed to ``fit`` (arrays only).

    Raises
    ------
    ValueError
        In ``fit``/``transform``: ``keys`` is None with spectra; a spectrum
        lacks a requested key; a value is not one real number (text, an
        array) or is infinite; a value is missing with ``missing='raise'``;
        a value column has no value at all in ``fit`` (all missing).
    TypeError
        If ``X`` is neither spectra nor a 2-D array (for example file paths).

    See Also
    --------
    FluxPixels : The flux of spectra on a common grid as a 2-D array.
    make_flux_metadata_union : Flux pixels and metadata features side by side.
    sklearn.impute.SimpleImputer : Fill the missing values afterwards.

    Notes
    -----
    2MASS magnitudes: Skrutskie et al. (2006, AJ 131, 1163). SDSS
    spectro-photometric magnitudes: Almeida et al. (2023, ApJS 267, 44) for
    DR18. SpeX Prism Library: Burgasser (2014, ASI Conf. Ser. 11, 7).

    Examples
    --------
    >>> from spectra_sklearn import Spectrum
    >>> from spectra_sklearn.preprocessing import MetadataFeatures
    >>> w = [1.0, 1.5, 2.0]
    >>> spectra = [
    ...     Spectrum(w, [1.0, 2.0, 1.0], meta={"J_2MASS": 14.0, "H_2MASS": 13.5,
    ...                                        "PARALLAX": 100.0}),
    ...     Spectrum(w, [1.0, 3.0, 1.0], meta={"J_2MASS": 15.0, "H_2MASS": 14.1,
    ...                                        "PARALLAX": None}),
    ... ]
    >>> features = MetadataFeatures(["J_2MASS"], colours=["J_2MASS-H_2MASS"],
    ...                             absolute_magnitudes=["J_2MASS"])
    >>> features.fit_transform(spectra).round(2)
    array([[14. ,  0.5, 14. ,  0. ],
           [15. ,  0.9,  nan,  1. ]])
    >>> features.get_feature_names_out().tolist()
    ['J_2MASS', 'J_2MASS-H_2MASS', 'abs_J_2MASS', 'missingindicator_abs_J_2MASS']
    """

    _parameter_constraints: dict = {
        "keys": [list, tuple, None],
        "colours": [list, tuple, None],
        "absolute_magnitudes": [list, tuple, None],
        "parallax_key": [str],
        "missing": [StrOptions({"indicator", "nan", "raise"})],
    }

    def __init__(
        self,
        keys=None,
        *,
        colours=None,
        absolute_magnitudes=None,
        parallax_key="PARALLAX",
        missing="indicator",
    ):
        self.keys = keys
        self.colours = colours
        self.absolute_magnitudes = absolute_magnitudes
        self.parallax_key = parallax_key
        self.missing = missing

    # -- reading the values ------------------------------------------------
    def _check_params(self):
        for name in ("keys", "absolute_magnitudes"):
            value = getattr(self, name)
            if value is not None and not all(isinstance(k, str) and k for k in value):
                raise ValueError(
                    f"The {name!r} parameter of MetadataFeatures must be a list of "
                    f"metadata keys (non-empty str); got {value!r}."
                )
        colours = [_parse_colour(c) for c in (self.colours or ())]
        return list(self.keys) if self.keys is not None else None, colours

    def _needed(self, keys, colours):
        """Every key to read, first occurrence first."""
        needed = list(keys)
        for a, b in colours:
            needed += [a, b]
        if self.absolute_magnitudes:
            needed += list(self.absolute_magnitudes) + [self.parallax_key]
        return list(dict.fromkeys(needed))

    def _table_from_spectra(self, batch, keys, colours):
        if keys is None:
            raise ValueError(
                "MetadataFeatures(keys=None) takes its columns from a plain 2-D "
                "array; with spectra, name the metadata keys to use, e.g. "
                "MetadataFeatures(keys=['J_2MASS', 'H_2MASS', 'PARALLAX'])."
            )
        needed = self._needed(keys, colours)
        owner = type(self).__name__
        table = np.empty((len(batch), len(needed)), dtype=np.float64)
        for row, meta in enumerate(batch.meta):
            for col, key in enumerate(needed):
                try:
                    table[row, col] = _value(meta, key, row, owner)
                except KeyError:
                    have = sorted(map(str, meta))
                    close = difflib.get_close_matches(key, have, n=3)
                    hint = f" Did you mean {close}?" if close else ""
                    more = ", ..." if len(have) > 12 else ""
                    raise ValueError(
                        f"{owner}: {spectrum_label(meta, row)} has no metadata key "
                        f"{key!r} (its keys: {', '.join(have[:12])}{more}).{hint} "
                        "Add the value to every spectrum's meta (None for unknown) "
                        "or leave the key out."
                    ) from None
        return table, {k: i for i, k in enumerate(needed)}, list(batch.meta)

    def _table_from_array(self, X, keys, colours, reset):
        X = validate_data(
            self, X, reset=reset, dtype=np.float64,
            ensure_all_finite="allow-nan" if self.missing != "raise" else True,
        )
        if hasattr(self, "feature_names_in_"):
            names = [str(n) for n in self.feature_names_in_]
        elif keys is not None and len(keys) == X.shape[1]:
            names = list(keys)
        else:
            names = [f"x{i}" for i in range(X.shape[1])]
        index = {n: i for i, n in enumerate(names)}
        if keys is None:
            keys = names
        needed = self._needed(keys, colours)
        absent = [k for k in needed if k not in index]
        if absent:
            raise ValueError(
                f"MetadataFeatures: the array's columns are named {names[:12]}; "
                f"{absent} is not one of them. Pass a DataFrame with these columns, "
                "an array whose columns are exactly 'keys' in order, or spectra."
            )
        return X[:, [index[k] for k in needed]], {k: i for i, k in enumerate(needed)}, \
            [{} for _ in range(X.shape[0])], keys

    def _values(self, X, reset):
        """(value columns, their names, meta per row)."""
        keys, colours = self._check_params()
        if is_spectra(X):
            batch, _ = as_spectrum_batch(X)
            if len(batch) == 0:
                raise ValueError("MetadataFeatures needs at least one spectrum; got none.")
            if reset:
                for attr in ("n_features_in_", "feature_names_in_"):
                    if hasattr(self, attr):
                        delattr(self, attr)
            table, index, metas = self._table_from_spectra(batch, keys, colours)
        else:
            if isinstance(X, (list, tuple)) and any(isinstance(x, Spectrum) for x in X):
                raise TypeError(
                    "MetadataFeatures: X mixes Spectrum objects with other items; "
                    "pass a SpectrumBatch, a list of Spectrum, or a 2-D array."
                )
            if isinstance(X, (str, bytes)) or (
                isinstance(X, (list, tuple)) and X and isinstance(X[0], (str, bytes))
            ):
                as_spectrum_batch(X)  # raises the "read the files first" TypeError
            table, index, metas, keys = self._table_from_array(X, keys, colours, reset)
        columns = [table[:, index[k]] for k in keys]
        names = list(keys)
        for a, b in colours:
            columns.append(table[:, index[a]] - table[:, index[b]])
            names.append(f"{a}-{b}")
        if self.absolute_magnitudes:
            parallax = table[:, index[self.parallax_key]]
            with np.errstate(invalid="ignore", divide="ignore"):
                modulus = np.where(parallax > 0, 5.0 * np.log10(parallax) - 10.0, np.nan)
            for key in self.absolute_magnitudes:
                columns.append(table[:, index[key]] + modulus)
                names.append(f"abs_{key}")
        values = np.column_stack(columns) if columns else np.empty((table.shape[0], 0))
        return values, names, metas, keys

    def _check_missing(self, values, names, metas, *, fitting):
        missing = np.isnan(values)
        owner = type(self).__name__
        if self.missing == "raise" and missing.any():
            row, col = np.argwhere(missing)[0]
            raise ValueError(
                f"{owner}(missing='raise'): {spectrum_label(metas[row], row)} has no "
                f"value for {names[col]!r} ({int(missing[:, col].sum())} of "
                f"{len(values)} rows miss it). Use missing='indicator' to keep NaN and "
                "add a missing-indicator column, or leave the key out."
            )
        if fitting:
            empty = [n for n, m in zip(names, missing.all(axis=0)) if m]
            if empty and len(values):
                raise ValueError(
                    f"{owner}: no spectrum passed to fit has a value for {empty} (all "
                    f"{len(values)} missing); such a column carries no information and "
                    "could not be imputed. Leave it out of the features, or fit on "
                    "spectra that have it."
                )
        return missing

    # -- estimator API -----------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the keys and record which columns have missing values.

        Parameters
        ----------
        X : SpectrumBatch, list of Spectrum, or array-like of shape (n_samples, n_columns)
            Spectra whose ``meta`` holds the keys, or a table (see above).
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted transformer.

        Raises
        ------
        ValueError
            See the class docstring (absent key, non-numeric value, missing
            value with ``missing='raise'``, all-missing column).
        """
        values, names, metas, keys = self._values(X, reset=True)
        missing = self._check_missing(values, names, metas, fitting=True)
        self.keys_ = list(keys)
        self._value_names = names
        has_missing = missing.any(axis=0) if self.missing == "indicator" else \
            np.zeros(len(names), dtype=bool)
        self._indicator_columns = np.flatnonzero(has_missing)
        self.indicator_features_ = np.asarray(names, dtype=object)[has_missing]
        self.feature_names_out_ = np.asarray(
            names + [f"missingindicator_{n}" for n in self.indicator_features_],
            dtype=object,
        )
        return self

    def transform(self, X):
        """Read the metadata values of every spectrum (or row).

        Parameters
        ----------
        X : SpectrumBatch, list of Spectrum, or array-like of shape (n_samples, n_columns)
            Spectra whose ``meta`` holds the keys, or a table (see above).

        Returns
        -------
        ndarray of shape (n_samples, n_features_out)
            Float64: the key values, colours and absolute magnitudes (NaN
            where missing), then the 0/1 missing indicators; columns as in
            :meth:`get_feature_names_out`.

        Raises
        ------
        ValueError
            See the class docstring, or if the keys do not give the columns
            seen in ``fit``.
        """
        check_is_fitted(self)
        values, names, metas, _ = self._values(X, reset=False)
        if names != self._value_names:
            raise ValueError(
                f"MetadataFeatures was fitted with the columns {self._value_names}; "
                f"transform got {names}. Refit after changing the parameters."
            )
        missing = self._check_missing(values, names, metas, fitting=False)
        indicators = missing[:, self._indicator_columns].astype(np.float64)
        return np.hstack([values, indicators])

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns.

        Parameters
        ----------
        input_features : array-like of str, default=None
            Only checked against ``feature_names_in_`` (arrays): the output
            names come from ``keys``, ``colours`` and ``absolute_magnitudes``.

        Returns
        -------
        ndarray of str objects
            ``keys``, ``"a-b"`` colours, ``abs_<key>`` absolute magnitudes,
            then ``missingindicator_<feature>`` columns.
        """
        check_is_fitted(self)
        if hasattr(self, "n_features_in_"):
            _check_feature_names_in(self, input_features)
        return self.feature_names_out_.copy()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = self.missing != "raise"
        return tags
