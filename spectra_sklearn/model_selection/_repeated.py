"""Repeated stratified group k-fold, and a confidence interval for its scores."""

from numbers import Integral, Real

import numpy as np
from scipy import stats
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.model_selection._split import GroupsConsumerMixin, _RepeatedSplits
from sklearn.utils._param_validation import Interval, validate_params

__all__ = ["RepeatedStratifiedGroupKFold", "repeated_cv_confidence_interval"]


class RepeatedStratifiedGroupKFold(GroupsConsumerMixin, _RepeatedSplits):
    """Stratified group k-fold, repeated with a different shuffle each time.

    Each repetition is a :class:`~sklearn.model_selection.StratifiedGroupKFold`
    with ``shuffle=True``: every group (a physical object with several
    spectra) lies wholly in the training or wholly in the test fold, the class
    proportions of each fold follow the whole set as closely as the groups
    allow, and the ``n_splits`` test folds of a repetition partition the
    samples. Repeating with new shuffles gives ``n_splits * n_repeats`` scores
    whose spread shows how much a result on a small astronomical sample owes
    to the luck of the split.

    Parameters
    ----------
    n_splits : int, default=5
        Folds per repetition, at least 2.
    n_repeats : int, default=10
        Number of repetitions, at least 1.
    random_state : int, RandomState instance or None, default=None
        Seeds the shuffles; an int gives the same splits on every call.

    See Also
    --------
    sklearn.model_selection.StratifiedGroupKFold : One repetition.
    sklearn.model_selection.RepeatedStratifiedKFold : The same without groups.
    repeated_cv_confidence_interval : A confidence interval from the scores.

    Notes
    -----
    Stratification is approximate: groups are assigned whole, so with few
    large groups a fold can miss its share of a class. The folds of one
    repetition are disjoint; across repetitions they overlap, so the scores
    are not independent (see :func:`repeated_cv_confidence_interval`).

    Examples
    --------
    >>> import numpy as np
    >>> from spectra_sklearn.model_selection import RepeatedStratifiedGroupKFold
    >>> y = np.array(["M"] * 6 + ["T"] * 6)
    >>> groups = np.repeat(np.arange(6), 2)   # each object observed twice
    >>> cv = RepeatedStratifiedGroupKFold(n_splits=3, n_repeats=2, random_state=0)
    >>> cv.get_n_splits()
    6
    >>> for train, test in cv.split(np.zeros(12), y, groups):
    ...     assert not set(groups[train]) & set(groups[test])
    >>> cv
    RepeatedStratifiedGroupKFold(n_repeats=2, n_splits=3, random_state=0)
    """

    def __init__(self, *, n_splits=5, n_repeats=10, random_state=None):
        super().__init__(
            StratifiedGroupKFold,
            n_repeats=n_repeats,
            random_state=random_state,
            n_splits=n_splits,
        )

    def split(self, X, y, groups=None):
        """Indices of the training and test samples of every fold of every repetition.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or sequence of length n_samples
            Only its length is used.
        y : array-like of shape (n_samples,)
            Class labels to stratify by.
        groups : array-like of shape (n_samples,)
            Group (object) of each sample; never split between training and
            test.

        Yields
        ------
        train : ndarray
            Training indices of the fold.
        test : ndarray
            Test indices of the fold.

        Raises
        ------
        ValueError
            If ``groups`` is None, or if there are fewer groups than
            ``n_splits``.
        """
        if groups is None:
            raise ValueError(
                "RepeatedStratifiedGroupKFold.split needs groups: the object of each "
                "sample. Pass groups=... (or params={'groups': ...} with metadata routing "
                "enabled)."
            )
        return super().split(X, y, groups)


@validate_params(
    {
        "scores": ["array-like"],
        "n_splits": [Interval(Integral, 2, None, closed="left")],
        "confidence": [Interval(Real, 0, 1, closed="neither")],
        "test_train_ratio": [Interval(Real, 0, None, closed="neither"), None],
    },
    prefer_skip_nested_validation=True,
)
def repeated_cv_confidence_interval(scores, n_splits, *, confidence=0.95, test_train_ratio=None):
    """Confidence interval of the mean score of repeated k-fold cross-validation.

    The ``n_splits * n_repeats`` fold scores share training data, so their
    plain standard error is far too small. This uses the corrected repeated
    k-fold variance of Nadeau & Bengio (2003) as tested by Bouckaert & Frank
    (2004): ``var = s**2 * (1 / (k * r) + n_test / n_train)`` with ``s**2``
    the sample variance of the ``k * r`` scores, and Student's t with
    ``k * r - 1`` degrees of freedom.

    Parameters
    ----------
    scores : array-like of shape (n_splits * n_repeats,)
        One score per fold, e.g. ``cross_validate(...)["test_score"]`` with
        ``cv=RepeatedStratifiedGroupKFold(...)``.
    n_splits : int
        Folds per repetition (``k``); sets ``n_test / n_train`` to
        ``1 / (k - 1)`` unless ``test_train_ratio`` is given.
    confidence : float, default=0.95
        Coverage of the interval, in (0, 1).
    test_train_ratio : float, default=None
        ``n_test / n_train`` if the folds are far from equal (large groups).

    Returns
    -------
    mean : float
        Mean of the scores.
    low, high : float
        The interval's bounds.

    Raises
    ------
    ValueError
        If fewer than 2 scores are given or they are not a multiple of
        ``n_splits``.

    References
    ----------
    .. [1] C. Nadeau and Y. Bengio, "Inference for the generalization error",
       Machine Learning 52, 239-281 (2003), doi:10.1023/A:1024068626366.
    .. [2] R. R. Bouckaert and E. Frank, "Evaluating the replicability of
       significance tests for comparing learning algorithms", PAKDD 2004,
       LNCS 3056, 3-12, doi:10.1007/978-3-540-24775-3_3.

    Examples
    --------
    >>> from sklearn.model_selection import cross_validate
    >>> from sklearn.svm import SVC
    >>> from spectra_sklearn.pipelines import make_spex_pipeline
    >>> from spectra_sklearn.datasets import load_spex_sample
    >>> from spectra_sklearn.model_selection import (
    ...     RepeatedStratifiedGroupKFold, repeated_cv_confidence_interval)
    >>> spex = load_spex_sample()
    >>> cv = RepeatedStratifiedGroupKFold(n_splits=3, n_repeats=2, random_state=0)
    >>> result = cross_validate(make_spex_pipeline(model="svc"), spex.data,
    ...                         spex.target_class, groups=spex.groups, cv=cv)
    >>> mean, low, high = repeated_cv_confidence_interval(result["test_score"], n_splits=3)
    >>> bool(low < mean < high <= 1.0)
    True
    """
    scores = np.asarray(scores, dtype=np.float64).ravel()
    n = scores.size
    if n < 2 or n % n_splits:
        raise ValueError(
            f"repeated_cv_confidence_interval needs n_splits * n_repeats >= 2 scores, a "
            f"multiple of n_splits={n_splits}; got {n}."
        )
    if not np.all(np.isfinite(scores)):
        raise ValueError("repeated_cv_confidence_interval: the scores must be finite.")
    ratio = 1.0 / (n_splits - 1) if test_train_ratio is None else float(test_train_ratio)
    mean = float(np.mean(scores))
    half = stats.t.ppf(0.5 + confidence / 2, df=n - 1) * np.sqrt(
        (1.0 / n + ratio) * np.var(scores, ddof=1)
    )
    return mean, float(mean - half), float(mean + half)
