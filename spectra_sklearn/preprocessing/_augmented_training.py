"""AugmentedTrainingClassifier: train on perturbed copies, average over copies at test time."""

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, _fit_context, clone
from sklearn.linear_model import LogisticRegression
from sklearn.utils import check_random_state, indexable
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import _num_samples, check_is_fitted

from .._batch import SpectrumBatch, as_spectrum_batch
from ..calibration import _check_y, _copy_feature_attributes, _input_tags
from ._inputs import is_spectra
from ._instrument_augment import InstrumentAugmenter

__all__ = ["AugmentedTrainingClassifier", "concatenate_samples"]


def concatenate_samples(parts, like):
    """Stack the samples of several inputs of one kind (arrays, DataFrames or spectra).

    Parameters
    ----------
    parts : list
        Arrays of one width, or SpectrumBatch objects.
    like : object
        The original input: a DataFrame gives a DataFrame with its columns.

    Returns
    -------
    ndarray, DataFrame or SpectrumBatch
    """
    if all(isinstance(p, SpectrumBatch) for p in parts):
        grids = [p.wavelength if p.on_common_grid else None for p in parts]
        if all(g is not None for g in grids) and all(
            np.array_equal(g, grids[0]) and p.wavelength_unit == parts[0].wavelength_unit
            for g, p in zip(grids, parts)
        ):
            return SpectrumBatch.from_arrays(
                grids[0], np.vstack([p.flux for p in parts]),
                np.vstack([p.ivar for p in parts]), np.vstack([p.mask for p in parts]),
                wavelength_unit=parts[0].wavelength_unit,
                flux_unit=[f for p in parts for f in p.flux_units],
                meta=[m for p in parts for m in p.meta],
            )
        return SpectrumBatch([s for p in parts for s in p.spectra])
    stacked = np.concatenate([np.asarray(p) for p in parts], axis=0)
    if hasattr(like, "columns") and hasattr(like, "iloc"):
        import pandas as pd

        return pd.DataFrame(stacked, columns=like.columns)
    return stacked


def _estimator_has(attr):
    def check(self):
        est = self.estimator_ if hasattr(self, "estimator_") else self._estimator()
        return hasattr(est, attr)

    return check


class AugmentedTrainingClassifier(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Train a classifier on randomly perturbed copies of its training spectra.

    ``fit`` makes ``n_copies`` copies of the training spectra with
    ``augmenter`` (by default an :class:`InstrumentAugmenter`; each copy
    drawn with its own seed from ``random_state``), stacks them with the
    originals (``keep_original``) and fits a clone of ``estimator`` on the
    lot, the labels repeated. Prediction does not augment unless
    ``n_tta > 0``: then ``predict_proba`` (or ``decision_function``) is the
    mean over the spectrum itself and ``n_tta`` copies made by
    ``tta_augmenter`` (test-time augmentation), and ``predict`` the class of
    the highest mean. A transformer in a scikit-learn Pipeline cannot add
    samples, so this is a meta-estimator around the model pipeline (the role
    imbalanced-learn gives its samplers' ``fit_resample``): pass it the
    spectra before the steps that put them on the model's grid.

    Parameters
    ----------
    estimator : estimator object, default=None
        Classifier (or Pipeline ending in one) taking what ``augmenter``
        returns, e.g. ``make_pipeline(MaskedPixelInterpolator(),
        SpectralResampler(...), FluxPixels(), StandardScaler(), SVC())``.
        ``None``: :class:`~sklearn.linear_model.LogisticRegression`.
    augmenter : transformer, default=None
        Makes one perturbed copy per ``transform``; must take
        ``random_state``. ``None``: ``InstrumentAugmenter(shift=1.0,
        noise=1.0)`` (shifts up to 1 pixel, S/N lowered up to 2 times).
    n_copies : int >= 0, default=2
        Perturbed copies of the training set.
    keep_original : bool, default=True
        Whether the unperturbed spectra are trained on too.
    n_tta : int >= 0, default=0
        Perturbed copies of each spectrum averaged over in prediction, besides
        the spectrum itself; 0: no test-time augmentation.
    tta_augmenter : transformer, default=None
        Makes the test-time copies; ``None``: ``augmenter``.
    random_state : int, RandomState instance or None, default=None
        Seeds of the copies (training and test time).

    Attributes
    ----------
    estimator_ : estimator object
        ``estimator`` fitted on the originals and the copies.
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    tta_seeds_ : ndarray of shape (n_tta,)
        Seeds of the test-time copies (fixed at ``fit``, so a spectrum gets
        the same prediction wherever it sits in a batch).
    n_features_in_ : int
        Number of features seen during fit (when the estimator has it).
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen during fit (when the estimator has them).

    See Also
    --------
    InstrumentAugmenter : The perturbations.
    sklearn.ensemble.BaggingClassifier, sklearn.ensemble.VotingClassifier :
        Ensembles; both work on our pipelines (``tests/preprocessing/
        test_instrument_augment.py``).

    Notes
    -----
    Fitting sees ``(n_copies + keep_original) * n_samples`` samples. Array
    ``fit_params`` of length ``n_samples`` (``sample_weight``) are repeated
    with the samples. Test-time augmentation (4 mild copies) of an SVC
    changed cross-survey accuracy by -0.010 to +0.007 on the transfer
    benchmark (``benchmarks/README.md``, issue 16).

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from spectra_sklearn.preprocessing import (AugmentedTrainingClassifier,
    ...                                            InstrumentAugmenter)
    >>> X, y = make_classification(n_samples=100, n_features=20, random_state=0)
    >>> model = AugmentedTrainingClassifier(
    ...     augmenter=InstrumentAugmenter(shift=0.5, snr=(20.0, 50.0)), n_copies=2,
    ...     n_tta=2, random_state=0).fit(X, y)
    >>> model.predict_proba(X[:2]).shape
    (2, 2)
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "augmenter": [HasMethods(["transform", "set_params"]), None],
        "n_copies": [Interval(Integral, 0, None, closed="left")],
        "keep_original": ["boolean"],
        "n_tta": [Interval(Integral, 0, None, closed="left")],
        "tta_augmenter": [HasMethods(["transform", "set_params"]), None],
        "random_state": ["random_state"],
    }

    def __init__(self, estimator=None, augmenter=None, *, n_copies=2, keep_original=True,
                 n_tta=0, tta_augmenter=None, random_state=None):
        self.estimator = estimator
        self.augmenter = augmenter
        self.n_copies = n_copies
        self.keep_original = keep_original
        self.n_tta = n_tta
        self.tta_augmenter = tta_augmenter
        self.random_state = random_state

    def _estimator(self):
        return LogisticRegression() if self.estimator is None else self.estimator

    def _augmenter(self):
        if self.augmenter is None:
            return InstrumentAugmenter(shift=1.0, noise=1.0)
        return self.augmenter

    def _copy(self, augmenter, X, seed):
        out = clone(augmenter).set_params(random_state=int(seed)).fit(X).transform(X)
        return concatenate_samples([out], X)  # a DataFrame stays one (feature names)

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, **fit_params):
        """Fit ``estimator`` on the training spectra and ``n_copies`` perturbed copies.

        Parameters
        ----------
        X : SpectrumBatch, list of Spectrum, or array-like of shape (n_samples, n_pixels)
            Training spectra, as ``augmenter`` takes them.
        y : array-like of shape (n_samples,)
            Class labels.
        **fit_params : dict
            Passed to ``estimator.fit``; arrays of length ``n_samples`` are
            repeated as the samples are.

        Returns
        -------
        self : AugmentedTrainingClassifier

        Raises
        ------
        ValueError
            If ``n_copies`` is 0 and ``keep_original`` False (nothing to
            train on), or there are no samples.
        """
        if self.n_copies == 0 and not self.keep_original:
            raise ValueError(
                "AugmentedTrainingClassifier: n_copies=0 with keep_original=False leaves "
                "nothing to train on; set n_copies >= 1 or keep_original=True."
            )
        y = _check_y(self, y)
        if is_spectra(X):
            X, _ = as_spectrum_batch(X)
        X, y = indexable(X, y)
        n = _num_samples(X)
        if n == 0:
            raise ValueError("AugmentedTrainingClassifier: 0 samples given to fit; need >= 1.")
        rng = check_random_state(self.random_state)
        seeds = rng.randint(np.iinfo(np.int32).max, size=self.n_copies)
        self.tta_seeds_ = rng.randint(np.iinfo(np.int32).max, size=self.n_tta)
        augmenter = self._augmenter()
        parts = [X] if self.keep_original else []
        parts += [self._copy(augmenter, X, s) for s in seeds]
        repeats = len(parts)
        X_aug = concatenate_samples(parts, X) if repeats > 1 else parts[0]
        params = {k: np.concatenate([np.asarray(v)] * repeats)
                  if hasattr(v, "__len__") and not isinstance(v, str) and len(v) == n else v
                  for k, v in fit_params.items()}
        self.estimator_ = clone(self._estimator()).fit(X_aug, np.concatenate([y] * repeats),
                                                       **params)
        self.classes_ = getattr(self.estimator_, "classes_", np.unique(y))
        _copy_feature_attributes(self, self.estimator_)
        return self

    def _averaged(self, method, X):
        """``estimator_.method`` averaged over ``X`` and its ``n_tta`` test-time copies."""
        check_is_fitted(self)
        if is_spectra(X):
            X, _ = as_spectrum_batch(X)
        out = getattr(self.estimator_, method)(X)
        if self.n_tta == 0:
            return out
        augmenter = self.augmenter if self.tta_augmenter is None else self.tta_augmenter
        augmenter = self._augmenter() if augmenter is None else augmenter
        total = np.asarray(out, dtype=float)
        for seed in self.tta_seeds_:
            total = total + getattr(self.estimator_, method)(self._copy(augmenter, X, seed))
        return total / (self.n_tta + 1)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities, averaged over ``n_tta`` test-time copies when set.

        Parameters
        ----------
        X : SpectrumBatch, list of Spectrum, or array-like, as in ``fit``

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        return self._averaged("predict_proba", X)

    @available_if(_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : SpectrumBatch, list of Spectrum, or array-like, as in ``fit``

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        if self.n_tta == 0:
            check_is_fitted(self)
            return self.estimator_.predict_log_proba(X)
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X):
        """Decision values, averaged over ``n_tta`` test-time copies when set.

        With ``n_tta > 0`` and an ``estimator`` that has ``predict_proba``, the
        scores are the logarithms of the averaged probabilities (for two
        classes ``log(p1 / p0)``), so that they rank the classes as
        :meth:`predict_proba` and :meth:`predict` do.

        Parameters
        ----------
        X : SpectrumBatch, list of Spectrum, or array-like, as in ``fit``

        Returns
        -------
        scores : ndarray of shape (n_samples, n_classes), or (n_samples,) for two classes
        """
        check_is_fitted(self)
        if self.n_tta == 0 or not hasattr(self.estimator_, "predict_proba"):
            return self._averaged("decision_function", X)
        with np.errstate(divide="ignore"):
            log_proba = np.log(self.predict_proba(X))
        if log_proba.shape[1] == 2:
            return log_proba[:, 1] - log_proba[:, 0]
        return log_proba

    def predict(self, X):
        """Predicted classes: of the highest mean probability (or score) with ``n_tta``.

        Parameters
        ----------
        X : SpectrumBatch, list of Spectrum, or array-like, as in ``fit``

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        if self.n_tta == 0:
            return self.estimator_.predict(X)
        if hasattr(self.estimator_, "predict_proba"):
            return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
        if hasattr(self.estimator_, "decision_function"):
            scores = self.decision_function(X)
            if scores.ndim == 1:
                return self.classes_[(scores > 0).astype(int)]
            return self.classes_[np.argmax(scores, axis=1)]
        raise AttributeError(
            "AugmentedTrainingClassifier: n_tta > 0 averages predict_proba or "
            f"decision_function, and {type(self.estimator_).__name__} has neither."
        )

    def __sklearn_tags__(self):
        tags = _input_tags(super().__sklearn_tags__(), self._estimator())
        tags.input_tags.sparse = False  # the augmenter takes dense spectra
        return tags
