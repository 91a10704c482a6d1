"""Probabilities to trust: temperature scaling, calibration error, abstention.

- :class:`TemperatureScaledClassifier` -- divides a classifier's logits by one
  temperature fitted on out-of-fold predictions (Guo et al. 2017), so the
  class probabilities match the observed accuracy; argmax predictions are
  unchanged;
- :func:`expected_calibration_error` -- the top-label expected calibration
  error (ECE) of predicted probabilities;
- :class:`AbstainingClassifier` -- predicts ``"unknown"`` when the highest
  class probability is below a threshold, in ``predict`` and in
  :func:`~spectra_sklearn.survey.predict_files` alike.

scikit-learn's :class:`~sklearn.calibration.CalibratedClassifierCV` (sigmoid or
isotonic) works on our pipelines and estimators too; conformal prediction sets
come from MAPIE (``pip install spectra-sklearn[conformal]``), which takes any
fitted classifier with ``predict_proba`` -- see ``tests/test_mapie.py`` and
``benchmarks/bench_transfer.py``.
"""

from numbers import Integral, Real

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax, softmax
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, _fit_context, clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import check_cv
from sklearn.utils import _safe_indexing, assert_all_finite, get_tags, indexable
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _num_samples, check_is_fitted, column_or_1d

__all__ = ["AbstainingClassifier", "TemperatureScaledClassifier", "expected_calibration_error"]

_TINY = 1e-12  # floor of the probabilities whose logarithm serves as logits


def expected_calibration_error(y_true, y_proba, *, n_bins=15, labels=None):
    """Top-label expected calibration error of predicted class probabilities.

    The predictions are binned by their confidence (the highest class
    probability) into ``n_bins`` equal-width bins over (0, 1]; the ECE is the
    mean over bins, weighted by the bin's share of the samples, of the
    absolute difference between the bin's accuracy and its mean confidence
    (Naeini, Cooper & Hauskrecht 2015, AAAI 29, 2901; Guo et al. 2017, ICML,
    "On calibration of modern neural networks", Eq. 3). 0 is perfectly
    calibrated; a classifier 95 % confident and right 85 % of the time has 0.10.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True class labels.
    y_proba : array-like of shape (n_samples, n_classes)
        Predicted probabilities, columns in the order of ``labels``
        (an estimator's ``predict_proba`` and ``classes_``).
    n_bins : int, default=15
        Number of confidence bins (Guo et al. use 15).
    labels : array-like of shape (n_classes,), default=None
        The class of each column of ``y_proba``; ``None`` means the sorted
        distinct values of ``y_true``, which must then number ``n_classes``.

    Returns
    -------
    ece : float
        In [0, 1].

    Raises
    ------
    ValueError
        If ``y_proba`` is not 2-D, its rows and ``y_true`` differ in length,
        or ``labels`` is None and ``y_true`` does not hold exactly one value
        per column.

    See Also
    --------
    sklearn.calibration.calibration_curve : The per-bin accuracies and confidences.
    ReliabilityDisplay : Draws them with the ECE.

    Examples
    --------
    >>> from spectra_sklearn.calibration import expected_calibration_error
    >>> expected_calibration_error(["a", "b", "a", "b"],
    ...                            [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.7, 0.3]],
    ...                            n_bins=5)
    0.25
    """
    correct, confidence = _top_label(y_true, y_proba, labels)
    if not isinstance(n_bins, Integral) or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer; got {n_bins!r}.")
    # bins (0, 1/n], (1/n, 2/n], ...: a confidence on an edge goes to the lower bin
    bins = np.searchsorted(np.linspace(0.0, 1.0, n_bins + 1)[1:-1], confidence, side="left")
    ece = 0.0
    for b in np.unique(bins):
        in_bin = bins == b
        ece += in_bin.mean() * abs(correct[in_bin].mean() - confidence[in_bin].mean())
    return float(round(ece, 12))


def _top_label(y_true, y_proba, labels):
    """``(correct, confidence)``: whether the most probable class is right, and its probability."""
    y_true = column_or_1d(y_true)
    y_proba = np.asarray(y_proba, dtype=float)
    if y_proba.ndim != 2:
        raise ValueError(
            f"y_proba must be 2-D, (n_samples, n_classes); got shape {y_proba.shape}."
        )
    if len(y_proba) != len(y_true):
        raise ValueError(
            f"y_true has {len(y_true)} samples but y_proba has {len(y_proba)} rows."
        )
    if labels is None:
        labels = np.unique(y_true)
        if len(labels) != y_proba.shape[1]:
            raise ValueError(
                f"y_true holds {len(labels)} classes but y_proba has {y_proba.shape[1]} "
                "columns; pass labels=estimator.classes_ to name the columns."
            )
    labels = np.asarray(labels)
    if len(labels) != y_proba.shape[1]:
        raise ValueError(
            f"labels names {len(labels)} classes but y_proba has {y_proba.shape[1]} columns."
        )
    predicted = labels[np.argmax(y_proba, axis=1)]
    return predicted == y_true, y_proba.max(axis=1)


def _logits(estimator, X, classes):
    """Logits of ``estimator`` on ``X``, one column per class of ``classes``.

    ``log(predict_proba)`` when the estimator has it (for a softmax network
    that is its logits up to a per-sample constant, which the softmax
    ignores), else ``decision_function``. Classes the estimator never saw get
    the logit of probability 1e-12.
    """
    own = np.asarray(estimator.classes_)
    if hasattr(estimator, "predict_proba"):
        scores = np.log(np.clip(estimator.predict_proba(X), _TINY, None))
    else:
        scores = np.asarray(estimator.decision_function(X), dtype=float)
        if scores.ndim == 1:  # binary: the positive class's score
            scores = np.column_stack([np.zeros_like(scores), scores])
    if len(own) == len(classes) and np.array_equal(own, classes):
        return scores
    out = np.full((len(scores), len(classes)), np.log(_TINY))
    out[:, np.searchsorted(classes, own)] = scores
    return out


def _fit_temperature(logits, y_encoded):
    """The temperature ``T`` minimising the negative log-likelihood of ``softmax(logits / T)``."""

    def nll(log_t):
        logp = log_softmax(logits / np.exp(log_t), axis=1)
        return -logp[np.arange(len(y_encoded)), y_encoded].mean()

    result = minimize_scalar(nll, bounds=(np.log(1e-2), np.log(1e2)), method="bounded")
    return float(np.exp(result.x))


def _check_y(estimator, y):
    if y is None:
        raise ValueError(
            f"{type(estimator).__name__} requires y to be passed, but the target y is None."
        )
    y = column_or_1d(y, warn=True)
    if y.dtype.kind in "fc":
        assert_all_finite(y, input_name="y")
    check_classification_targets(y)
    return y


def _copy_feature_attributes(meta, fitted):
    """``n_features_in_`` and ``feature_names_in_`` of the fitted inner estimator, if any."""
    for name in ("n_features_in_", "feature_names_in_"):
        if hasattr(fitted, name):
            setattr(meta, name, getattr(fitted, name))


def _input_tags(tags, estimator):
    inner = get_tags(estimator)
    tags.input_tags = inner.input_tags
    tags.classifier_tags.multi_class = inner.classifier_tags.multi_class
    return tags


class TemperatureScaledClassifier(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """A classifier whose probabilities are tempered by one fitted temperature.

    Temperature scaling (Guo et al. 2017, ICML, "On calibration of modern
    neural networks") divides the logits ``z`` of a classifier by a scalar
    ``T > 0`` before the softmax: ``p = softmax(z / T)``. ``T > 1`` softens
    over-confident probabilities (typical of neural networks), ``T < 1``
    sharpens under-confident ones; the most probable class, hence ``predict``
    and the accuracy, does not change. ``T`` is fitted by minimising the
    negative log-likelihood of out-of-fold logits: ``cv`` splits the
    training set, a clone of ``estimator`` is trained on each training part
    and scores its held-out part; then ``estimator`` is refitted on all the
    data. The logits are ``log(predict_proba)`` (for a softmax network, its
    logits up to a constant the softmax ignores) or, without
    ``predict_proba``, ``decision_function``.

    Parameters
    ----------
    estimator : estimator object, default=None
        Classifier with ``predict_proba`` or ``decision_function`` -- one of
        ours (e.g. :class:`~spectra_sklearn.nn.SpectrumCNNClassifier`) or a
        :class:`~sklearn.pipeline.Pipeline` ending in one. ``None`` means
        :class:`~sklearn.linear_model.LogisticRegression`. A fitted model
        wrapped in :class:`~sklearn.frozen.FrozenEstimator` is not refitted:
        then all of ``X`` is the calibration set.
    cv : int, cross-validation generator or iterable, default=5
        Splits of the training set giving the out-of-fold logits, as in
        :func:`~sklearn.model_selection.check_cv` (an int is a
        :class:`~sklearn.model_selection.StratifiedKFold`). Use a group
        splitter (e.g. :class:`~sklearn.model_selection.StratifiedGroupKFold`)
        and ``fit(..., groups=)`` when objects have several spectra.

    Attributes
    ----------
    estimator_ : estimator object
        ``estimator`` fitted on all the data.
    temperature_ : float
        The fitted temperature ``T`` (searched in [0.01, 100]).
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    n_features_in_ : int
        Number of features seen during fit (when the estimator has it).
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen during fit (when the estimator has them).

    See Also
    --------
    sklearn.calibration.CalibratedClassifierCV : Sigmoid or isotonic calibration.
    expected_calibration_error : How far the probabilities are from calibrated.

    Notes
    -----
    Fitting trains ``estimator`` ``n_splits + 1`` times. The probabilities of
    ``estimator`` must not be exactly 0 where the class is right: they are
    floored at 1e-12 before the logarithm.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.svm import SVC
    >>> from spectra_sklearn.calibration import TemperatureScaledClassifier
    >>> X, y = make_classification(n_samples=200, n_classes=3, n_informative=4,
    ...                            random_state=0)
    >>> model = TemperatureScaledClassifier(SVC(), cv=3).fit(X, y)
    >>> model.predict_proba(X[:2]).shape
    (2, 3)
    >>> bool(model.temperature_ > 0)
    True
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit"]), None],
        "cv": ["cv_object"],
    }

    def __init__(self, estimator=None, *, cv=5):
        self.estimator = estimator
        self.cv = cv

    def _estimator(self):
        return LogisticRegression() if self.estimator is None else self.estimator

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, groups=None, **fit_params):
        """Fit the temperature on out-of-fold logits, then ``estimator`` on all data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or what ``estimator`` takes
            Training spectra (e.g. a :class:`~spectra_sklearn.SpectrumBatch` or
            file paths for a pipeline that reads them).
        y : array-like of shape (n_samples,)
            Class labels, at least two classes.
        groups : array-like of shape (n_samples,), default=None
            Group labels (e.g. the object) for a group splitter in ``cv``.
        **fit_params : dict
            Passed to every ``estimator.fit``.

        Returns
        -------
        self : TemperatureScaledClassifier

        Raises
        ------
        ValueError
            If ``y`` holds fewer than two classes.
        """
        y = _check_y(self, y)
        X, y = indexable(X, y)
        if _num_samples(X) == 0:
            raise ValueError(
                "TemperatureScaledClassifier: 0 samples given to fit; need at least 2.")
        classes, y_encoded = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(
                "TemperatureScaledClassifier needs samples of at least 2 classes; got 1 "
                f"class ({classes[0]!r})."
            )
        estimator = self._estimator()
        cv = check_cv(self.cv, y, classifier=True)
        logits = np.zeros((len(y), len(classes)))
        scored = np.zeros(len(y), dtype=bool)
        for train, test in cv.split(X, y, groups):
            model = clone(estimator).fit(_safe_indexing(X, train), y[train], **fit_params)
            logits[test] = _logits(model, _safe_indexing(X, test), classes)
            scored[test] = True
        self.temperature_ = _fit_temperature(logits[scored], y_encoded[scored])
        self.estimator_ = clone(estimator).fit(X, y, **fit_params)
        self.classes_ = classes
        _copy_feature_attributes(self, self.estimator_)
        return self

    def _tempered_logits(self, X):
        check_is_fitted(self)
        return _logits(self.estimator_, X, self.classes_) / self.temperature_

    def decision_function(self, X):
        """Tempered logits ``z / T``.

        Parameters
        ----------
        X : array-like, what ``estimator`` takes

        Returns
        -------
        scores : ndarray of shape (n_samples, n_classes), or (n_samples,) for two classes
            With two classes, as in scikit-learn, the score of ``classes_[1]``:
            the difference of the two tempered logits (positive where it is
            the more probable).
        """
        logits = self._tempered_logits(X)
        return logits[:, 1] - logits[:, 0] if logits.shape[1] == 2 else logits

    def predict_proba(self, X):
        """Calibrated class probabilities ``softmax(z / T)``.

        Parameters
        ----------
        X : array-like, what ``estimator`` takes

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        return softmax(self._tempered_logits(X), axis=1)

    def predict(self, X):
        """The most probable class (that of ``estimator``).

        Parameters
        ----------
        X : array-like, what ``estimator`` takes

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        logits = self._tempered_logits(X)
        return self.classes_[np.argmax(logits, axis=1)]

    def __sklearn_tags__(self):
        return _input_tags(super().__sklearn_tags__(), self._estimator())


class AbstainingClassifier(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Predict ``unknown_label`` when the classifier is not confident enough.

    The prediction is the most probable class when its probability is at
    least ``threshold``, else ``unknown_label``: a selective classifier
    (Chow 1970, IEEE Trans. Inf. Theory 16, 41) for spectra unlike anything in
    the training set -- another survey, an object type the model never saw.
    Calibrate the probabilities first (:class:`TemperatureScaledClassifier`,
    :class:`~sklearn.calibration.CalibratedClassifierCV`) so that the
    threshold means what it says.

    Put it last in a pipeline: :func:`~spectra_sklearn.survey.predict_files`
    then writes ``unknown_label`` in its ``predicted`` column too (it reads
    the probabilities once and asks :meth:`predict_from_proba` for the
    labels).

    Parameters
    ----------
    estimator : estimator object, default=None
        Classifier with ``predict_proba``; ``None`` means
        :class:`~sklearn.linear_model.LogisticRegression`. Wrap a fitted one
        in :class:`~sklearn.frozen.FrozenEstimator` to keep it as it is.
    threshold : float in [0, 1], default=0.5
        Lowest probability of the most probable class that is still
        predicted. 0 never abstains.
    unknown_label : str or int, default="unknown"
        The label of an abstention. It must not be one of the classes.

    Attributes
    ----------
    estimator_ : estimator object
        The fitted ``estimator``.
    classes_ : ndarray of shape (n_classes,)
        The classes of ``estimator_`` (``unknown_label`` is not one of them).
    n_features_in_ : int
        Number of features seen during fit (when the estimator has it).
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen during fit (when the estimator has them).

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from spectra_sklearn.calibration import AbstainingClassifier
    >>> X, y = make_classification(n_samples=100, random_state=0)
    >>> model = AbstainingClassifier(threshold=0.9).fit(X, y)
    >>> sorted(set(model.predict(X).tolist()), key=str)
    [0, 1, 'unknown']
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict_proba"]), None],
        "threshold": [Interval(Real, 0.0, 1.0, closed="both")],
        "unknown_label": [str, Integral],
    }

    def __init__(self, estimator=None, *, threshold=0.5, unknown_label="unknown"):
        self.estimator = estimator
        self.threshold = threshold
        self.unknown_label = unknown_label

    def _estimator(self):
        return LogisticRegression() if self.estimator is None else self.estimator

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, **fit_params):
        """Fit ``estimator``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or what ``estimator`` takes
        y : array-like of shape (n_samples,)
        **fit_params : dict
            Passed to ``estimator.fit``.

        Returns
        -------
        self : AbstainingClassifier

        Raises
        ------
        ValueError
            If ``unknown_label`` is one of the classes of ``y``.
        """
        y = _check_y(self, y)
        if np.isin(self.unknown_label, np.unique(y).astype(object)).any():
            raise ValueError(
                f"unknown_label={self.unknown_label!r} is one of the classes of y; "
                "choose a label that no class has."
            )
        self.estimator_ = clone(self._estimator()).fit(X, y, **fit_params)
        self.classes_ = np.asarray(self.estimator_.classes_)
        _copy_feature_attributes(self, self.estimator_)
        return self

    def predict_proba(self, X):
        """Class probabilities of ``estimator``.

        Parameters
        ----------
        X : array-like, what ``estimator`` takes

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        return self.estimator_.predict_proba(X)

    def predict_from_proba(self, proba):
        """Labels from probabilities: the most probable class, or ``unknown_label``.

        Parameters
        ----------
        proba : array-like of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            The classes' dtype when nothing abstains and ``unknown_label``
            fits it; otherwise a common string dtype, or object for mixed types.
        """
        check_is_fitted(self)
        proba = np.asarray(proba, dtype=float)
        labels = self.classes_[np.argmax(proba, axis=1)]
        abstain = proba.max(axis=1) < self.threshold
        if not abstain.any():
            return labels
        out = labels.astype(object)
        out[abstain] = self.unknown_label
        values = out.tolist()
        if all(isinstance(v, str) for v in values):
            return np.asarray(values, dtype=str)
        return out

    def predict(self, X):
        """The most probable class, or ``unknown_label`` below ``threshold``.

        Parameters
        ----------
        X : array-like, what ``estimator`` takes

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        return self.predict_from_proba(self.predict_proba(X))

    def score(self, X, y, sample_weight=None):
        """Accuracy, an abstention counting as an error.

        Parameters
        ----------
        X : array-like, what ``estimator`` takes
        y : array-like of shape (n_samples,)
            True labels.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
            The (weighted) share of samples predicted as their true class.
        """
        y_true = column_or_1d(y).tolist()
        y_pred = self.predict(X).tolist()
        correct = np.array([a == b for a, b in zip(y_pred, y_true)], dtype=float)
        return float(np.average(correct, weights=sample_weight))

    def __sklearn_tags__(self):
        return _input_tags(super().__sklearn_tags__(), self._estimator())
